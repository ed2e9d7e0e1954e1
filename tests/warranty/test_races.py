"""Competing steps on one repair ticket, fired together several times (issue 11): the
ticket is locked and rechecked by every step, so two steps that exclude each other never
both succeed, the loser gets 409, and the stored ticket agrees with the answers."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any
from uuid import UUID

import httpx

from service.clock import now, today
from service.warranty.tables import RepairTicket, WarrantyCharge
from tests.contracts.estate import Estate, make_contract, make_estate
from tests.support import World, add_user, created, login, unique
from tests.warranty.conftest import API, add_work

ROUNDS = 3


async def estate_under_warranty(client: httpx.AsyncClient, world: World) -> Estate:
    """A community with a live company contract and a roof under the world contractor's
    warranty."""
    estate = await make_estate(client, world)
    await make_contract(client, world, estate, starts_on="2026-01-01")
    await add_work(
        client,
        world,
        today() - timedelta(days=200),
        [{"category": "roofing"}],
        community_id=estate.community,
        retention_amount="3000.00",
        settlement_amount="100000.00",
    )
    return estate


async def ticket(client: httpx.AsyncClient, estate: Estate, category: str) -> dict[str, Any]:
    return await created(
        await client.post(
            f"{API}/repairs",
            json={"community_id": estate.community, "category": category, "description": "漏"},
            headers=estate.committee_h,
        )
    )


async def step(
    client: httpx.AsyncClient, ticket_id: str, action: str, headers: dict[str, str], **extra: Any
) -> httpx.Response:
    return await client.post(
        f"{API}/repairs/{ticket_id}/transitions", json={"action": action, **extra}, headers=headers
    )


async def stored(client: httpx.AsyncClient, world: World, ticket_id: str) -> dict[str, Any]:
    response = await client.get(f"{API}/repairs/{ticket_id}", headers=world.h("bureau"))
    body: dict[str, Any] = response.json()
    return body


async def test_verify_against_reopen_one_wins(client: httpx.AsyncClient, world: World) -> None:
    estate = await make_estate(client, world)
    await make_contract(client, world, estate, starts_on="2026-01-01")
    for _ in range(ROUNDS):
        made = await ticket(client, estate, "decoration")
        assert made["responsible_kind"] == "company"
        for action in ("accept", "start", "finish"):
            assert (await step(client, made["id"], action, estate.company_h)).status_code == 201
        verified, reopened = await asyncio.gather(
            step(client, made["id"], "verify", estate.committee_h),
            step(client, made["id"], "reopen", estate.committee_h, note="仍有问题"),
        )
        assert sorted([verified.status_code, reopened.status_code]) == [201, 409]
        final = await stored(client, world, made["id"])
        if verified.status_code == 201:
            assert (final["status"], final["reopen_count"]) == ("verified", 0)
            assert final["done_at"] is not None
        else:
            assert (final["status"], final["reopen_count"], final["done_at"]) == (
                "assigned",
                1,
                None,
            )


async def test_accept_against_accept_by_two_users_of_the_company_one_wins(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world)
    await make_contract(client, world, estate, starts_on="2026-01-01")
    username = unique("co2-")
    await add_user(
        client, world.h("bureau"), username=username, role="company", org_id=estate.company
    )
    second = await login(client, username)
    for _ in range(ROUNDS):
        made = await ticket(client, estate, "decoration")
        answers = await asyncio.gather(
            step(client, made["id"], "accept", estate.company_h),
            step(client, made["id"], "accept", second),
        )
        assert sorted(a.status_code for a in answers) == [201, 409]
        final = await stored(client, world, made["id"])
        assert final["status"] == "accepted"
        assert [e["action"] for e in final["events"]].count("accept") == 1


async def test_finish_against_take_over_one_wins(client: httpx.AsyncClient, world: World) -> None:
    estate = await estate_under_warranty(client, world)
    for _ in range(ROUNDS):
        made = await ticket(client, estate, "roofing")
        assert made["responsible_kind"] == "contractor"
        for action in ("accept", "start"):
            assert (
                await step(client, made["id"], action, world.h("contractor"))
            ).status_code == 201
        await RepairTicket.update({RepairTicket.due_at: now() - timedelta(hours=1)}).where(
            RepairTicket.id == UUID(made["id"])
        )
        finished, taken = await asyncio.gather(
            step(client, made["id"], "finish", world.h("contractor")),
            client.post(
                f"{API}/repairs/{made['id']}/take-over",
                json={"repairer_id": estate.company, "charge_amount": "800.00", "note": "逾期"},
                headers=world.h("bureau"),
            ),
        )
        assert sorted([finished.status_code, taken.status_code]) == [201, 409], (
            finished.text,
            taken.text,
        )
        final = await stored(client, world, made["id"])
        charges = await WarrantyCharge.count().where(WarrantyCharge.ticket == UUID(made["id"]))
        if finished.status_code == 201:
            assert (final["status"], final["responsible_kind"], charges) == (
                "done",
                "contractor",
                0,
            )
        else:
            assert (final["status"], final["responsible_org_id"], charges) == (
                "assigned",
                estate.company,
                1,
            )
            assert final["done_at"] is None
