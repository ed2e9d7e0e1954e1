"""Steps shared by the rating tests."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support import World, created, unique

DEFAULT_MAX = {
    "general": "15.00",
    "security": "15.00",
    "cleaning": "20.00",
    "greening": "10.00",
    "facilities": "20.00",
    "satisfaction": "20.00",
}


def scores(**overrides: str) -> list[dict[str, Any]]:
    """Full marks on every item, with overrides per code."""
    items = {**DEFAULT_MAX, **overrides}
    return [{"code": code, "score": score, "note": ""} for code, score in items.items()]


async def make_period(
    client: httpx.AsyncClient, world: World, starts_on: str, ends_on: str
) -> dict[str, Any]:
    return await created(
        await client.post(
            "/api/v1/rating-periods",
            json={"name": unique("评价期"), "starts_on": starts_on, "ends_on": ends_on},
            headers=world.h("bureau"),
        )
    )


async def rate(
    client: httpx.AsyncClient,
    world: World,
    period: dict[str, Any],
    contract: dict[str, Any],
    items: list[dict[str, Any]],
) -> httpx.Response:
    return await client.post(
        f"/api/v1/rating-periods/{period['id']}/ratings",
        json={"contract_id": contract["id"], "items": items},
        headers=world.h("bureau"),
    )
