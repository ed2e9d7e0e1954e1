"""Repair tickets the company closed in the period, and how many on time, stand beside
the facilities item."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx

from service.clock import DISTRICT_ZONE, now, today
from service.warranty.tables import RepairTicket
from tests.contracts.estate import make_contract, make_estate
from tests.ratings.flow import make_period
from tests.support import World, created


async def test_repair_tickets_closed_by_the_company_count_with_those_on_time(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world)
    contract = await make_contract(client, world, estate)
    period = await make_period(client, world, "2026-01-01", "2026-03-31")
    due = datetime(2026, 2, 10, 12, 0, tzinfo=DISTRICT_ZONE)
    for done in (due - timedelta(hours=1), due + timedelta(days=2), None):
        await RepairTicket.insert(
            RepairTicket(
                district=world.district_id,
                community=uuid.UUID(estate.community),
                category="plumbing",
                description="下水道堵塞",
                urgency="normal",
                status="done" if done else "accepted",
                responsible_kind="company",
                responsible_org=uuid.UUID(estate.company),
                reason="保修期外，日常维修",
                reporter_id=uuid.uuid4(),
                reporter_role="owner",
                reported_at=due - timedelta(days=7),
                due_at=due,
                done_at=done,
                updated_at=now(),
            )
        )
    evidence = await client.get(
        f"/api/v1/rating-periods/{period['id']}/evidence",
        params={"contract_id": contract["id"]},
        headers=world.h("bureau"),
    )
    body = evidence.json()
    assert (body["repair_tickets_closed"], body["repair_tickets_closed_on_time"]) == (2, 1)


async def test_evidence_is_shown_only_to_those_who_may_see_the_contract(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world)
    contract = await make_contract(client, world, estate)
    period = await make_period(client, world, "2026-01-01", "2026-03-31")
    path = f"/api/v1/rating-periods/{period['id']}/evidence"
    params = {"contract_id": contract["id"]}
    for headers, status in (
        (world.h("bureau"), 200),
        (estate.company_h, 200),
        (world.h("company"), 404),
        (world.h("committee"), 404),
        (world.h("owner1"), 403),
    ):
        assert (await client.get(path, params=params, headers=headers)).status_code == status
    body = (await client.get(path, params=params, headers=world.h("bureau"))).json()
    assert body["served_days"] == 90
    assert body["record_days"]["cleaning"] == 0
    assert body["satisfaction_average"] is None


async def _evidence(
    client: httpx.AsyncClient, world: World, period: dict[str, Any], contract: dict[str, Any]
) -> tuple[int, int]:
    body = (
        await client.get(
            f"/api/v1/rating-periods/{period['id']}/evidence",
            params={"contract_id": contract["id"]},
            headers=world.h("bureau"),
        )
    ).json()
    return body["repair_tickets_closed"], body["repair_tickets_closed_on_time"]


async def test_a_reopened_ticket_is_not_done_nor_on_time_until_finished_again(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world)
    contract = await make_contract(client, world, estate)
    this_month = today().replace(day=1)
    last_day = (this_month + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    period = await make_period(client, world, this_month.isoformat(), last_day.isoformat())
    ticket = await created(
        await client.post(
            "/api/v1/repairs",
            json={
                "community_id": estate.community,
                "category": "plumbing",
                "description": "楼道下水管堵塞",
                "urgency": "normal",
            },
            headers=estate.committee_h,
        )
    )
    assert ticket["responsible_kind"] == "company"
    path = f"/api/v1/repairs/{ticket['id']}/transitions"
    for action in ("accept", "start", "finish"):
        step = await client.post(path, json={"action": action}, headers=estate.company_h)
        assert step.status_code == 201, step.text
    assert step.json()["done_at"] is not None
    assert await _evidence(client, world, period, contract) == (1, 1)

    reopened = await client.post(
        path, json={"action": "reopen", "note": "仍在渗漏"}, headers=estate.committee_h
    )
    assert reopened.status_code == 201, reopened.text
    assert (reopened.json()["status"], reopened.json()["done_at"]) == ("assigned", None)
    assert await _evidence(client, world, period, contract) == (0, 0)
    listed = await client.get(
        "/api/v1/repairs", params={"status": "done"}, headers=estate.company_h
    )
    assert ticket["id"] not in [t["id"] for t in listed.json()["items"]]

    for action in ("accept", "start", "finish"):
        step = await client.post(path, json={"action": action}, headers=estate.company_h)
        assert step.status_code == 201, step.text
    assert await _evidence(client, world, period, contract) == (1, 1)
