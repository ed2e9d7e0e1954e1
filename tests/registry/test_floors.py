"""A flat's storey (1 = ground floor): given when registered, by the ledger import or
later, at most the building's floors, shown in every household answer; the demo gives
every flat its floor."""

from __future__ import annotations

import httpx

from service.registry.demo import build_demo
from tests.lifts.estate import new_id_no
from tests.registry.test_household_import import HEADER, csv_bytes, errors_of, households, upload
from tests.support import World, created, unique


async def six_floors(client: httpx.AsyncClient, world: World) -> str:
    building = await created(
        await client.post(
            f"/api/v1/communities/{world.ids['CB']}/buildings",
            json={"name": unique("楼层楼"), "floors": 6},
            headers=world.h("bureau"),
        )
    )
    return str(building["id"])


def flat(building: str, room: str, **extra: object) -> dict[str, object]:
    return {
        "building_id": building,
        "unit_no": "1",
        "room_no": room,
        "floor_area": "60.00",
        "owner_name": "楼层测试",
        "owner_id_no": new_id_no(),
        **extra,
    }


async def test_a_household_is_registered_with_its_floor_and_every_answer_shows_it(
    client: httpx.AsyncClient, world: World
) -> None:
    bureau = world.h("bureau")
    building = await six_floors(client, world)
    made = await client.post(
        "/api/v1/households", json=flat(building, "601", floor=6), headers=bureau
    )
    assert made.status_code == 201, made.text
    assert made.json()["floor"] == 6
    read = await client.get(f"/api/v1/households/{made.json()['id']}", headers=bureau)
    assert read.json()["floor"] == 6
    listed = await client.get(
        f"/api/v1/communities/{world.ids['CB']}/households",
        params={"building_id": building},
        headers=bureau,
    )
    assert [h["floor"] for h in listed.json()["items"]] == [6]
    unknown = await client.post("/api/v1/households", json=flat(building, "701"), headers=bureau)
    assert unknown.status_code == 201 and unknown.json()["floor"] is None


async def test_a_floor_above_the_building_or_below_the_ground_is_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    bureau = world.h("bureau")
    building = await six_floors(client, world)
    for floor in (7, 0, -1):
        response = await client.post(
            "/api/v1/households", json=flat(building, f"{floor}01", floor=floor), headers=bureau
        )
        assert response.status_code == 422, floor
        assert response.json()["errors"][0]["field"] == "floor"


async def test_the_bureau_records_the_floor_of_a_registered_flat(
    client: httpx.AsyncClient, world: World
) -> None:
    bureau = world.h("bureau")
    building = await six_floors(client, world)
    made = await created(
        await client.post("/api/v1/households", json=flat(building, "301"), headers=bureau)
    )
    url = f"/api/v1/households/{made['id']}/floor"
    assert (await client.put(url, json={"floor": 3}, headers=bureau)).json()["floor"] == 3
    assert (await client.put(url, json={"floor": 7}, headers=bureau)).status_code == 422
    assert (
        await client.put(url, json={"floor": 3}, headers=world.h("committee"))
    ).status_code == 403
    assert (
        await client.put(
            f"/api/v1/households/{world.ids['h4']}/floor", json={"floor": 9}, headers=bureau
        )
    ).status_code == 422


async def test_the_ledger_import_takes_an_optional_floor_column_checked_against_the_building(
    client: httpx.AsyncClient, world: World
) -> None:
    bureau = world.h("bureau")
    community = await created(
        await client.post(
            "/api/v1/communities",
            json={
                "area_id": world.ids["area"],
                "name": "楼层导入小区",
                "code": unique("F"),
                "built_year": 1996,
                "deposit_rate_per_m2": "45.00",
            },
            headers=bureau,
        )
    )
    header = [*HEADER, "楼层"]
    bad = [
        ["1号楼", "1", "601", "60", "甲", new_id_no(), "", "5", "", "6"],
        ["1号楼", "1", "102", "60", "乙", new_id_no(), "", "5", "", "一"],
    ]
    errors = errors_of(
        await upload(client, community["id"], bureau, "f.csv", csv_bytes(bad, header))
    )
    assert set(errors) == {"第2行 楼层", "第3行 楼层"}
    good = [
        ["1号楼", "1", "501", "60", "甲", new_id_no(), "", "5", "", "5"],
        ["1号楼", "1", "101", "60", "乙", new_id_no(), "", "5", "", ""],
    ]
    r = await upload(client, community["id"], bureau, "f.csv", csv_bytes(good, header))
    assert r.status_code == 201, r.text
    floors = {h["room_no"]: h["floor"] for h in await households(client, community["id"], bureau)}
    assert floors == {"501": 5, "101": None}


def test_every_demo_flat_has_its_floor_within_its_building() -> None:
    plan = build_demo(district_code=f"FLOORS{unique('')}")
    floors = {b["id"]: b["floors"] for b in plan.rows("building")}
    for household in plan.rows("household"):
        assert 1 <= household["floor"] <= floors[household["building"]]
        assert household["room_no"].startswith(str(household["floor"]))
