"""A community of its own for lift tests: a committee (with a user), a lift installer
(contractor organisation), and six-floor units of twelve flats built through the API."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx

from tests.support import World, add_user, created, login, make_id_no, unique

_ids = itertools.count(1)


def new_id_no() -> str:
    """A valid identity number no other test module uses (births from 1961-02-01 on)."""
    n = next(_ids)
    birth = date(1961, 2, 1) + timedelta(days=n // 900)
    return make_id_no(n % 900 + 100, birth.strftime("%Y%m%d"))


@dataclass
class Estate:
    community: str
    committee: dict[str, str]
    contractor_id: str
    company: str = ""


@dataclass
class Unit:
    building: str
    households: list[str]  # rooms 101, 102, 201, ... 602 in order
    owners: list[tuple[str, str]]  # (name, identity number) per flat
    owner_h: dict[int, dict[str, str]] = field(default_factory=dict)  # flat index → login


async def make_estate(client: httpx.AsyncClient, world: World) -> Estate:
    bureau = world.h("bureau")
    community = await created(
        await client.post(
            "/api/v1/communities",
            json={
                "area_id": world.ids["area"],
                "name": f"电梯测试小区{unique('')[:4]}",
                "code": unique("L"),
                "built_year": 1992,
                "deposit_rate_per_m2": "45.00",
            },
            headers=bureau,
        )
    )
    committee = await created(
        await client.post(
            "/api/v1/organizations",
            json={"kind": "committee", "name": unique("业委会"), "community_id": community["id"]},
            headers=bureau,
        )
    )
    username = unique("lift-committee-")
    await add_user(client, bureau, username=username, role="committee", org_id=committee["id"])
    installer = await created(
        await client.post(
            "/api/v1/organizations",
            json={"kind": "contractor", "name": unique("电梯安装公司")},
            headers=bureau,
        )
    )
    return Estate(
        community=community["id"],
        committee=await login(client, username),
        contractor_id=installer["id"],
    )


NAMES = [
    "张小明",
    "李建国",
    "王秀英",
    "赵志强",
    "钱丽华",
    "孙德胜",
    "周文静",
    "吴国平",
    "郑海燕",
    "冯建华",
    "陈玉兰",
    "褚大伟",
]


async def make_unit(
    client: httpx.AsyncClient,
    world: World,
    estate: Estate,
    areas: list[str] | None = None,
    *,
    unit_no: str = "1",
    owner_logins: tuple[int, ...] = (),
    floors: bool = True,
) -> Unit:
    """A six-floor building with twelve flats in ``unit_no`` (two a floor, 60.00 m² each
    unless ``areas`` says otherwise), one owner each; owner logins for the flat indexes
    named."""
    bureau = world.h("bureau")
    areas = areas or ["60.00"] * 12
    building = await created(
        await client.post(
            f"/api/v1/communities/{estate.community}/buildings",
            json={"name": unique("楼"), "floors": 6},
            headers=bureau,
        )
    )
    households, owners = [], []
    for index, area in enumerate(areas):
        floor = index // 2 + 1
        owner = (NAMES[index % 12], new_id_no())
        body: dict[str, Any] = {
            "building_id": building["id"],
            "unit_no": unit_no,
            "room_no": f"{floor}0{index % 2 + 1}",
            "floor_area": area,
            "owner_name": owner[0],
            "owner_id_no": owner[1],
            "owner_phone": "13912345678",
        }
        if floors:
            body["floor"] = floor
        made = await created(await client.post("/api/v1/households", json=body, headers=bureau))
        households.append(made["id"])
        owners.append(owner)
    unit = Unit(building=building["id"], households=households, owners=owners)
    for index in owner_logins:
        username = unique(f"lift-owner{index}-")
        await add_user(
            client, bureau, username=username, role="owner", household_ids=[households[index]]
        )
        unit.owner_h[index] = await login(client, username)
    return unit


async def new_project(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    unit: Unit,
    cost: str = "300000.00",
    **extra: Any,
) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/lift-projects",
        json={"building_id": unit.building, "unit_no": "1", "estimated_cost": cost, **extra},
        headers=headers,
    )
    return await created(response)


async def consents(
    client: httpx.AsyncClient,
    estate: Estate,
    project_id: str,
    unit: Unit,
    choices: dict[int, str],
) -> None:
    """Paper forms recorded by the committee: flat index → yes | no | abstain."""
    for index, choice in choices.items():
        body: dict[str, Any] = {"household_id": unit.households[index], "choice": choice}
        if choice == "no":
            body["reason"] = "底层采光和通风受影响"
        response = await client.post(
            f"/api/v1/lift-projects/{project_id}/consents", json=body, headers=estate.committee
        )
        assert response.status_code == 201, response.text


async def close(
    client: httpx.AsyncClient, headers: dict[str, str], project_id: str
) -> dict[str, Any]:
    response = await client.post(
        f"/api/v1/lift-projects/{project_id}/close-consent", headers=headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body
