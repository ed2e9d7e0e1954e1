"""The Laocheng demo district has exactly the plan's shape (DOMAIN.md "Scale").

The demo is seeded once for this module, as a district of its own beside the shared
test district, with its own usernames.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from piccolo.query.functions.aggregate import Count, Max, Min

from service.audit.tables import AuditEntry
from service.auth.bootstrap import ensure_bureau
from service.config import get_settings
from service.contracts.tables import Contract
from service.errors import Conflict
from service.registry.demo import (
    DEMO_LOGINS,
    DemoPlan,
    DemoRefused,
    allocate,
    build_demo,
    building_layouts,
    seed_demo,
    seed_demo_district,
)
from service.registry.rules import id_digest, mask_id_no, normalise_id_no
from service.registry.tables import Area, Building, Community, Household, Owner, Ownership
from service.warranty.tables import Work
from tests.support import login


@dataclass
class Demo:
    plan: DemoPlan
    suffix: str
    code: str
    seconds: float

    async def headers(self, client: httpx.AsyncClient, who: str) -> dict[str, str]:
        username, password = DEMO_LOGINS[who]
        return await login(client, username + self.suffix, password)


@pytest.fixture(scope="module")
async def demo(client: httpx.AsyncClient) -> Demo:
    # The shared test district must stay the first district (ensure_bureau picks it).
    await ensure_bureau()
    tag = uuid.uuid4().hex[:8]
    started = time.perf_counter()
    plan = await seed_demo_district(
        district_code=f"DEMO{tag}",
        district_name="演示区",
        username_suffix=f"-{tag}",
        promise_first_deposits=False,
    )
    return Demo(plan, f"-{tag}", f"DEMO{tag}", time.perf_counter() - started)


async def all_pages(
    client: httpx.AsyncClient, path: str, headers: dict[str, str]
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, str | int] = {"limit": 50}
        if cursor:
            params["cursor"] = cursor
        response = await client.get(path, params=params, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items


async def test_seeding_the_demo_reports_its_time(demo: Demo) -> None:
    """Speed belongs to ``make bench`` (the demo seed is timed there); here only that it ran."""
    print(f"demo district seeded in {demo.seconds:.2f} s")
    assert demo.seconds > 0


async def test_demo_lists_126_communities_holding_16219_households(
    client: httpx.AsyncClient, demo: Demo
) -> None:
    bureau = await demo.headers(client, "bureau")
    communities = await all_pages(client, "/api/v1/communities", bureau)
    assert len(communities) == 126
    assert len({c["id"] for c in communities}) == 126
    assert sum(c["households"] for c in communities) == 16219
    assert {c["deposit_rate_per_m2"] for c in communities} == {"45.00"}
    assert all(c["built_year"] <= 2005 for c in communities)
    assert sum(c["built_year"] <= 2000 for c in communities) > 110


async def test_demo_has_11_areas_of_2021_with_8386_households_and_9_of_2022_with_7833(
    client: httpx.AsyncClient, demo: Demo
) -> None:
    bureau = await demo.headers(client, "bureau")
    areas = await all_pages(client, "/api/v1/areas", bureau)
    assert len(areas) == 20
    year_of = {a["id"]: a["renovation_year"] for a in areas}
    assert Counter(year_of.values()) == {2021: 11, 2022: 9}
    households: Counter[int] = Counter()
    for community in await all_pages(client, "/api/v1/communities", bureau):
        households[year_of[community["area_id"]]] += community["households"]
    assert households == {2021: 8386, 2022: 7833}


async def test_demo_floor_areas_lie_between_40_and_140_m2(demo: Demo) -> None:
    row = await Household.select(
        Min(Household.floor_area, alias="low"),
        Max(Household.floor_area, alias="high"),
        Count(Household.id, alias="n"),
    ).where(Household.district == demo.plan.district_id)
    assert row[0]["n"] == 16219
    assert row[0]["low"] >= 4000 and row[0]["high"] <= 14000


async def test_demo_buildings_have_5_to_7_floors_and_2_flats_a_floor(demo: Demo) -> None:
    buildings = await Building.select(Building.id, Building.floors, Building.has_elevator).where(
        Building.community.district == demo.plan.district_id
    )
    assert {b["floors"] for b in buildings} <= {5, 6, 7}
    assert not any(b["has_elevator"] for b in buildings)
    rooms = await Household.select(Household.room_no).where(
        Household.district == demo.plan.district_id
    )
    assert {r["room_no"][-2:] for r in rooms} == {"01", "02"}
    assert {int(r["room_no"][:-2]) for r in rooms} <= set(range(1, 8))


async def test_every_demo_community_has_one_live_contract_and_one_accepted_work(
    demo: Demo,
) -> None:
    district = demo.plan.district_id
    contracts = await Contract.select(Contract.community, Contract.mode, Contract.status).where(
        Contract.district == district
    )
    assert len({c["community"] for c in contracts}) == len(contracts) == 126
    assert {c["status"] for c in contracts} == {"live"}
    assert {c["mode"] for c in contracts} == {"market", "guaranteed", "self"}
    works = await Work.select(
        Work.community, Work.accepted_on, Work.community.area.renovation_year.as_alias("year")
    ).where(Work.district == district)
    assert len({w["community"] for w in works}) == len(works) == 126
    assert all(w["accepted_on"].year == w["year"] for w in works)


async def test_demo_owners_are_stored_as_digests_with_open_ownerships(demo: Demo) -> None:
    district = demo.plan.district_id
    planned = demo.plan.rows("owner")[0]
    stored = await Owner.select().where(Owner.id == planned["id"]).first()
    assert stored is not None
    assert stored["id_digest"] == id_digest(planned["id_no"], get_settings().id_pepper)
    assert stored["id_masked"] == mask_id_no(planned["id_no"])
    assert await Owner.count().where(Owner.district == district) == len(demo.plan.rows("owner"))
    open_rows = await Ownership.count().where(
        (Ownership.household.district == district) & Ownership.until.is_null()
    )
    assert open_rows == 16219


async def test_demo_owner_sees_exactly_its_two_households(
    client: httpx.AsyncClient, demo: Demo
) -> None:
    owner = await demo.headers(client, "owner")
    mine = {str(h) for h in demo.plan.demo_owner_households}
    communities = await all_pages(client, "/api/v1/communities", owner)
    seen: set[str] = set()
    for community in communities:
        households = await all_pages(
            client, f"/api/v1/communities/{community['id']}/households", owner
        )
        seen |= {h["id"] for h in households}
    assert seen == mine
    for household_id in mine:
        response = await client.get(f"/api/v1/households/{household_id}", headers=owner)
        assert response.status_code == 200
    neighbour = (
        await Household.select(Household.id)
        .where((Household.community == communities[0]["id"]) & Household.id.not_in(list(mine)))
        .first()
    )
    assert neighbour is not None
    response = await client.get(f"/api/v1/households/{neighbour['id']}", headers=owner)
    assert response.status_code == 404


async def test_demo_roles_log_in_and_see_their_part_of_the_district(
    client: httpx.AsyncClient, demo: Demo
) -> None:
    visible = {}
    for who in ("bureau2", "auditor", "company", "committee", "contractor"):
        communities = await all_pages(
            client, "/api/v1/communities", await demo.headers(client, who)
        )
        visible[who] = {c["id"] for c in communities}
    assert len(visible["bureau2"]) == len(visible["auditor"]) == 126
    assert len(visible["company"]) >= 5
    assert len(visible["committee"]) == 1
    assert visible["committee"] <= visible["company"]
    assert 10 <= len(visible["contractor"]) < 126


async def test_demo_seeding_is_audited_once(demo: Demo) -> None:
    entries = await AuditEntry.select(AuditEntry.after).where(
        (AuditEntry.action == "demo.seed") & (AuditEntry.entity_id == str(demo.plan.district_id))
    )
    assert len(entries) == 1
    assert entries[0]["after"]  # the counts


async def test_seeding_a_taken_district_code_is_refused_and_adds_nothing(demo: Demo) -> None:
    before = await Community.count()
    with pytest.raises(Conflict):
        await seed_demo_district(district_code=demo.code, username_suffix="-again")
    assert await Community.count() == before


async def test_the_demo_is_not_loaded_into_a_database_holding_a_district(demo: Demo) -> None:
    before = await Area.count()
    assert await seed_demo(if_empty=True) is False
    with pytest.raises(DemoRefused):
        await seed_demo()
    assert await Area.count() == before


def test_the_same_seed_builds_the_same_district() -> None:
    first, second = build_demo(), build_demo()
    for table in ("area", "community", "owner", "household", "contract"):
        assert first.rows(table) == second.rows(table)
    assert first.rows("owner")[0]["name"] == second.rows("owner")[0]["name"]
    other = build_demo(7)
    assert other.rows("owner")[0]["name"] != first.rows("owner")[0]["name"] or (
        other.rows("household")[0]["floor_area"] != first.rows("household")[0]["floor_area"]
    )


def test_demo_owners_carry_valid_laocheng_identity_numbers() -> None:
    owners = build_demo().rows("owner")
    numbers = [o["id_no"] for o in owners]
    assert len(set(numbers)) == len(numbers)
    assert all(n.startswith("410302") and normalise_id_no(n) == n for n in numbers)
    assert all(len(o["name"]) in (2, 3) and len(o["phone"]) == 11 for o in owners)


def test_about_five_percent_of_demo_owners_hold_two_flats() -> None:
    plan = build_demo()
    flats = Counter(h["owner"] for h in plan.rows("household"))
    assert set(flats.values()) == {1, 2}
    share = sum(1 for n in flats.values() if n == 2) / len(flats)
    assert 0.04 <= share <= 0.06
    demo_owner = {
        h["owner"] for h in plan.rows("household") if h["id"] in plan.demo_owner_households
    }
    assert len(demo_owner) == 1 and flats[demo_owner.pop()] == 2


def test_allocate_splits_exactly_and_respects_the_minimum() -> None:
    parts = allocate(8386, [0.3, 1.7, 1.0, 2.2, 0.9], 24)
    assert sum(parts) == 8386 and min(parts) >= 24


@pytest.mark.parametrize("flats", [24, 25, 57, 66, 67, 121, 383])
def test_building_layouts_hold_the_flats_with_few_left_off(flats: int) -> None:
    import random

    layouts, surplus = building_layouts(random.Random(flats), flats)
    assert sum(f * u * 2 for f, u in layouts) - surplus == flats
    assert 0 <= surplus < 8
    assert all(5 <= f <= 7 for f, _ in layouts)


async def test_the_demo_street_office_covers_every_eighth_area_and_inspects_only_those(
    client: httpx.AsyncClient, demo: Demo
) -> None:
    street = await demo.headers(client, "street")
    me = (await client.get("/api/v1/auth/me", headers=street)).json()
    assert me["role"] == "street"
    covered = await client.get(
        f"/api/v1/organizations/{me['org_id']}/areas", headers=await demo.headers(client, "bureau")
    )
    areas = covered.json()["area_ids"]
    assert len(areas) == 3  # 20 areas round 8 offices: the first gets areas 1, 9 and 17
    item = [{"code": "zheng_shopfront", "result": "met"}]
    mine = await client.post(
        "/api/v1/inspections", json={"area_id": areas[0], "items": item}, headers=street
    )
    assert mine.status_code == 201, mine.text
    other = next(str(a["id"]) for a in demo.plan.rows("area") if str(a["id"]) not in areas)
    theirs = await client.post(
        "/api/v1/inspections", json={"area_id": other, "items": item}, headers=street
    )
    assert theirs.status_code == 404, theirs.text
