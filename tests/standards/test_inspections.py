"""Inspections through the API: a not-met item opens a rectification task routed to the
right party with a due date in working days; a repeat inspection finding it met closes
it; the catalogue is the seed's and a district adds its own items."""

from __future__ import annotations

from datetime import timedelta

import httpx

from service.clock import today
from service.standards.rules import add_working_days
from service.warranty.workdays import national_calendar
from tests.standards.estate import (
    API,
    fresh_area,
    fresh_community,
    inspect,
    organization,
)
from tests.support import World, created


async def test_the_catalogue_is_the_seeds_groups_for_communities_and_areas(
    client: httpx.AsyncClient, world: World
) -> None:
    body = (await client.get(f"{API}/standards", headers=world.h("committee"))).json()
    groups = {(i["level"], i["group_name"]) for i in body["items"]}
    assert groups == {
        ("community", "三入"),
        ("community", "四通"),
        ("community", "四有"),
        ("community", "两整"),
        ("area", "三合"),
        ("area", "三整"),
        ("area", "九有"),
    } | {(i["level"], i["group_name"]) for i in body["items"] if i["district_own"]}
    nine = [i for i in body["items"] if i["group"] == "jiu_you"]
    assert len(nine) == 9
    assert {"code", "name", "level", "group"} <= set(body["items"][0])


async def test_a_not_met_item_opens_a_task_for_each_responsible_party(
    client: httpx.AsyncClient, world: World
) -> None:
    community = await fresh_community(client, world)
    water = await organization(client, world, "operator", "洛阳水务")
    street = await organization(client, world, "street", "西南隅街道")
    # A renovation with intelligent-security wiring, accepted a year ago: under warranty.
    await created(
        await client.post(
            f"{API}/works",
            json={
                "community_id": community,
                "title": "安防改造",
                "contractor_id": world.ids["org_contractor"],
                "accepted_on": (today() - timedelta(days=365)).isoformat(),
                "settlement_amount": "100000.00",
                "components": [{"category": "electrical"}],
            },
            headers=world.h("bureau"),
        )
    )
    on = today() - timedelta(days=1)
    response = await inspect(
        client,
        world,
        {"community_id": community},
        [
            {"code": "tong_water", "result": "not_met", "operator_id": water, "note": "水压不足"},
            {"code": "you_security", "result": "not_met", "photos": ["gate.jpg"]},
            {"code": "you_refuse", "result": "not_met"},
            {"code": "tong_gas", "result": "not_met"},
            {"code": "zheng_road", "result": "met"},
            {"code": "tong_heat", "result": "na"},
        ],
        inspected_on=on.isoformat(),
        street_office_id=street,
    )
    body = await created(response)
    tasks = {t["code"]: t for t in body["tasks"]}
    assert set(tasks) == {"tong_water", "you_security", "you_refuse", "tong_gas"}
    assert (tasks["tong_water"]["responsible_kind"], tasks["tong_water"]["responsible_org_id"]) == (
        "operator",
        water,
    )
    assert tasks["tong_gas"]["responsible_kind"] == "operator"
    assert tasks["tong_gas"]["responsible_org_id"] is None
    assert tasks["you_security"]["responsible_kind"] == "contractor"
    assert tasks["you_security"]["responsible_org_id"] == world.ids["org_contractor"]
    assert tasks["you_refuse"]["responsible_kind"] == "company"
    assert tasks["you_refuse"]["responsible_org_id"] == world.ids["org_company"]
    due = add_working_days(on, 10, national_calendar())
    assert {t["due_on"] for t in tasks.values()} == {due.isoformat()}
    assert (body["met"], body["not_met"], body["na"]) == (1, 4, 1)
    assert {r["code"]: r["photos"] for r in body["results"]}["you_security"] == ["gate.jpg"]


async def test_without_a_company_the_street_office_rectifies_and_areas_go_to_it(
    client: httpx.AsyncClient, world: World
) -> None:
    community = await fresh_community(client, world, company=False)
    street = await organization(client, world, "street", "道南街道")
    body = await created(
        await inspect(
            client,
            world,
            {"community_id": community},
            [{"code": "you_refuse", "result": "not_met"}],
            street_office_id=street,
        )
    )
    assert body["tasks"][0]["responsible_kind"] == "street"
    assert body["tasks"][0]["responsible_org_id"] == street
    area = await fresh_area(client, world)
    body = await created(
        await inspect(
            client,
            world,
            {"area_id": area},
            [{"code": "you_toilet", "result": "not_met"}, {"code": "he_pole", "result": "not_met"}],
        )
    )
    kinds = {t["code"]: t["responsible_kind"] for t in body["tasks"]}
    assert kinds == {"you_toilet": "street", "he_pole": "operator"}


async def test_a_repeat_inspection_that_finds_it_met_closes_the_task(
    client: httpx.AsyncClient, world: World
) -> None:
    community = await fresh_community(client, world)
    first = await created(
        await inspect(
            client,
            world,
            {"community_id": community},
            [{"code": "zheng_kerb", "result": "not_met"}],
        )
    )
    task = first["tasks"][0]
    # Not met again: the same task, not a second one.
    again = await created(
        await inspect(
            client,
            world,
            {"community_id": community},
            [{"code": "zheng_kerb", "result": "not_met"}],
        )
    )
    assert [t["id"] for t in again["tasks"]] == [task["id"]]
    closing = await created(
        await inspect(
            client, world, {"community_id": community}, [{"code": "zheng_kerb", "result": "met"}]
        )
    )
    assert closing["closed_tasks"] == [task["id"]]
    read = (
        await client.get(f"{API}/rectifications/{task['id']}", headers=world.h("bureau"))
    ).json()
    assert read["status"] == "closed" and read["closed_by_inspection_id"] == closing["id"]
    # Failing later opens a new task.
    later = await created(
        await inspect(
            client,
            world,
            {"community_id": community},
            [{"code": "zheng_kerb", "result": "not_met"}],
        )
    )
    assert later["tasks"][0]["id"] != task["id"]


async def test_bad_inspections_answer_422_naming_the_field_and_write_nothing(
    client: httpx.AsyncClient, world: World
) -> None:
    community = await fresh_community(client, world)
    cases = [
        ({"community_id": community}, [{"code": "he_pole", "result": "met"}], "items[0].code"),
        ({"community_id": community}, [{"code": "nope", "result": "met"}], "items[0].code"),
        (
            {"community_id": community},
            [{"code": "tong_gas", "result": "met"}, {"code": "tong_gas", "result": "na"}],
            "items[1].code",
        ),
        ({}, [{"code": "tong_gas", "result": "met"}], "community_id"),
        ({"community_id": community}, [{"code": "tong_gas", "result": "maybe"}], "items[0].result"),
    ]
    for place, items, field in cases:
        response = await inspect(client, world, place, items)
        assert response.status_code == 422, response.text
        assert field in {e["field"] for e in response.json()["errors"]}, response.json()
    future = await inspect(
        client,
        world,
        {"community_id": community},
        [{"code": "tong_gas", "result": "not_met"}],
        inspected_on=(today() + timedelta(days=1)).isoformat(),
    )
    assert future.status_code == 422
    ancient = await inspect(
        client,
        world,
        {"community_id": community},
        [{"code": "tong_gas", "result": "not_met"}],
        inspected_on="1999-12-31",
    )
    assert ancient.status_code == 422 and ancient.json()["errors"][0]["field"] == "inspected_on"
    listed = await client.get(
        f"{API}/inspections", params={"community_id": community}, headers=world.h("bureau")
    )
    assert listed.json()["items"] == []


async def test_a_district_adds_its_own_item_as_a_new_catalogue_version(
    client: httpx.AsyncClient, world: World
) -> None:
    before = (await client.get(f"{API}/standards", headers=world.h("bureau"))).json()
    code = f"own_{before['version']}"
    body = {
        "code": code,
        "name": "有电动自行车集中充电棚",
        "level": "community",
        "group": "本区自定",
        "fallback": "company",
        "workdays": 5,
    }
    added = await created(
        await client.post(f"{API}/standards/items", json=body, headers=world.h("bureau"))
    )
    assert added["version"] == before["version"] + 1
    assert added["items"][-1]["code"] == code and added["items"][-1]["district_own"]
    again = await client.post(f"{API}/standards/items", json=body, headers=world.h("bureau"))
    assert again.status_code == 422 and again.json()["errors"][0]["field"] == "code"
    refused = await client.post(f"{API}/standards/items", json=body, headers=world.h("company"))
    assert refused.status_code == 403
    community = await fresh_community(client, world)
    task = (
        await created(
            await inspect(
                client, world, {"community_id": community}, [{"code": code, "result": "not_met"}]
            )
        )
    )["tasks"][0]
    assert task["responsible_kind"] == "company"
