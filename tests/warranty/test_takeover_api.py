"""A contractor that ignores a warranty ticket: after the due time the bureau gives it to
another repairer and charges the contractor (房屋建筑工程质量保修办法 arts. 9, 12),
against the work's retention money and in the contractor's credit record."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any
from uuid import UUID

import httpx

from service.clock import now, today
from service.warranty.tables import RepairTicket
from tests.fund_uses.test_api import Block, make_block
from tests.support import World, created
from tests.warranty.conftest import API, Rival, add_work


async def roof_work(client: httpx.AsyncClient, world: World, block: Block) -> dict[str, Any]:
    """The block's roof, renovated 200 days ago with 3,000.00 of retention money."""
    return await add_work(
        client,
        world,
        today() - timedelta(days=200),
        [{"category": "roofing"}],
        community_id=block.community,
        retention_amount="3000.00",
        settlement_amount="100000.00",
    )


async def leak(client: httpx.AsyncClient, block: Block, *, overdue: bool = True) -> dict[str, Any]:
    """A roof leak reported by the committee: the contractor's; past due if ``overdue``."""
    ticket = await created(
        await client.post(
            f"{API}/repairs",
            json={"community_id": block.community, "category": "roofing", "description": "漏雨"},
            headers=block.headers["committee"],
        )
    )
    assert ticket["responsible_kind"] == "contractor"
    if overdue:
        await RepairTicket.update({RepairTicket.due_at: now() - timedelta(hours=1)}).where(
            RepairTicket.id == UUID(ticket["id"])
        )
    return ticket


async def company_id(client: httpx.AsyncClient, world: World, block: Block) -> str:
    """The org of the block's company (the routed company of a routine ticket)."""
    ticket = await created(
        await client.post(
            f"{API}/repairs",
            json={"community_id": block.community, "category": "decoration", "description": "x"},
            headers=block.headers["committee"],
        )
    )
    assert ticket["responsible_kind"] == "company"
    return str(ticket["responsible_org_id"])


def take(
    repairer: str, amount: str = "1200.00", note: str = "施工单位逾期未到场"
) -> dict[str, Any]:
    return {"repairer_id": repairer, "charge_amount": amount, "note": note}


async def test_before_the_due_time_the_bureau_cannot_take_the_ticket(
    client: httpx.AsyncClient, world: World
) -> None:
    block = await make_block(client, world)
    await roof_work(client, world, block)
    company = await company_id(client, world, block)
    ticket = await leak(client, block, overdue=False)
    response = await client.post(
        f"{API}/repairs/{ticket['id']}/take-over", json=take(company), headers=world.h("bureau")
    )
    assert response.status_code == 409, response.text
    assert "时限" in response.json()["detail"]


async def test_after_the_due_time_the_company_repairs_and_the_contractor_is_charged(
    client: httpx.AsyncClient, world: World, rival: Rival
) -> None:
    block = await make_block(client, world)
    work = await roof_work(client, world, block)
    company = await company_id(client, world, block)
    ticket = await leak(client, block)
    path = f"{API}/repairs/{ticket['id']}/take-over"
    # Only the bureau takes tickets away.
    assert (
        await client.post(path, json=take(company), headers=block.headers["committee"])
    ).status_code == 403
    # The repairer must be another organisation, and a company or contractor.
    for repairer in (world.ids["org_contractor"], world.ids["org_street"]):
        bad = await client.post(path, json=take(repairer), headers=world.h("bureau"))
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "repairer_id"
    bad_amount = await client.post(path, json=take(company, "-1"), headers=world.h("bureau"))
    assert bad_amount.status_code == 422
    taken = await client.post(path, json=take(company), headers=world.h("bureau"))
    assert taken.status_code == 201, taken.text
    body = taken.json()
    assert body["responsible_kind"] == "company" and body["responsible_org_id"] == company
    assert body["taken_from_id"] == world.ids["org_contractor"]
    assert body["status"] == "assigned" and body["overdue"] is False
    assert body["events"][-1]["action"] == "take_over" and "1200.00" in body["reason"]
    # The contractor lost it (409), the company does it.
    assert (
        await client.post(
            f"{API}/repairs/{ticket['id']}/transitions",
            json={"action": "accept"},
            headers=world.h("contractor"),
        )
    ).status_code == 409
    accepted = await client.post(
        f"{API}/repairs/{ticket['id']}/transitions",
        json={"action": "accept"},
        headers=block.headers["company"],
    )
    assert accepted.status_code == 201, accepted.text
    # The charge comes out of the retention money (still blocked: the repair is open).
    retention = (
        await client.get(f"{API}/works/{work['id']}/retention", headers=world.h("bureau"))
    ).json()
    assert retention["charged_amount"] == "1200.00"
    assert retention["remaining_amount"] == "1800.00"
    assert retention["uncovered_amount"] == "0.00"
    assert retention["state"] == "blocked" and retention["open_warranty_tickets"] == 1
    # ...and stands in the contractor's credit record, which it and the bureau can read.
    for who in ("bureau", "auditor", "contractor"):
        record = await client.get(
            f"{API}/contractors/{world.ids['org_contractor']}/credit", headers=world.h(who)
        )
        assert record.status_code == 200, record.text
        charges = [c for c in record.json()["charges"] if c["ticket_id"] == ticket["id"]]
        assert [c["amount"] for c in charges] == ["1200.00"]
        assert charges[0]["repairer_id"] == company and charges[0]["work_id"] == work["id"]
        assert record.json()["taken_over"] >= 1
    assert (
        await client.get(
            f"{API}/contractors/{world.ids['org_contractor']}/credit", headers=rival.headers
        )
    ).status_code == 404
    assert (
        await client.get(
            f"{API}/contractors/{world.ids['org_contractor']}/credit",
            headers=block.headers["company"],
        )
    ).status_code == 403
    # Once taken, it cannot be taken again.
    again = await client.post(path, json=take(company), headers=world.h("bureau"))
    assert again.status_code == 409


async def test_a_charge_above_the_retention_money_stays_owed_by_the_contractor(
    client: httpx.AsyncClient, world: World
) -> None:
    block = await make_block(client, world)
    work = await roof_work(client, world, block)
    company = await company_id(client, world, block)
    ticket = await leak(client, block)
    await client.post(
        f"{API}/repairs/{ticket['id']}/take-over",
        json=take(company, "3500.00"),
        headers=world.h("bureau"),
    )
    retention = (
        await client.get(f"{API}/works/{work['id']}/retention", headers=world.h("contractor"))
    ).json()
    assert retention["remaining_amount"] == "0.00"
    assert retention["uncovered_amount"] == "500.00"
    assert "施工单位承担" in retention["reason"]


async def test_another_contractor_given_the_ticket_sees_and_repairs_it(
    client: httpx.AsyncClient, world: World, rival: Rival
) -> None:
    block = await make_block(client, world)
    await roof_work(client, world, block)
    ticket = await leak(client, block)
    taken = await client.post(
        f"{API}/repairs/{ticket['id']}/take-over",
        json=take(rival.org_id),
        headers=world.h("bureau"),
    )
    assert taken.status_code == 201, taken.text
    assert taken.json()["responsible_kind"] == "repairer"
    assert (
        await client.get(f"{API}/repairs/{ticket['id']}", headers=rival.headers)
    ).status_code == 200
    for action in ("accept", "start", "finish"):
        response = await client.post(
            f"{API}/repairs/{ticket['id']}/transitions",
            json={"action": action},
            headers=rival.headers,
        )
        assert response.status_code == 201, response.text
    # A substitute repairer cannot dispute the warranty: it is not the warrantor.
    # (The ticket is done; the original contractor still sees it.)
    assert (
        await client.get(f"{API}/repairs/{ticket['id']}", headers=world.h("contractor"))
    ).status_code == 200


async def test_two_bureau_users_taking_one_ticket_at_once_one_wins(
    client: httpx.AsyncClient, world: World, rival: Rival
) -> None:
    block = await make_block(client, world)
    await roof_work(client, world, block)
    company = await company_id(client, world, block)
    ticket = await leak(client, block)
    path = f"{API}/repairs/{ticket['id']}/take-over"
    results = await asyncio.gather(
        client.post(path, json=take(company), headers=world.h("bureau")),
        client.post(path, json=take(rival.org_id), headers=world.h("bureau2")),
    )
    assert sorted(r.status_code for r in results) == [201, 409], [r.text for r in results]
    record = (
        await client.get(
            f"{API}/contractors/{world.ids['org_contractor']}/credit", headers=world.h("bureau")
        )
    ).json()
    assert len([c for c in record["charges"] if c["ticket_id"] == ticket["id"]]) == 1


async def test_a_disputed_ticket_is_decided_not_taken(
    client: httpx.AsyncClient, world: World
) -> None:
    block = await make_block(client, world)
    await roof_work(client, world, block)
    company = await company_id(client, world, block)
    ticket = await leak(client, block)
    await client.post(
        f"{API}/repairs/{ticket['id']}/transitions",
        json={"action": "dispute", "note": "非施工质量问题"},
        headers=world.h("contractor"),
    )
    response = await client.post(
        f"{API}/repairs/{ticket['id']}/take-over", json=take(company), headers=world.h("bureau")
    )
    assert response.status_code == 409
