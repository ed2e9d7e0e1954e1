"""Fresh places for standards tests: a community of the world's area with (or without) a
live contract of the world's company, and the helpers to inspect it."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import httpx

from service.clock import now
from service.contracts.tables import Contract
from tests.support import World, created, unique

API = "/api/v1"


async def fresh_community(client: httpx.AsyncClient, world: World, *, company: bool = True) -> str:
    """A new community in the world's area; with ``company`` the world's company holds
    its live contract (so the world's company user sees it)."""
    tag = unique("S")
    community = await created(
        await client.post(
            f"{API}/communities",
            json={
                "area_id": world.ids["area"],
                "name": f"{tag} 小区",
                "code": tag,
                "built_year": 1996,
                "deposit_rate_per_m2": "45.00",
            },
            headers=world.h("bureau"),
        )
    )
    if company:
        await Contract.insert(
            Contract(
                district=world.district_id,
                community=uuid.UUID(community["id"]),
                company=uuid.UUID(world.ids["org_company"]),
                mode="market",
                status="live",
                starts_on=date(2024, 1, 1),
                ends_on=date(2027, 12, 31),
                created_at=now(),
            )
        )
    return str(community["id"])


async def fresh_area(client: httpx.AsyncClient, world: World) -> str:
    tag = unique("PA")
    area = await created(
        await client.post(
            f"{API}/areas", json={"name": f"{tag} 片区", "code": tag}, headers=world.h("bureau")
        )
    )
    return str(area["id"])


async def inspect(
    client: httpx.AsyncClient,
    world: World,
    place: dict[str, str],
    items: list[dict[str, Any]],
    who: str = "bureau",
    **extra: Any,
) -> httpx.Response:
    return await client.post(
        f"{API}/inspections", json={**place, "items": items, **extra}, headers=world.h(who)
    )


async def organization(client: httpx.AsyncClient, world: World, kind: str, name: str) -> str:
    org = await created(
        await client.post(
            f"{API}/organizations",
            json={"kind": kind, "name": unique(name)},
            headers=world.h("bureau"),
        )
    )
    return str(org["id"])
