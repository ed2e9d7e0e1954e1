"""The working-day calendar through the API: the State Council's arrangements from the
`holidays` package, the district's overrides as audited data, and warranty ends that
follow them (Civil Code art. 203); contract terms stricter than the law."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import httpx

from service.audit.tables import AuditEntry
from service.warranty.tables import WorkComponent
from service.warranty.workdays import refresh_all_warranty_ends
from tests.support import World, all_items, assert_list_contract, created, unique
from tests.warranty.conftest import API


async def fresh_community(client: httpx.AsyncClient, world: World) -> str:
    community = await created(
        await client.post(
            f"{API}/communities",
            json={
                "area_id": world.ids["area"],
                "name": "日历小区",
                "code": unique("D"),
                "built_year": 1992,
                "deposit_rate_per_m2": "45.00",
            },
            headers=world.h("bureau"),
        )
    )
    return str(community["id"])


async def register(
    client: httpx.AsyncClient,
    world: World,
    community: str,
    accepted_on: date,
    components: list[dict[str, Any]],
) -> httpx.Response:
    return await client.post(
        f"{API}/works",
        json={
            "community_id": community,
            "title": "改造工程",
            "contractor_id": world.ids["org_contractor"],
            "accepted_on": accepted_on.isoformat(),
            "settlement_amount": "500000.00",
            "components": components,
        },
        headers=world.h("bureau"),
    )


def ends(work: dict[str, Any]) -> dict[str, str]:
    return {c["category"]: c["warranty_until"] for c in work["components"]}


async def test_the_calendar_knows_2025s_arrangements_and_make_up_days(
    client: httpx.AsyncClient, world: World
) -> None:
    owner = world.h("owner1")
    sunday = (await client.get(f"{API}/workdays/2025-01-26", headers=owner)).json()
    assert sunday["working"] is True and sunday["national_working"] is True
    national_day = (await client.get(f"{API}/workdays/2025-10-08", headers=owner)).json()
    assert national_day["working"] is False and national_day["period_ends_on"] == "2025-10-09"
    eve = (await client.get(f"{API}/workdays/2025-01-28", headers=owner)).json()
    assert eve["working"] is False and eve["period_ends_on"] == "2025-02-05"
    later = (await client.get(f"{API}/workdays/2035-10-01", headers=owner)).json()
    assert later["working"] is False and later["period_ends_on"] == "2035-10-04"


async def test_the_roof_accepted_on_2021_11_30_is_under_warranty_through_monday_2026_11_30(
    client: httpx.AsyncClient, world: World
) -> None:
    community = await fresh_community(client, world)
    work = await created(
        await register(client, world, community, date(2021, 11, 30), [{"category": "roofing"}])
    )
    assert ends(work) == {"roofing": "2026-11-30"}
    assert date(2026, 11, 30).weekday() == 0


async def test_a_district_override_moves_a_stored_warranty_end_and_back(
    client: httpx.AsyncClient, world: World
) -> None:
    community = await fresh_community(client, world)
    work = await created(
        await register(client, world, community, date(2021, 11, 30), [{"category": "roofing"}])
    )
    bureau = world.h("bureau")
    body = {"day": "2026-11-30", "working": False, "note": "区政府通知：全区停工一日"}
    assert (
        await client.post(f"{API}/workdays/overrides", json=body, headers=world.h("company"))
    ).status_code == 403
    response = await client.post(f"{API}/workdays/overrides", json=body, headers=bureau)
    assert response.status_code == 201, response.text
    override = response.json()
    try:
        moved = (await client.get(f"{API}/works/{work['id']}", headers=bureau)).json()
        assert ends(moved) == {"roofing": "2026-12-01"}
        day = (await client.get(f"{API}/workdays/2026-11-30", headers=bureau)).json()
        assert day == {
            "day": "2026-11-30",
            "working": False,
            "national_working": True,
            "overridden": True,
            "period_ends_on": "2026-12-01",
        }
        twice = await client.post(f"{API}/workdays/overrides", json=body, headers=bureau)
        assert twice.status_code == 409
        listed = await all_items(client, f"{API}/workdays/overrides", world.h("auditor"), year=2026)
        assert override["id"] in {o["id"] for o in listed}
        logged = await AuditEntry.select(AuditEntry.action).where(
            AuditEntry.entity_id == override["id"]
        )
        assert {e["action"] for e in logged} == {"workday_override.set"}
    finally:
        removed = await client.delete(f"{API}/workdays/overrides/{override['id']}", headers=bureau)
    assert removed.status_code == 204, removed.text
    back = (await client.get(f"{API}/works/{work['id']}", headers=bureau)).json()
    assert ends(back) == {"roofing": "2026-11-30"}
    gone = await client.delete(f"{API}/workdays/overrides/{override['id']}", headers=bureau)
    assert gone.status_code == 404


async def test_the_district_overrides_come_in_pages_by_day(
    client: httpx.AsyncClient, world: World
) -> None:
    """Days of 2099, which no warranty of these tests reaches."""
    bureau = world.h("bureau")
    made = []
    for day in ("2099-05-04", "2099-01-02", "2099-10-08"):
        body = {"day": day, "working": day != "2099-01-02", "note": "测试用调整"}
        made.append(
            await created(await client.post(f"{API}/workdays/overrides", json=body, headers=bureau))
        )
    try:
        listed = await assert_list_contract(
            client, f"{API}/workdays/overrides", world.h("company"), year=2099
        )
        assert [o["day"] for o in listed] == ["2099-01-02", "2099-05-04", "2099-10-08"]
    finally:
        for override in made:
            await client.delete(f"{API}/workdays/overrides/{override['id']}", headers=bureau)


async def test_a_weekend_declared_a_working_day_ends_a_period_on_it(
    client: httpx.AsyncClient, world: World
) -> None:
    community = await fresh_community(client, world)
    bureau = world.h("bureau")
    # A roof accepted 2021-06-06: five years end on Saturday 2026-06-06, which moves to
    # Monday the 8th nationally — unless the district works that Saturday.
    body = {"day": "2026-06-06", "working": True, "note": "本区调休上班"}
    response = await client.post(f"{API}/workdays/overrides", json=body, headers=bureau)
    assert response.status_code == 201, response.text
    try:
        work = await created(
            await register(client, world, community, date(2021, 6, 6), [{"category": "roofing"}])
        )
        assert ends(work) == {"roofing": "2026-06-06"}
    finally:
        await client.delete(f"{API}/workdays/overrides/{response.json()['id']}", headers=bureau)
    again = (await client.get(f"{API}/works/{work['id']}", headers=bureau)).json()
    assert ends(again) == {"roofing": "2026-06-08"}


async def test_structure_takes_the_stated_design_life_and_other_a_term_under_a_year(
    client: httpx.AsyncClient, world: World
) -> None:
    community = await fresh_community(client, world)
    work = await created(
        await register(
            client,
            world,
            community,
            date(2022, 3, 1),
            [
                {"category": "structure", "warranty_years": 25},
                {"category": "other", "warranty_months": 6},
                {"category": "roofing", "warranty_years": 5, "warranty_months": 6},
            ],
        )
    )
    assert ends(work) == {
        "structure": "2047-03-01",
        "other": "2022-09-01",
        "roofing": "2027-09-01",
    }
    other = next(c for c in work["components"] if c["category"] == "other")
    assert other["warranty_months"] == 6 and other["warranty_years"] is None
    default = await created(
        await register(client, world, community, date(2022, 3, 2), [{"category": "structure"}])
    )
    assert ends(default) == {"structure": "2072-03-02"}


async def test_terms_below_a_statutory_minimum_or_not_positive_are_refused_naming_the_field(
    client: httpx.AsyncClient, world: World
) -> None:
    community = await fresh_community(client, world)
    for component, field in (
        ({"category": "structure", "warranty_years": 0}, "warranty_years"),
        ({"category": "structure", "warranty_years": 50, "warranty_months": 3}, "warranty_months"),
        ({"category": "other"}, "warranty_years"),
        ({"category": "other", "warranty_months": 0}, "warranty_months"),
        ({"category": "roofing", "warranty_years": 4, "warranty_months": 11}, "warranty_years"),
        ({"category": "electrical", "warranty_months": 23}, "warranty_months"),
    ):
        response = await register(client, world, community, date(2022, 3, 1), [component])
        assert response.status_code == 422, (component, response.text)
        assert response.json()["errors"][0]["field"] == f"components[0].{field}"


async def test_refreshing_every_end_restores_what_the_calendar_says(
    client: httpx.AsyncClient, world: World
) -> None:
    # What `changxiao warranty refresh-ends` does after the holidays package is upgraded.
    community = await fresh_community(client, world)
    work = await created(
        await register(client, world, community, date(2020, 1, 25), [{"category": "roofing"}])
    )
    assert ends(work) == {"roofing": "2025-01-26"}  # Saturday's period ends the make-up Sunday
    component = UUID(work["components"][0]["id"])
    # As if stored by a calendar that did not know the 2025 arrangement.
    await WorkComponent.update({WorkComponent.warranty_until: date(2025, 1, 27)}).where(
        WorkComponent.id == component
    )
    moved = await refresh_all_warranty_ends()
    assert moved[world.district_id] >= 1
    again = (await client.get(f"{API}/works/{work['id']}", headers=world.h("bureau"))).json()
    assert ends(again) == {"roofing": "2025-01-26"}
    assert (await refresh_all_warranty_ends())[world.district_id] == 0
