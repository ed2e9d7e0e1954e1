"""Fund uses name the parts they repair, and the warranty guard runs on every one of them
over every building charged or named (165号令 art. 18); a repair ticket routed to the fund
opens a draft that the company, committee or bureau completes and submits."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

import httpx

from service.clock import today
from tests.fund_uses.test_api import Block, make_block, proposal
from tests.support import World, add_household, created, make_id_no
from tests.warranty.conftest import add_work

API = "/api/v1"
_serial = iter(range(1, 1000))


async def second_building(client: httpx.AsyncClient, world: World, block: Block) -> str:
    """Add a building with one household to the block's community; its id."""
    building = await created(
        await client.post(
            f"{API}/communities/{block.community}/buildings",
            json={"name": "2号楼", "floors": 6, "has_elevator": False},
            headers=world.h("bureau"),
        )
    )
    await add_household(
        client,
        world.h("bureau"),
        building["id"],
        "101",
        "80.00",
        ("赵敏", make_id_no(next(_serial), birth="19880808")),
    )
    return str(building["id"])


async def roof_under_warranty(
    client: httpx.AsyncClient, world: World, block: Block, buildings: list[str]
) -> dict[str, Any]:
    """The block's roof (of ``buildings``) renovated 400 days ago: under warranty."""
    return await add_work(
        client,
        world,
        today() - timedelta(days=400),
        [{"category": "roofing"}],
        community_id=block.community,
        building_ids=buildings,
    )


async def test_a_fund_use_without_its_part_is_refused_naming_component(
    client: httpx.AsyncClient, world: World
) -> None:
    block = await make_block(client, world)
    body = proposal(block)
    del body["component"]
    response = await client.post(f"{API}/fund-uses", json=body, headers=block.headers["company"])
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "component"


async def test_a_roof_under_warranty_cannot_be_paid_by_naming_another_building_set(
    client: httpx.AsyncClient, world: World
) -> None:
    block = await make_block(client, world)
    other = await second_building(client, world, block)
    await roof_under_warranty(client, world, block, [block.building])
    company = block.headers["company"]
    # Charging building 2's owners for building 1's roof: the part names building 1.
    via_part = await client.post(
        f"{API}/fund-uses",
        json=proposal(
            block,
            building_ids=[other],
            component="plumbing",
            parts=[{"category": "roofing", "building_ids": [block.building]}],
        ),
        headers=company,
    )
    assert via_part.status_code == 422, via_part.text
    assert via_part.json()["errors"][0]["field"] == "parts[0].category"
    assert "保修期内" in via_part.json()["errors"][0]["message"]
    # Naming the roof as the component and building 1 under another part: still refused,
    # the guard runs every category over every building named.
    mixed = await client.post(
        f"{API}/fund-uses",
        json=proposal(
            block,
            building_ids=[other],
            component="roofing",
            parts=[{"category": "decoration", "building_ids": [block.building]}],
        ),
        headers=company,
    )
    assert mixed.status_code == 422 and mixed.json()["errors"][0]["field"] == "component"
    # Charging building 1's households one by one names its roof too.
    households = await client.post(
        f"{API}/fund-uses",
        json=proposal(
            block, building_ids=None, household_ids=block.households[:2], component="roofing"
        ),
        headers=company,
    )
    assert households.status_code == 422
    # Building 2's own roof was never renovated: the fund may pay for it.
    allowed = await created(
        await client.post(
            f"{API}/fund-uses",
            json=proposal(
                block,
                building_ids=[other],
                component="roofing",
                parts=[{"category": "exterior_wall"}],
            ),
            headers=company,
        )
    )
    assert allowed["parts"] == [
        {"category": "roofing", "building_ids": []},
        {"category": "exterior_wall", "building_ids": []},
    ]


async def test_a_part_naming_an_operators_line_or_a_foreign_building_is_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    block = await make_block(client, world)
    company = block.headers["company"]
    for parts, field in (
        ([{"category": "operator_pipeline"}], "parts[0].category"),
        ([{"category": "plumbing"}, {"category": "garden"}], "parts[1].category"),
        (
            [{"category": "plumbing", "building_ids": [world.ids["CB-1"]]}],
            "parts[0].building_ids",
        ),
    ):
        response = await client.post(
            f"{API}/fund-uses", json=proposal(block, parts=parts), headers=company
        )
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == field


async def report_major_roof(client: httpx.AsyncClient, block: Block) -> dict[str, Any]:
    """Owner o0 reports, from their flat, a roof needing renewal: a common part."""
    return await created(
        await client.post(
            f"{API}/repairs",
            json={
                "community_id": block.community,
                "household_id": block.households[0],
                "part": "common",
                "category": "roofing",
                "major": True,
                "description": "顶层渗水，屋面防水层整体老化，需翻新",
            },
            headers=block.headers["owner0"],
        )
    )


async def test_a_major_roof_repair_reported_from_a_flat_as_common_goes_to_the_fund_as_a_draft(
    client: httpx.AsyncClient, world: World
) -> None:
    block = await make_block(client, world)
    ticket = await report_major_roof(client, block)
    assert ticket["responsible_kind"] == "fund" and ticket["part"] == "common"
    use_id = ticket["fund_use_id"]
    company = block.headers["company"]
    draft = (await client.get(f"{API}/fund-uses/{use_id}", headers=company)).json()
    assert draft["status"] == "draft" and draft["repair_ticket_id"] == ticket["id"]
    assert draft["parts"] == [{"category": "roofing", "building_ids": [block.building]}]
    assert draft["apportionment"] == [] and draft["estimated_cost"] == "0.00"
    # A draft is not put to the vote, approved or paid before it is submitted.
    ballot = await client.post(
        f"{API}/fund-uses/{use_id}/ballots",
        json={"household_id": block.households[0], "choice": "yes"},
        headers=block.headers["committee"],
    )
    assert ballot.status_code == 422 or ballot.status_code == 409
    assert (
        await client.post(f"{API}/fund-uses/{use_id}/approve", headers=world.h("bureau2"))
    ).status_code == 409
    # Owners do not submit; the company completes it with cost and households.
    body = {"estimated_cost": "12000.00", "building_ids": [block.building]}
    refused = await client.post(
        f"{API}/fund-uses/{use_id}/submit", json=body, headers=block.headers["owner0"]
    )
    assert refused.status_code == 403
    submitted = await client.post(f"{API}/fund-uses/{use_id}/submit", json=body, headers=company)
    assert submitted.status_code == 200, submitted.text
    use = submitted.json()
    assert use["status"] == "voting" and use["estimated_cost"] == "12000.00"
    assert sum(int(s["share"].replace(".", "")) for s in use["apportionment"]) == 1_200_000
    assert len(use["apportionment"]) == len(block.households)
    again = await client.post(f"{API}/fund-uses/{use_id}/submit", json=body, headers=company)
    assert again.status_code == 409
    read = (await client.get(f"{API}/repairs/{ticket['id']}", headers=company)).json()
    assert read["fund_use_id"] == use_id


async def test_an_emergency_draft_goes_straight_to_the_bureau_and_a_second_submission_loses(
    client: httpx.AsyncClient, world: World
) -> None:
    block = await make_block(client, world)
    ticket = await report_major_roof(client, block)
    use_id = ticket["fund_use_id"]
    body = {
        "estimated_cost": "8000.00",
        "building_ids": [block.building],
        "emergency": True,
        "emergency_reason": "roof_leak",
    }
    results = await asyncio.gather(
        client.post(
            f"{API}/fund-uses/{use_id}/submit", json=body, headers=block.headers["company"]
        ),
        client.post(
            f"{API}/fund-uses/{use_id}/submit", json=body, headers=block.headers["committee"]
        ),
    )
    assert sorted(r.status_code for r in results) == [200, 409], [r.text for r in results]
    winner = next(r for r in results if r.status_code == 200).json()
    assert winner["status"] == "pending_approval"
    approved = await client.post(f"{API}/fund-uses/{use_id}/approve", headers=world.h("bureau"))
    assert approved.status_code == 200 and approved.json()["status"] == "approved"


async def test_the_warranty_guard_runs_again_when_a_draft_is_submitted(
    client: httpx.AsyncClient, world: World
) -> None:
    block = await make_block(client, world)
    other = await second_building(client, world, block)
    ticket = await report_major_roof(client, block)
    # The roof's renovation is entered in the works register only after the report.
    await roof_under_warranty(client, world, block, [block.building])
    use_id = ticket["fund_use_id"]
    # Charging only building 2 does not hide building 1's roof: the draft keeps its place.
    for body in (
        {"estimated_cost": "9000.00", "building_ids": [block.building]},
        {"estimated_cost": "9000.00", "building_ids": [other], "component": "decoration"},
    ):
        refused = await client.post(
            f"{API}/fund-uses/{use_id}/submit", json=body, headers=block.headers["company"]
        )
        assert refused.status_code == 422, refused.text
        assert "保修期内" in refused.json()["errors"][0]["message"]
    still = await client.get(f"{API}/fund-uses/{use_id}", headers=block.headers["company"])
    assert still.json()["status"] == "draft" and still.json()["apportionment"] == []


async def test_a_draft_is_cancelled_by_the_company_in_scope_and_hidden_from_others(
    client: httpx.AsyncClient, world: World
) -> None:
    block = await make_block(client, world)
    ticket = await report_major_roof(client, block)
    use_id = ticket["fund_use_id"]
    outsider = world.h("committee")  # CA's committee
    for path in (f"{API}/fund-uses/{use_id}/cancel", f"{API}/fund-uses/{use_id}/submit"):
        response = await client.post(
            path,
            json={"estimated_cost": "1.00", "building_ids": [block.building]},
            headers=outsider,
        )
        assert response.status_code == 404, response.text
    cancelled = await client.post(
        f"{API}/fund-uses/{use_id}/cancel", headers=block.headers["company"]
    )
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    late = await client.post(
        f"{API}/fund-uses/{use_id}/submit",
        json={"estimated_cost": "1.00", "building_ids": [block.building]},
        headers=block.headers["company"],
    )
    assert late.status_code == 409


async def test_a_draft_named_a_date_in_the_past_or_no_households_is_refused_naming_the_field(
    client: httpx.AsyncClient, world: World
) -> None:
    block = await make_block(client, world)
    ticket = await report_major_roof(client, block)
    use_id = ticket["fund_use_id"]
    for body, field in (
        ({"estimated_cost": "10.00"}, "household_ids"),
        ({"estimated_cost": "10.001", "building_ids": [block.building]}, "estimated_cost"),
        (
            {
                "estimated_cost": "10.00",
                "building_ids": [block.building],
                "vote_closes_on": (date.today() - timedelta(days=1)).isoformat(),
            },
            "vote_closes_on",
        ),
    ):
        response = await client.post(
            f"{API}/fund-uses/{use_id}/submit", json=body, headers=block.headers["company"]
        )
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == field
