"""The hot reads (issue 15 goal 1) answer in one SQL statement whose predicate carries the
caller's scope: household balance and statement lines, community and building summaries,
a community's households. Same answers for every role as the separate scope check gave
(the Scope layer, as ``GET /communities/{id}`` and ``GET /households/{id}`` used it before
they became one statement too: ``tests/funds/scope_layer.py``, is the reference), the same
404 problem for out of scope as for missing, one statement each.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx
import pytest

from service.auth.scope import community_scope_sql, household_scope_sql, resolve_scope
from service.auth.tokens import load_caller
from service.clock import now
from service.contracts.tables import Contract
from service.db import fetch
from service.pagination import Paging
from tests.funds.conftest import deposit, make_estate, post, spend
from tests.funds.scope_layer import caller_of, old_answer
from tests.support import World, add_user, created, login, statements_sent, unique

# The roles a fund read serves, those that must not see the town, those refused (403).
INSIDE = ("bureau", "auditor", "company", "committee", "owner")
OUTSIDE = ("world-company", "world-committee", "world-owner")
REFUSED = ("contractor", "street")


@dataclass
class Town:
    community: str
    building: str
    households: list[str]
    headers: dict[str, dict[str, str]] = field(default_factory=dict)


@pytest.fixture
async def town(client: httpx.AsyncClient, world: World) -> Town:
    """A fresh community with money in it, its own committee, company and an owner of its
    first household, beside the world's users of another community."""
    estate = await make_estate(client, world, areas=("80.00", "60.00", "100.00"))
    h0, h1, _ = estate.households
    await deposit(client, world, h0, "3600.00")
    await deposit(client, world, h1, "2700.00")
    await spend(h1, 200000)
    await post(
        client,
        world,
        "/fund/income",
        {
            "community_id": estate.community,
            "amount": "2.40",
            "memo": "停车收益",
            "received_on": "2026-03-01",
        },
    )
    bureau = world.h("bureau")
    tag = unique("")
    orgs = {}
    for kind, extra in (
        ("committee", {"community_id": estate.community}),
        ("company", {}),
        ("street", {}),
    ):
        org = await created(
            await client.post(
                "/api/v1/organizations",
                json={"kind": kind, "name": f"{kind} {tag}", **extra},
                headers=bureau,
            )
        )
        orgs[kind] = org["id"]
    await Contract.insert(
        Contract(
            district=world.district_id,
            community=uuid.UUID(estate.community),
            company=uuid.UUID(orgs["company"]),
            mode="market",
            status="live",
            starts_on=date(2024, 1, 1),
            ends_on=date(2027, 12, 31),
            created_at=now(),
        )
    )
    response = await client.put(
        f"/api/v1/organizations/{orgs['street']}/areas",
        json={"area_ids": [world.ids["area"]]},
        headers=bureau,
    )
    assert response.status_code == 200, response.text
    town = Town(estate.community, estate.building, estate.households)
    for role in ("committee", "company", "street"):
        await add_user(client, bureau, username=f"{role}-{tag}", role=role, org_id=orgs[role])
        town.headers[role] = await login(client, f"{role}-{tag}")
    await add_user(client, bureau, username=f"owner-{tag}", role="owner", household_ids=[h0])
    town.headers["owner"] = await login(client, f"owner-{tag}")
    for role in ("bureau", "auditor", "contractor"):
        town.headers[role] = world.h(role)
    for role in ("company", "committee"):
        town.headers[f"world-{role}"] = world.h(role)
    town.headers["world-owner"] = world.h("owner1")
    return town


def reads_of(town: Town) -> dict[str, str]:
    h0, h1, _ = town.households
    return {
        "community fund": f"/communities/{town.community}/fund",
        "building fund": f"/buildings/{town.building}/fund",
        "household fund": f"/households/{h0}/fund",
        "own entries": f"/households/{h0}/fund/entries",
        "other entries": f"/households/{h1}/fund/entries",
        "households": f"/communities/{town.community}/households",
    }


MISSING = {
    "community fund": "/communities/{}/fund",
    "building fund": "/buildings/{}/fund",
    "household fund": "/households/{}/fund",
    "own entries": "/households/{}/fund/entries",
    "other entries": "/households/{}/fund/entries",
    "households": "/communities/{}/households",
}


def expected_status(role: str, read: str) -> int:
    if role in REFUSED:
        return 403
    if role in OUTSIDE or (role == "owner" and read == "other entries"):
        return 404
    return 200


async def get(client: httpx.AsyncClient, path: str, headers: dict[str, str]) -> httpx.Response:
    return await client.get(f"/api/v1{path}", headers=headers)


async def test_every_role_gets_the_bureau_answer_or_the_missing_objects_404(
    client: httpx.AsyncClient, town: Town
) -> None:
    reads = reads_of(town)
    bureau = town.headers["bureau"]
    truth = {read: (await get(client, path, bureau)).json() for read, path in reads.items()}
    missing = {
        read: await get(client, path.format(uuid.uuid4()), bureau) for read, path in MISSING.items()
    }
    for role, headers in town.headers.items():
        for read, path in reads.items():
            response = await get(client, path, headers)
            status = expected_status(role, read)
            assert response.status_code == status, (role, read, response.text)
            if status == 200 and not (role == "owner" and read == "households"):
                assert response.json() == truth[read], (role, read)
            if status == 404:
                assert missing[read].status_code == 404
                assert response.json() == missing[read].json(), (role, read)
                assert response.headers["content-type"] == missing[read].headers["content-type"]
    own = await get(client, reads["households"], town.headers["owner"])
    assert [h["id"] for h in own.json()["items"]] == [town.households[0]]
    assert own.json()["items"][0] == next(
        h for h in truth["households"]["items"] if h["id"] == town.households[0]
    )


async def test_the_one_statement_reads_see_what_the_scope_layer_sees(
    client: httpx.AsyncClient, town: Town
) -> None:
    """The reference: the Scope layer (``resolve_scope``, then ``Scope.community`` or
    ``Scope.household``), as the community and household reads checked visibility before."""
    reads = reads_of(town)
    h0, h1, _ = town.households
    first = Paging(limit=50, after=None)
    for role, headers in town.headers.items():
        if role in REFUSED:
            continue
        scope = await resolve_scope(await caller_of(client, headers))
        visible = await old_answer(scope, "community", town.community, first) is not None
        community = 200 if visible else 404
        assert (await get(client, f"/communities/{town.community}", headers)).status_code == (
            community
        ), role
        for read in ("community fund", "building fund", "households"):
            assert (await get(client, reads[read], headers)).status_code == community, role
        for household, read in ((h0, "own entries"), (h1, "other entries")):
            visible = await old_answer(scope, "household", household, first) is not None
            seen = 200 if visible else 404
            assert (await get(client, f"/households/{household}", headers)).status_code == seen
            assert (await get(client, reads[read], headers)).status_code == seen, (role, read)


async def test_the_summaries_add_up(client: httpx.AsyncClient, town: Town) -> None:
    bureau = town.headers["bureau"]
    community = (await get(client, f"/communities/{town.community}/fund", bureau)).json()
    building = (await get(client, f"/buildings/{town.building}/fund", bureau)).json()
    # 3,600.00 + 2,700.00 deposited, 2,000.00 used, 2.40 income spread by floor area.
    assert (community["principal"], community["interest"], community["balance"]) == (
        "4300.00",
        "2.40",
        "4302.40",
    )
    assert community["households"] == 3
    assert community["households_needing_replenishment"] == 1  # h1: 700.x < 810.00
    assert community["entries"] >= 3 and len(community["chain_head"]) == 64
    for key in ("balance", "principal", "interest", "households", "years"):
        assert building[key] == community[key], key
    assert building["community_id"] == town.community
    assert building["building_id"] == town.building
    (year,) = community["years"]
    assert (year["deposited"], year["income"], year["used"]) == ("6300.00", "2.40", "2000.00")


async def test_statement_pages_and_cursors_are_unchanged(
    client: httpx.AsyncClient, town: Town
) -> None:
    h0 = town.households[0]
    path = f"/households/{h0}/fund/entries"
    for role in ("bureau", "owner", "committee"):
        headers = town.headers[role]
        whole = (await get(client, path, headers)).json()
        assert whole["next_cursor"] is None
        assert [e["kind"] for e in whole["items"]] == ["first_deposit", "income"]
        assert [e["amount"] for e in whole["items"]] == ["3600.00", "0.80"]  # 2.40 × 80/240
        paged, cursor = [], None
        while True:
            page = (
                await get(
                    client, f"{path}?limit=1" + (f"&cursor={cursor}" if cursor else ""), headers
                )
            ).json()
            paged += page["items"]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert paged == whole["items"]
    # A household with no lines: an empty page, not a 404.
    empty = await get(
        client, f"/households/{town.households[2]}/fund/entries", town.headers["bureau"]
    )
    assert empty.status_code == 200
    assert empty.json()["next_cursor"] is None
    # A cursor that is not a journal position: 422 when the household is visible, 404 when not.
    bad = "eHl6"  # base64 of "xyz"
    refused = await get(client, f"{path}?cursor={bad}", town.headers["bureau"])
    assert refused.status_code == 422, refused.text
    hidden = await get(client, f"{path}?cursor={bad}", town.headers["world-owner"])
    assert hidden.status_code == 404


async def test_household_list_pages_and_filters(
    client: httpx.AsyncClient, town: Town, world: World
) -> None:
    path = f"/communities/{town.community}/households"
    bureau = town.headers["bureau"]
    seen, cursor = [], None
    while True:
        page = (
            await get(client, f"{path}?limit=2" + (f"&cursor={cursor}" if cursor else ""), bureau)
        ).json()
        seen += [h["id"] for h in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(town.households)
    one = (await get(client, f"{path}?building_id={town.building}", bureau)).json()
    assert [h["id"] for h in one["items"]] == sorted(town.households)
    assert one["items"][0]["floor_area"] in ("80.00", "60.00", "100.00")
    other = (await get(client, f"{path}?building_id={world.ids['CA-1']}", bureau)).json()
    assert other == {"items": [], "next_cursor": None}
    bad = "eHl6"
    assert (await get(client, f"{path}?cursor={bad}", bureau)).status_code == 422
    assert (
        await get(client, f"{path}?cursor={bad}", town.headers["world-company"])
    ).status_code == 404


@pytest.fixture
def caller_clock_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    """The caller cache's clock stopped: a caller put into the cache stays there however
    slowly the machine runs, so the statements counted are the read's alone."""
    from service.auth import tokens

    stopped = tokens._clock()
    monkeypatch.setattr(tokens, "_clock", lambda: stopped)


@pytest.mark.usefixtures("caller_clock_stopped")
async def test_each_hot_read_is_one_statement(client: httpx.AsyncClient, town: Town) -> None:
    """With the caller cached (as it is on every request but the first within the cache's
    lifetime), a read sends exactly one statement, visible or not."""
    counts: dict[tuple[str, str], int] = {}
    for role in ("bureau", "company", "committee", "owner", "world-owner", "world-company"):
        headers = town.headers[role]
        for read, path in reads_of(town).items():
            await get(client, "/auth/me", headers)  # the caller into the cache
            with statements_sent() as sent:
                response = await get(client, path, headers)
            assert response.status_code == expected_status(role, read)
            counts[(role, read)] = len(sent)
    assert counts == dict.fromkeys(counts, 1), counts


@pytest.mark.usefixtures("caller_clock_stopped")
async def test_the_communities_list_is_what_each_community_read_shows(
    client: httpx.AsyncClient, town: Town, world: World
) -> None:
    """``GET /communities`` (one statement) against ``GET /communities/{id}`` and the Scope
    layer (as that read used it before) for every role that may list communities; one
    statement per page."""
    candidates = {world.ids["CA"], world.ids["CB"], town.community}
    for role, headers in town.headers.items():
        if role == "street":
            assert (await get(client, "/communities", headers)).status_code == 403
            continue
        listed: list[dict[str, Any]] = []
        cursor = None
        while True:
            suffix = f"&cursor={cursor}" if cursor else ""
            await get(client, "/auth/me", headers)  # the caller into the cache
            with statements_sent() as sent:
                response = await get(client, f"/communities?limit=7{suffix}", headers)
            assert response.status_code == 200, (role, response.text)
            assert len(sent) == 1, (role, sent)
            listed += response.json()["items"]
            cursor = response.json()["next_cursor"]
            if cursor is None:
                break
        ids = [c["id"] for c in listed]
        assert ids == sorted(ids) and len(set(ids)) == len(ids)
        scope = await resolve_scope(await caller_of(client, headers))
        first = Paging(limit=50, after=None)
        for item in listed:
            assert (await get(client, f"/communities/{item['id']}", headers)).json() == item
            reference = await old_answer(scope, "community", item["id"], first)
            assert reference is not None and json.loads(reference) == item, role
        for community in candidates - set(ids):
            assert (await get(client, f"/communities/{community}", headers)).status_code == 404
            assert await old_answer(scope, "community", community, first) is None, role
    bureau = town.headers["bureau"]
    area = (await get(client, f"/communities?limit=500&area_id={world.ids['area']}", bureau)).json()
    assert candidates <= {c["id"] for c in area["items"]}
    none = await get(client, f"/communities?area_id={uuid.uuid4()}", bureau)
    assert none.json() == {"items": [], "next_cursor": None}
    assert (await get(client, "/communities?cursor=eHl6", bureau)).status_code == 422


async def test_the_scope_conditions_select_what_resolve_scope_selects(
    client: httpx.AsyncClient, town: Town, world: World
) -> None:
    """``community_scope_sql`` and ``household_scope_sql`` against ``resolve_scope`` for a
    user of every role (street and contractor included)."""
    for role, headers in town.headers.items():
        me = (await get(client, "/auth/me", headers)).json()
        caller = await load_caller(uuid.UUID(me["id"]))
        assert caller is not None
        scope = await resolve_scope(caller)
        condition, args = community_scope_sql(caller, "c.id", "c.district")
        got = {
            _id(r["id"])
            for r in await fetch(f"SELECT c.id FROM community AS c WHERE {condition}", *args)
        }
        every = {
            _id(r["id"])
            for r in await fetch("SELECT id FROM community WHERE district = {}", world.district_id)
        }
        want = every if scope.community_ids is None else every & set(scope.community_ids)
        assert got == want, role
        condition, args = household_scope_sql(caller)
        got = {
            _id(r["id"])
            for r in await fetch(f"SELECT h.id FROM household AS h WHERE {condition}", *args)
        }
        households = await fetch(
            "SELECT id, community, owner FROM household WHERE district = {}", world.district_id
        )
        want = {
            _id(r["id"])
            for r in households
            if (scope.community_ids is None or _id(r["community"]) in scope.community_ids)
            and (scope.owner_id is None or _id(r["owner"]) == scope.owner_id)
        }
        assert got == want, role


def _id(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
