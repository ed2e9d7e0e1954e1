"""Owners claim their own login: identity number + the flat + a one-time code per
household (printed by the bureau), matched against the registry's keyed digest.

World: p1 owns h1 and h2 (CA-1, rooms 101 and 102) and already has the login owner1;
p2 owns h3 (CA-1 201) with owner2; p3 owns h4 (CB-1 101) and has no login yet."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from typing import Any

import httpx
import pytest

from service.auth.claims import issue_claim_codes, write_claim_codes
from service.auth.tables import Account, ClaimCode
from service.clock import now
from tests.support import World
from tests.web.support import browser, csrf_of


async def _codes(client: httpx.AsyncClient, world: World, community: str) -> dict[str, str]:
    found = await client.get(
        f"/api/v1/communities/{world.ids[community]}", headers=world.h("bureau")
    )
    issued = await issue_claim_codes(found.json()["code"])
    return {str(c.household_id): c.code for c in issued}


def _form(world: World, flat: str, code: str, username: str, id_no: str) -> dict[str, str]:
    community, room = {
        "h1": ("CA", "101"),
        "h2": ("CA", "102"),
        "h3": ("CA", "201"),
        "h4": ("CB", "101"),
    }[flat]
    return {
        "id_no": id_no,
        "community_id": world.ids[community],
        "building_id": world.ids[f"{community}-1"],
        "unit_no": "1",
        "room_no": room,
        "code": code,
        "username": username,
        "password": "claimed-pass-1",
    }


async def _claim(app: Any, data: dict[str, str]) -> httpx.Response:
    async with await browser(app) as page:
        token = await csrf_of(page, "/claim")
        return await page.post("/claim", data={**data, "csrf_token": token})


async def test_claim_codes_are_issued_per_household_and_only_their_digest_is_kept(
    client: httpx.AsyncClient, world: World
) -> None:
    codes = await _codes(client, world, "CA")
    assert set(codes) == {world.ids["h1"], world.ids["h2"], world.ids["h3"]}
    stored = await ClaimCode.select(ClaimCode.code_digest)
    digests = {r["code_digest"] for r in stored}
    assert not any(code.replace("-", "") in digests for code in codes.values())


async def test_an_owner_claims_a_login_and_the_code_works_once(
    app: Any, client: httpx.AsyncClient, world: World
) -> None:
    codes = await _codes(client, world, "CB")
    data = _form(world, "h4", codes[world.ids["h4"]], "wangfang", world.ids["p3_id_no"])
    done = await _claim(app, data)
    assert done.status_code == 200, done.text
    assert "账号已创建" in done.text
    account = await Account.select().where(Account.username == "wangfang").first()
    assert account is not None and account["role"] == "owner"
    again = await _claim(app, data | {"username": "wangfang2"})
    assert again.status_code == 422
    assert "已使用" in again.text, again.text[again.text.find("<main>") :][:800]
    assert not await Account.exists().where(Account.username == "wangfang2")


async def test_an_owners_other_flat_joins_the_login_it_already_has(
    app: Any, client: httpx.AsyncClient, world: World
) -> None:
    codes = await _codes(client, world, "CA")
    owner1 = (await client.get("/api/v1/auth/me", headers=world.h("owner1"))).json()
    answer = await _claim(
        app, _form(world, "h2", codes[world.ids["h2"]], "p1-second", world.ids["p1_id_no"])
    )
    assert answer.status_code == 200, answer.text
    assert owner1["username"] in answer.text
    assert not await Account.exists().where(Account.username == "p1-second")


async def test_a_code_is_useless_for_anyone_elses_flat(
    app: Any, client: httpx.AsyncClient, world: World
) -> None:
    codes = await _codes(client, world, "CA")
    # h1's code on h3, with h3's owner's true identity number: refused.
    refused = await _claim(
        app, _form(world, "h3", codes[world.ids["h1"]], "p2-claim", world.ids["p2_id_no"])
    )
    assert refused.status_code == 422
    assert "不匹配" in refused.text
    # h3's code with someone else's identity number: refused too.
    refused = await _claim(
        app, _form(world, "h3", codes[world.ids["h3"]], "p2-claim", world.ids["p1_id_no"])
    )
    assert refused.status_code == 422


async def test_an_expired_code_is_refused(
    app: Any, client: httpx.AsyncClient, world: World
) -> None:
    codes = await _codes(client, world, "CA")
    await ClaimCode.update({ClaimCode.expires_at: now() - timedelta(minutes=1)}).where(
        ClaimCode.used_at.is_null() & ClaimCode.revoked_at.is_null()
    )
    response = await _claim(
        app, _form(world, "h1", codes[world.ids["h1"]], "late-claim", world.ids["p1_id_no"])
    )
    assert response.status_code == 422
    assert "过期" in response.text


async def test_wrong_claim_tries_are_throttled_per_flat(
    app: Any, client: httpx.AsyncClient, world: World
) -> None:
    codes = await _codes(client, world, "CA")
    data = _form(world, "h3", "WRONG-CODE1", "guess-claim", world.ids["p2_id_no"])
    answers = [(await _claim(app, data)).text for _ in range(6)]
    assert "尝试次数过多" not in answers[0]
    assert "尝试次数过多" in answers[-1]
    # Even the right code is refused while the flat is throttled.
    right = await _claim(app, data | {"code": codes[world.ids["h3"]]})
    assert "尝试次数过多" in right.text
    assert not await Account.exists().where(Account.username == "guess-claim")


async def test_the_claim_codes_command_writes_one_row_per_household(
    client: httpx.AsyncClient, world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    code = (
        await client.get(f"/api/v1/communities/{world.ids['CA']}", headers=world.h("bureau"))
    ).json()["code"]
    out = io.StringIO()
    assert await write_claim_codes(code, out) == 0
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0][5] == "认领码"
    assert sorted(r[3] for r in rows[1:]) == ["101", "102", "201"]
    assert all(re.fullmatch(r"[A-Z2-9]{5}-[A-Z2-9]{5}", r[5]) for r in rows[1:])
    assert await write_claim_codes("NO-SUCH-CODE", io.StringIO()) == 2
