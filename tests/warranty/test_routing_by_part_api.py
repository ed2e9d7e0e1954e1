"""Repair tickets say where the fault is; routing follows it (DOMAIN "Repairs")."""

from __future__ import annotations

import httpx

from tests.support import World, created, unique
from tests.warranty.conftest import API, Site, report, step


async def test_part_is_required_from_a_flat_and_private_needs_a_flat(
    client: httpx.AsyncClient, world: World
) -> None:
    for extra in (
        {"household_id": world.ids["h1"]},
        {"household_id": world.ids["h1"], "part": "attic"},
        {"part": "private"},
        {"building_id": world.ids["CA-1"], "part": "private"},
    ):
        response = await client.post(
            f"{API}/repairs",
            json={
                "community_id": world.ids["CA"],
                "category": "plumbing",
                "description": "漏水",
                **extra,
            },
            headers=world.h("owner1") if "household_id" in extra else world.h("committee"),
        )
        assert response.status_code == 422, (extra, response.text)
        assert response.json()["errors"][0]["field"] == "part"


async def test_a_report_with_no_flat_is_a_common_part(
    client: httpx.AsyncClient, world: World, site: Site
) -> None:
    ticket = await report(client, world, "committee", category="decoration")
    assert ticket["part"] == "common" and ticket["responsible_kind"] == "company"


async def test_a_private_in_flat_repair_after_warranty_goes_to_the_owner_not_the_company(
    client: httpx.AsyncClient, world: World, site: Site
) -> None:
    ticket = await report(
        client,
        world,
        "owner1",
        category="plumbing",
        household_id=world.ids["h1"],
        part="private",
        major=True,
        description="户内给水支管锈蚀，需整体更换",
    )
    assert ticket["responsible_kind"] == "owner"
    assert ticket["responsible_org_id"] is None and ticket["fund_use_id"] is None
    # The owner's own cost; the company may do it for a fee — the reason says both.
    assert "业主" in ticket["reason"] and "有偿" in ticket["reason"]
    assert ticket["part"] == "private"
    tid = ticket["id"]
    # The company is not responsible; the owner records their own repair.
    assert (await step(client, world, "company", tid, "accept")).status_code == 403
    assert (await step(client, world, "owner2", tid, "accept")).status_code == 404
    for action in ("accept", "start", "finish"):
        response = await step(client, world, "owner1", tid, action)
        assert response.status_code == 201, response.text
    assert response.json()["status"] == "done"


async def test_a_private_part_under_a_warranty_of_the_flats_building_goes_to_the_contractor(
    client: httpx.AsyncClient, world: World, site: Site
) -> None:
    # The site's recent work renewed CA's roofing and facade (all its buildings).
    ticket = await report(
        client,
        world,
        "owner2",
        category="exterior_wall",
        household_id=world.ids["h3"],
        part="private",
        description="卧室外墙渗水",
    )
    assert ticket["responsible_kind"] == "contractor"
    assert ticket["responsible_org_id"] == world.ids["org_contractor"]
    assert ticket["work_id"] == site.recent["id"]


async def test_an_operators_line_goes_to_the_operator_and_the_bureau_records_its_steps(
    client: httpx.AsyncClient, world: World, site: Site
) -> None:
    operator = await created(
        await client.post(
            f"{API}/organizations",
            json={"kind": "operator", "name": unique("洛阳燃气")},
            headers=world.h("bureau"),
        )
    )
    ticket = await report(
        client,
        world,
        "owner1",
        category="plumbing",
        household_id=world.ids["h1"],
        part="common",
        utility="gas",
        operator_id=operator["id"],
        major=True,
        description="楼道燃气立管有异味",
    )
    assert ticket["responsible_kind"] == "operator" and ticket["utility"] == "gas"
    assert ticket["responsible_org_id"] == operator["id"] and ticket["fund_use_id"] is None
    assert "不得使用住宅专项维修资金" in ticket["reason"]
    assert (await step(client, world, "company", ticket["id"], "accept")).status_code == 403
    assert (await step(client, world, "bureau", ticket["id"], "accept")).status_code == 201
    for extra, field in (
        ({"utility": "oil"}, "utility"),
        ({"operator_id": operator["id"]}, "operator_id"),
        ({"utility": "water", "operator_id": world.ids["org_company"]}, "operator_id"),
    ):
        response = await client.post(
            f"{API}/repairs",
            json={
                "community_id": world.ids["CA"],
                "category": "plumbing",
                "description": "漏水",
                **extra,
            },
            headers=world.h("committee"),
        )
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == field
