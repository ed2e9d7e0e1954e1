"""Fixtures of the warranty tests: works registered through the API in the world's CA."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from service.clock import today
from tests.support import World, add_user, created, login, unique

API = "/api/v1"


async def add_work(
    client: httpx.AsyncClient,
    world: World,
    accepted_on: date,
    components: list[dict[str, Any]],
    **extra: Any,
) -> dict[str, Any]:
    body = {
        "community_id": world.ids["CA"],
        "title": "老旧小区改造一期",
        "contractor_id": world.ids["org_contractor"],
        "accepted_on": accepted_on.isoformat(),
        "settlement_amount": "1000000.00",
        "components": components,
        **extra,
    }
    return await created(await client.post(f"{API}/works", json=body, headers=world.h("bureau")))


async def report(client: httpx.AsyncClient, world: World, who: str, **body: Any) -> dict[str, Any]:
    body.setdefault("community_id", world.ids["CA"])
    body.setdefault("description", "顶层住户反映雨天屋顶渗水")
    body.setdefault("urgency", "normal")
    return await created(await client.post(f"{API}/repairs", json=body, headers=world.h(who)))


async def step(
    client: httpx.AsyncClient, world: World, who: str, ticket_id: str, action: str, **extra: Any
) -> httpx.Response:
    return await client.post(
        f"{API}/repairs/{ticket_id}/transitions",
        json={"action": action, **extra},
        headers=world.h(who),
    )


@dataclass
class Site:
    """Two works of the world's contractor in CA: one under warranty, one long expired."""

    recent: dict[str, Any]
    old: dict[str, Any]


@pytest.fixture(scope="session")
async def site(client: httpx.AsyncClient, world: World) -> Site:
    recent = await add_work(
        client,
        world,
        today() - timedelta(days=400),
        [{"category": "roofing"}, {"category": "exterior_wall"}],
        retention_amount="30000.00",
    )
    old = await add_work(
        client,
        world,
        today() - timedelta(days=3 * 365 + 30),
        [{"category": "electrical"}, {"category": "plumbing"}],
    )
    return Site(recent=recent, old=old)


@dataclass
class Rival:
    """A second contractor with its own work (in CB) and a user."""

    org_id: str
    headers: dict[str, str]
    work: dict[str, Any]


@pytest.fixture(scope="session")
async def rival(client: httpx.AsyncClient, world: World) -> Rival:
    bureau = world.h("bureau")
    org = await created(
        await client.post(
            f"{API}/organizations",
            json={"kind": "contractor", "name": unique("市政二公司")},
            headers=bureau,
        )
    )
    username = unique("rival-")
    await add_user(client, bureau, username=username, role="contractor", org_id=org["id"])
    work = await add_work(
        client,
        world,
        today() - timedelta(days=100),
        [{"category": "roofing"}],
        community_id=world.ids["CB"],
        contractor_id=org["id"],
    )
    return Rival(org_id=org["id"], headers=await login(client, username), work=work)
