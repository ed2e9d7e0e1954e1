"""Works register through the API: components, statutory minimums, retention, scope."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import httpx

from service.clock import today
from service.warranty import rules
from tests.support import World, assert_list_contract
from tests.warranty.conftest import API, Rival, Site, add_work, report


async def test_a_work_lists_its_components_with_their_warranty_ends(
    client: httpx.AsyncClient, world: World
) -> None:
    work = await add_work(
        client,
        world,
        date(2021, 6, 30),
        [
            {"category": "roofing"},
            {"category": "heating"},
            {"category": "other", "warranty_years": 3},
        ],
        construction_unit="老城区住建局",
        defects_liability_months=24,
    )
    ends = {c["category"]: c["warranty_until"] for c in work["components"]}
    assert ends == {"roofing": "2026-06-30", "heating": "2023-03-15", "other": "2024-07-01"}
    assert work["construction_unit"] == "老城区住建局"
    assert work["settlement_amount"] == "1000000.00"
    assert work["defects_liability_end"] == "2023-06-30"
    read = await client.get(f"{API}/works/{work['id']}", headers=world.h("committee"))
    assert read.status_code == 200 and read.json()["components"] == work["components"]


async def test_a_warranty_shorter_than_the_statutory_minimum_is_refused_naming_the_component(
    client: httpx.AsyncClient, world: World
) -> None:
    body = {
        "community_id": world.ids["CA"],
        "title": "屋面",
        "contractor_id": world.ids["org_contractor"],
        "accepted_on": "2022-06-30",
        "settlement_amount": "100000.00",
        "components": [{"category": "electrical"}, {"category": "roofing", "warranty_years": 1}],
    }
    r = await client.post(f"{API}/works", json=body, headers=world.h("bureau"))
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == ["components[1].warranty_years"]
    assert "5 年" in r.json()["errors"][0]["message"]


async def test_retention_above_three_percent_of_the_settlement_is_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    body = {
        "community_id": world.ids["CA"],
        "title": "外墙",
        "contractor_id": world.ids["org_contractor"],
        "accepted_on": "2022-06-30",
        "settlement_amount": "100000.00",
        "retention_amount": "3000.01",
        "components": [{"category": "exterior_wall"}],
    }
    r = await client.post(f"{API}/works", json=body, headers=world.h("bureau"))
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "retention_amount"
    body["retention_amount"] = "3000.00"
    assert (
        await client.post(f"{API}/works", json=body, headers=world.h("bureau"))
    ).status_code == 201


async def test_bad_categories_buildings_and_contractors_are_named(
    client: httpx.AsyncClient, world: World
) -> None:
    body = {
        "community_id": world.ids["CA"],
        "title": "杂项",
        "contractor_id": world.ids["org_company"],
        "accepted_on": "2022-06-30",
        "settlement_amount": "100.00",
        "components": [{"category": "garden"}, {"category": "other"}],
        "building_ids": [world.ids["CB-1"]],
    }
    r = await client.post(f"{API}/works", json=body, headers=world.h("bureau"))
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {
        "components[0].category",
        "components[1].warranty_years",
        "contractor_id",
        "building_ids[0]",
    }


async def test_only_the_bureau_registers_works(client: httpx.AsyncClient, world: World) -> None:
    r = await client.post(f"{API}/works", json={}, headers=world.h("company"))
    assert r.status_code == 403


async def test_a_contractor_sees_only_its_own_works(
    client: httpx.AsyncClient, world: World, site: Site, rival: Rival
) -> None:
    mine = await client.get(f"{API}/works?limit=500", headers=world.h("contractor"))
    ids = {w["id"] for w in mine.json()["items"]}
    assert site.recent["id"] in ids and rival.work["id"] not in ids
    other = await client.get(f"{API}/works/{rival.work['id']}", headers=world.h("contractor"))
    assert other.status_code == 404
    # The company of CA does not see a work in CB either.
    assert (
        await client.get(f"{API}/works/{rival.work['id']}", headers=world.h("company"))
    ).status_code == 404


async def test_retention_is_releasable_after_the_defects_liability_end_with_no_open_ticket(
    client: httpx.AsyncClient, world: World
) -> None:
    work = await add_work(
        client,
        world,
        today() - timedelta(days=800),
        [{"category": "decoration"}],
        retention_amount="30000.00",
        building_ids=[world.ids["CA-1"]],
    )
    r = await client.get(f"{API}/works/{work['id']}/retention", headers=world.h("bureau"))
    assert r.status_code == 200
    assert r.json()["state"] == "releasable" and r.json()["retention_amount"] == "30000.00"
    end = date.fromisoformat(r.json()["defects_liability_end"])
    before_end = await client.get(
        f"{API}/works/{work['id']}/retention?on={end.isoformat()}", headers=world.h("bureau")
    )
    assert before_end.json()["state"] == "held"


async def test_warranty_ends_within_90_and_30_days_are_listed_per_community(
    client: httpx.AsyncClient, world: World
) -> None:
    accepted = date(2021, 12, 20)  # roofing until Monday 2026-12-21, electrical long over
    work = await add_work(
        client, world, accepted, [{"category": "roofing"}, {"category": "electrical"}]
    )
    on = date(2026, 11, 26)
    r = await client.get(
        f"{API}/communities/{world.ids['CA']}/warranty-ends?within=90&on={on}",
        headers=world.h("committee"),
    )
    assert r.status_code == 200
    mine = [e for e in r.json()["items"] if e["work_id"] == work["id"]]
    assert [(e["category"], e["warranty_until"], e["within_30_days"]) for e in mine] == [
        ("roofing", "2026-12-21", True)
    ]
    later = await client.get(
        f"{API}/communities/{world.ids['CA']}/warranty-ends?within=30&on=2026-10-01",
        headers=world.h("committee"),
    )
    assert work["id"] not in {e["work_id"] for e in later.json()["items"]}
    outside = await client.get(
        f"{API}/communities/{world.ids['CB']}/warranty-ends", headers=world.h("committee")
    )
    assert outside.status_code == 404


async def test_warranty_ends_come_in_pages_soonest_first(
    client: httpx.AsyncClient, world: World
) -> None:
    """Three parts of one work end on the same day (the order falls back to the part),
    a second work's a fortnight earlier."""
    five_years = [{"category": c} for c in ("roofing", "wet_rooms", "exterior_wall")]
    await add_work(client, world, date(2023, 3, 1), five_years)
    await add_work(client, world, date(2023, 2, 15), five_years[:2])
    path = f"{API}/communities/{world.ids['CA']}/warranty-ends"
    ends = await assert_list_contract(
        client, path, world.h("committee"), key="component_id", on="2028-01-01", within=365
    )
    assert len(ends) >= 5
    assert [e["warranty_until"] for e in ends] == sorted(e["warranty_until"] for e in ends)
    for community in (world.ids["CB"], "00000000-0000-0000-0000-000000000000"):
        outside = await client.get(
            f"{API}/communities/{community}/warranty-ends", headers=world.h("committee")
        )
        assert outside.status_code == 404


async def test_warranty_ends_near_the_last_calendar_day_is_an_answer_not_a_server_error(
    client: httpx.AsyncClient, world: World
) -> None:
    """A window reaching past 9999-12-31 would leave the calendar: a day outside the years
    a request may name (``clock.within_calendar``) is a 422 naming ``on``, not a 500; the
    last day it may name, with the longest window, is an answer."""
    path = f"{API}/communities/{world.ids['CA']}/warranty-ends"
    for params in ({"on": "9999-12-31"}, {"on": "9999-12-01", "within": 3650}):
        answer = await client.get(path, params=params, headers=world.h("committee"))
        assert answer.status_code == 422, (params, answer.text)
        assert [e["field"] for e in answer.json()["errors"]] == ["on"], answer.text
    answer = await client.get(
        path, params={"on": "2199-12-31", "within": 3650}, headers=world.h("committee")
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"items": [], "next_cursor": None}


async def test_the_district_policy_sets_due_times_and_seasons(
    client: httpx.AsyncClient, world: World
) -> None:
    default = await client.get(f"{API}/repair-policy", headers=world.h("company"))
    assert default.json()["emergency_hours"] == rules.DEFAULT_DUE_HOURS["emergency"]
    assert (
        await client.put(f"{API}/repair-policy", json={}, headers=world.h("company"))
    ).status_code == 403
    bad = await client.put(
        f"{API}/repair-policy", json={"heating_start": "13-01"}, headers=world.h("bureau")
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "heating_start"
    bureau = world.h("bureau")
    changed = await client.put(
        f"{API}/repair-policy",
        json={"normal_hours": 48, "heating_start": "11-01", "heating_end": "03-31"},
        headers=bureau,
    )
    assert changed.status_code == 200 and changed.json()["normal_hours"] == 48
    try:
        work = await add_work(client, world, date(2021, 10, 1), [{"category": "heating"}])
        assert work["components"][0]["warranty_until"] == "2023-03-31"
        ticket = await report(client, world, "committee", category="other")
        reported = datetime.fromisoformat(ticket["reported_at"])
        assert datetime.fromisoformat(ticket["due_at"]) - reported == timedelta(hours=48)
    finally:
        await client.put(f"{API}/repair-policy", json={}, headers=bureau)
    assert (await client.get(f"{API}/repair-policy", headers=bureau)).json()["normal_hours"] == 168


async def test_the_defects_liability_period_is_at_most_two_years(
    client: httpx.AsyncClient, world: World
) -> None:
    body = {
        "community_id": world.ids["CA"],
        "title": "给排水管道",
        "contractor_id": world.ids["org_contractor"],
        "accepted_on": "2023-03-31",
        "settlement_amount": "50000.00",
        "components": [{"category": "plumbing"}],
        "defects_liability_months": 25,
    }
    refused = await client.post(f"{API}/works", json=body, headers=world.h("bureau"))
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "defects_liability_months"
    body["defects_liability_months"] = 24
    accepted = await client.post(f"{API}/works", json=body, headers=world.h("bureau"))
    assert accepted.status_code == 201
    assert accepted.json()["defects_liability_end"] == "2025-03-31"
