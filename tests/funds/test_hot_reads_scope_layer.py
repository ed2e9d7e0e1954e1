"""The reads that still went through the Scope layer (a scope query, then their own) now
answer in one SQL statement whose predicate carries the caller's scope (issue 15 goal 1):
``GET /communities/{id}``, ``GET /households/{id}``, ``GET /communities/{id}/buildings``
and ``GET /communities/{id}/fund/replenishment``.

The reference is the old path itself, kept in ``tests/funds/scope_layer.py``: ``resolve_scope`` then
``Scope.community`` / ``Scope.household`` and the query the route ran after it, encoded
as Litestar encodes a response. Every role's answer is byte for byte the old one; out of
scope answers exactly what a missing id answers; each read is one statement.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from service.auth.roles import Caller
from service.auth.scope import Scope, resolve_scope
from service.clock import now, today
from service.contracts.tables import Contract
from service.pagination import Paging, decode_cursor, encode_cursor
from service.warranty.tables import Work
from tests.funds.conftest import deposit, spend
from tests.funds.scope_layer import caller_of, old_answer
from tests.funds.test_hot_reads import (  # noqa: F401 - fixtures
    Town,
    caller_clock_stopped,
    town,
)
from tests.support import World, add_user, created, login, statements_sent, unique

API = "/api/v1"

# Who may call each read (the others keep their 403).
ALLOWED = {
    "community": {"bureau", "auditor", "company", "committee", "contractor", "owner"},
    "buildings": {"bureau", "auditor", "company", "committee", "contractor", "owner"},
    "household": {"bureau", "auditor", "company", "committee", "owner"},
    "replenishment": {"bureau", "auditor", "company", "committee"},
}
PATHS = {
    "community": "/communities/{}",
    "buildings": "/communities/{}/buildings",
    "household": "/households/{}",
    "replenishment": "/communities/{}/fund/replenishment",
}


@pytest.fixture
async def scene(
    client: httpx.AsyncClient,
    world: World,
    town: Town,  # noqa: F811 - the fixture
) -> Town:
    """The town with three buildings, two households below the replenishment threshold,
    a contractor of a work in it, and companies on either side of the hand-over boundary
    (the last day of service and the day after) and with a draft contract."""
    bureau = world.h("bureau")
    for name in ("2号楼", "3号楼"):
        await created(
            await client.post(
                f"{API}/communities/{town.community}/buildings",
                json={"name": name, "floors": 11, "has_elevator": True},
                headers=bureau,
            )
        )
    h2 = town.households[2]
    await deposit(client, world, h2, "4500.00")
    await spend(h2, 400000)  # 500.00 < 1,350.00
    tag = unique("")

    async def org(kind: str) -> str:
        body = {"kind": kind, "name": f"{kind} {unique('')}"}
        response = await client.post(f"{API}/organizations", json=body, headers=bureau)
        return str((await created(response))["id"])

    contractor = await org("contractor")
    await Work.insert(
        Work(
            district=world.district_id,
            community=uuid.UUID(town.community),
            contractor=uuid.UUID(contractor),
            title="外墙修缮",
            accepted_on=date(2025, 6, 30),
            created_at=now(),
        )
    )
    users = {"town-contractor": contractor}
    for name, status, ends_on in (
        ("handover-last-day", "handover", today()),
        ("handover-day-after", "handover", today() - timedelta(days=1)),
        ("handover-open", "handover", None),
        ("draft-company", "draft", date(2029, 12, 31)),
    ):
        company = await org("company")
        await Contract.insert(
            Contract(
                district=world.district_id,
                community=uuid.UUID(town.community),
                company=uuid.UUID(company),
                mode="market",
                status=status,
                starts_on=date(2022, 1, 1),
                ends_on=ends_on,
                handover_since=date(2025, 1, 1) if status == "handover" else None,
                created_at=now(),
            )
        )
        users[name] = company
    for name, org_id in users.items():
        role = "contractor" if name == "town-contractor" else "company"
        await add_user(client, bureau, username=f"{name}-{tag}", role=role, org_id=org_id)
        town.headers[name] = await login(client, f"{name}-{tag}")
    town.headers["world-owner2"] = world.h("owner2")
    town.headers["world-contractor"] = world.h("contractor")
    return town


def ids_of(place: Town, world: World) -> dict[str, list[str]]:
    communities = [place.community, world.ids["CA"], world.ids["CB"]]
    households = [*place.households, world.ids["h1"], world.ids["h3"], world.ids["h4"]]
    return {
        "community": communities,
        "buildings": communities,
        "household": households,
        "replenishment": communities,
    }


async def get(client: httpx.AsyncClient, path: str, headers: dict[str, str]) -> httpx.Response:
    return await client.get(f"{API}{path}", headers=headers)


async def test_every_role_gets_the_old_answer_byte_for_byte(
    client: httpx.AsyncClient, scene: Town, world: World
) -> None:
    ids = ids_of(scene, world)
    seen: dict[str, set[str]] = {"200": set(), "404": set(), "403": set()}
    for role, headers in scene.headers.items():
        caller = await caller_of(client, headers)
        scope = await resolve_scope(caller)
        for read, template in PATHS.items():
            missing = await get(client, template.format(uuid.uuid4()), headers)
            for ident in ids[read]:
                response = await get(client, template.format(ident), headers)
                if caller.role not in ALLOWED[read]:
                    assert response.status_code == 403, (role, read)
                    seen["403"].add(read)
                    continue
                old = await old_answer(scope, read, ident, Paging(limit=50, after=None))
                if old is None:
                    assert response.status_code == 404, (role, read, ident)
                    assert missing.status_code == 404
                    assert response.content == missing.content, (role, read)
                    assert response.headers["content-type"] == missing.headers["content-type"]
                    seen["404"].add(read)
                else:
                    assert response.status_code == 200, (role, read, response.text)
                    assert response.content == old, (role, read, ident)
                    seen["200"].add(read)
    # Each read was seen visible and hidden, and the refused ones refused.
    assert seen["200"] == seen["404"] == set(PATHS)
    assert seen["403"] == set(PATHS)
    # The hand-over boundary, spelt out: the old company sees the town on its last day of
    # service and while no successor has started, not the day after; a draft does not.
    for role, status in (
        ("handover-last-day", 200),
        ("handover-open", 200),
        ("handover-day-after", 404),
        ("draft-company", 404),
        ("town-contractor", 200),
        ("world-contractor", 404),
    ):
        response = await get(client, f"/communities/{scene.community}", scene.headers[role])
        assert response.status_code == status, role
        response = await get(
            client, f"/communities/{scene.community}/buildings", scene.headers[role]
        )
        assert response.status_code == status, role


async def test_the_lists_page_as_before(
    client: httpx.AsyncClient, scene: Town, world: World
) -> None:
    for role in ("bureau", "company", "committee", "handover-last-day", "town-contractor"):
        headers = scene.headers[role]
        scope = await resolve_scope(await caller_of(client, headers))
        for read in ("buildings", "replenishment"):
            if role == "town-contractor" and read == "replenishment":
                continue
            path = PATHS[read].format(scene.community)
            cursor: str | None = None
            pages = 0
            while True:
                suffix = f"&cursor={cursor}" if cursor else ""
                response = await get(client, f"{path}?limit=1{suffix}", headers)
                assert response.status_code == 200, (role, read, response.text)
                paging = Paging(limit=1, after=decode_cursor(cursor) if cursor else None)
                assert response.content == await old_answer(scope, read, scene.community, paging)
                pages += 1
                cursor = response.json()["next_cursor"]
                if cursor is None:
                    break
            assert pages == (3 if read == "buildings" else 2), (role, read)
    bureau = scene.headers["bureau"]
    buildings = (await get(client, PATHS["buildings"].format(scene.community), bureau)).json()
    assert [b["name"] for b in sorted(buildings["items"], key=lambda b: b["name"])] == [
        "1号楼",
        "2号楼",
        "3号楼",
    ]
    assert [b["id"] for b in buildings["items"]] == sorted(b["id"] for b in buildings["items"])
    listed = (await get(client, PATHS["replenishment"].format(scene.community), bureau)).json()
    assert sorted(i["household_id"] for i in listed["items"]) == sorted(scene.households[1:])
    # 810.00 - 700.60 and 1,350.00 - 501.00 (the 2.40 income spread by floor area).
    assert {i["owed"] for i in listed["items"]} == {"109.40", "849.00"}
    # A community without buildings or without anyone below the threshold: an empty page.
    empty = await created(
        await client.post(
            f"{API}/communities",
            json={
                "area_id": world.ids["area"],
                "name": "空小区",
                "code": unique("E"),
                "built_year": 2001,
                "deposit_rate_per_m2": "45.00",
            },
            headers=bureau,
        )
    )
    for read in ("buildings", "replenishment"):
        response = await get(client, PATHS[read].format(empty["id"]), bureau)
        assert response.content == b'{"items":[],"next_cursor":null}', read


async def test_cursors_and_limits_are_checked_as_before(
    client: httpx.AsyncClient, scene: Town
) -> None:
    """A malformed cursor: 422 for a visible community, the missing community's 404 for a
    hidden one (the scope came first); limits 1-500."""
    bad = "eHl6"  # base64 of "xyz"
    reference = await get(client, f"/communities?cursor={bad}", scene.headers["bureau"])
    assert reference.status_code == 422
    for read in ("buildings", "replenishment"):
        path = PATHS[read].format(scene.community)
        refused = await get(client, f"{path}?cursor={bad}", scene.headers["bureau"])
        assert refused.status_code == 422, refused.text
        # The problem every list gives for a cursor that names no row of its kind.
        assert refused.content == reference.content
        hidden = await get(client, f"{path}?cursor={bad}", scene.headers["world-committee"])
        missing = await get(
            client,
            f"{PATHS[read].format(uuid.uuid4())}?cursor={bad}",
            scene.headers["world-committee"],
        )
        assert hidden.status_code == missing.status_code == 404
        assert hidden.content == missing.content
        for limit, status in ((1, 200), (500, 200), (0, 422), (501, 422)):
            response = await get(client, f"{path}?limit={limit}", scene.headers["bureau"])
            assert response.status_code == status, (read, limit)
        # A cursor naming a household or building elsewhere starts after it, here only.
        page = await get(
            client, f"{path}?cursor={encode_cursor(uuid.UUID(int=0))}", scene.headers["bureau"]
        )
        assert page.status_code == 200
        assert page.json()["items"]
    # Malformed ids: the same not-found answer as before.
    for template in PATHS.values():
        response = await get(client, template.format("not-a-uuid"), scene.headers["bureau"])
        assert response.status_code == 404
        assert response.json()["detail"] == "对象不存在，或不在您的权限范围内。"


@pytest.mark.usefixtures("caller_clock_stopped")
async def test_each_read_is_one_statement(
    client: httpx.AsyncClient, scene: Town, world: World
) -> None:
    """With the caller cached, each read sends exactly one statement, visible or not."""
    ids = ids_of(scene, world)
    counts: dict[tuple[str, str, str], int] = {}
    for role in (
        "bureau",
        "auditor",
        "company",
        "committee",
        "owner",
        "town-contractor",
        "handover-last-day",
        "handover-day-after",
        "world-owner",
        "world-company",
    ):
        headers = scene.headers[role]
        caller = await caller_of(client, headers)
        for read, template in PATHS.items():
            if caller.role not in ALLOWED[read]:
                continue
            for ident in [ids[read][0], ids[read][-1], str(uuid.uuid4())]:
                await get(client, "/auth/me", headers)  # the caller into the cache
                with statements_sent() as sent:
                    response = await get(client, template.format(ident), headers)
                assert response.status_code in (200, 404), (role, read, response.text)
                counts[(role, read, ident)] = len(sent)
    assert counts == dict.fromkeys(counts, 1), counts


async def test_the_scope_layer_check_is_gone_from_these_routes(
    client: httpx.AsyncClient, scene: Town
) -> None:
    """The routes no longer resolve a Scope (the dependency ran its own query)."""
    import service.auth.scope as scope_module

    calls: list[Any] = []
    original = scope_module.resolve_scope

    async def spy(caller: Caller) -> Scope:
        calls.append(caller)
        return await original(caller)

    import service.http as http

    http_original = http.resolve_scope
    http.resolve_scope = spy  # type: ignore[assignment]
    try:
        for read, template in PATHS.items():
            ident = scene.households[0] if read == "household" else scene.community
            response = await get(client, template.format(ident), scene.headers["company"])
            assert response.status_code == 200, read
    finally:
        http.resolve_scope = http_original  # type: ignore[assignment]
    assert calls == []
