"""Bad input as a new user would send it: a clear 422 naming the field, nothing written."""

from __future__ import annotations

import httpx
import pytest

from service.audit.tables import AuditEntry
from service.registry.tables import Household
from tests.support import World, make_id_no


async def writes_so_far() -> tuple[int, int]:
    return await AuditEntry.count(), await Household.count()


def household(world: World, **overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "building_id": world.ids["CB-1"],
        "unit_no": "2",
        "room_no": "301",
        "floor_area": "75.50",
        "owner_name": "赵敏",
        "owner_id_no": make_id_no(901),
    }
    body.update(overrides)
    return body


BAD_HOUSEHOLDS = [
    ("three decimals", {"floor_area": "75.505"}, "floor_area"),
    ("three decimals as number", {"floor_area": 75.505}, "floor_area"),
    ("negative area", {"floor_area": "-1.00"}, "floor_area"),
    ("zero area", {"floor_area": 0}, "floor_area"),
    ("NaN area", {"floor_area": "NaN"}, "floor_area"),
    ("infinite area", {"floor_area": "Infinity"}, "floor_area"),
    ("text area", {"floor_area": "七十五"}, "floor_area"),
    ("area as boolean", {"floor_area": True}, "floor_area"),
    (
        "bad id checksum",
        {
            "owner_id_no": make_id_no(902)[:-1] + "0"
            if not make_id_no(902).endswith("0")
            else make_id_no(902)[:-1] + "1"
        },
        "owner_id_no",
    ),
    ("unknown field", {"is_admin": True}, "is_admin"),
    ("wrong type for unit", {"unit_no": 2}, "unit_no"),
    ("empty owner name", {"owner_name": ""}, "owner_name"),
    ("blank owner name", {"owner_name": "   "}, "owner_name"),
    ("building not a uuid", {"building_id": "B-1"}, "building_id"),
]


@pytest.mark.parametrize(
    ("case", "overrides", "field"), BAD_HOUSEHOLDS, ids=[c for c, _, _ in BAD_HOUSEHOLDS]
)
async def test_a_bad_household_is_refused_with_the_field_named_and_nothing_written(
    client: httpx.AsyncClient, world: World, case: str, overrides: dict[str, object], field: str
) -> None:
    before = await writes_so_far()
    response = await client.post(
        "/api/v1/households", json=household(world, **overrides), headers=world.h("bureau")
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == 422 and body["title"] and body["detail"]
    assert field in [e["field"] for e in body["errors"]], body
    assert await writes_so_far() == before


async def test_a_missing_field_is_named(client: httpx.AsyncClient, world: World) -> None:
    body = household(world)
    del body["floor_area"]
    response = await client.post("/api/v1/households", json=body, headers=world.h("bureau"))
    assert response.status_code == 422
    assert "floor_area" in response.text


async def test_a_body_that_is_not_json_gets_a_4xx_problem(
    client: httpx.AsyncClient, world: World
) -> None:
    response = await client.post(
        "/api/v1/areas",
        content=b"{not json",
        headers={**world.h("bureau"), "content-type": "application/json"},
    )
    assert 400 <= response.status_code < 500
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_a_building_of_another_district_is_an_input_error(
    client: httpx.AsyncClient, world: World
) -> None:
    response = await client.post(
        "/api/v1/households",
        json=household(world, building_id="00000000-0000-4000-8000-000000000000"),
        headers=world.h("bureau"),
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "building_id"


async def test_the_same_flat_twice_is_a_conflict(client: httpx.AsyncClient, world: World) -> None:
    body = household(world, room_no="902", owner_id_no=make_id_no(903))
    first = await client.post("/api/v1/households", json=body, headers=world.h("bureau"))
    assert first.status_code == 201
    again = await client.post("/api/v1/households", json=body, headers=world.h("bureau"))
    assert again.status_code == 409


async def test_one_identity_number_under_two_names_is_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    response = await client.post(
        "/api/v1/households",
        json=household(
            world, room_no="903", owner_name="另一个人", owner_id_no=world.ids["p1_id_no"]
        ),
        headers=world.h("bureau"),
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "owner_name"


async def test_limit_above_500_is_refused(client: httpx.AsyncClient, world: World) -> None:
    response = await client.get("/api/v1/communities?limit=501", headers=world.h("bureau"))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "limit"


async def test_a_garbled_cursor_is_refused(client: httpx.AsyncClient, world: World) -> None:
    response = await client.get("/api/v1/communities?cursor=%%%", headers=world.h("bureau"))
    assert response.status_code == 422


async def test_a_community_with_a_three_decimal_rate_or_future_year_is_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    base = {"area_id": world.ids["area"], "name": "新小区", "code": "NEW-1", "built_year": 1999}
    for extra, field in (
        ({"deposit_rate_per_m2": "45.001"}, "deposit_rate_per_m2"),
        ({"deposit_rate_per_m2": "45", "built_year": 2999}, "built_year"),
        (
            {"deposit_rate_per_m2": "45", "area_id": "00000000-0000-4000-8000-000000000000"},
            "area_id",
        ),
    ):
        response = await client.post(
            "/api/v1/communities", json={**base, **extra}, headers=world.h("bureau")
        )
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == field


HOSTILE_BODIES = [
    ("exponent", {"name": "x", "code": "E1"}, "deposit_rate_per_m2", "1e999999999"),
    ("long decimal", {}, "deposit_rate_per_m2", "1234567890123456789012345678.001"),
    ("three decimals in exponent form", {}, "deposit_rate_per_m2", "1.2345E+1"),
]


@pytest.mark.parametrize(
    ("case", "extra", "field", "value"), HOSTILE_BODIES, ids=[c for c, *_ in HOSTILE_BODIES]
)
async def test_odd_numbers_are_refused_not_crashed_on(
    client: httpx.AsyncClient,
    world: World,
    case: str,
    extra: dict[str, str],
    field: str,
    value: str,
) -> None:
    body = {"area_id": world.ids["area"], "name": "怪数小区", "code": "ODD-1", "built_year": 1999}
    response = await client.post(
        "/api/v1/communities", json={**body, field: value}, headers=world.h("bureau")
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == field


async def test_a_json_number_with_many_decimals_is_not_rounded_into_acceptance(
    client: httpx.AsyncClient, world: World
) -> None:
    raw = (
        b'{"area_id": "%s", "name": "x", "code": "ODD-2", "built_year": 1999,'
        b' "deposit_rate_per_m2": 1.0000000000000000000000000000000000001}'
        % world.ids["area"].encode()
    )
    response = await client.post(
        "/api/v1/communities",
        content=raw,
        headers={**world.h("bureau"), "content-type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "deposit_rate_per_m2"


@pytest.mark.parametrize(
    "raw",
    [
        b'{"name": "\xff\xfe", "code": "U1"}',
        b"[" * 100000,
        b'{"name": "a\\u0000b", "code": "NUL1"}',
    ],
    ids=["invalid utf-8", "deep nesting", "NUL character"],
)
async def test_hostile_json_gets_a_422_problem_not_a_500(
    client: httpx.AsyncClient, world: World, raw: bytes
) -> None:
    response = await client.post(
        "/api/v1/areas",
        content=raw,
        headers={**world.h("bureau"), "content-type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_a_missing_field_is_named_in_the_errors_list(
    client: httpx.AsyncClient, world: World
) -> None:
    response = await client.post(
        "/api/v1/areas", json={"name": "缺编号"}, headers=world.h("bureau")
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "code"
