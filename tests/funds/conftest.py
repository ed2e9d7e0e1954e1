"""Fund test fixtures: each test builds its own community, so the shared database of the
session never couples tests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from service.clock import now
from service.registry.tables import Household, Owner
from tests.support import World, created, unique


@dataclass
class Estate:
    community: str
    building: str
    households: list[str]


async def make_estate(
    client: httpx.AsyncClient,
    world: World,
    areas: tuple[str, ...] = ("80.00", "60.00", "100.00"),
    rate: str = "45.00",
) -> Estate:
    """A new community of the world's area, one building, one household per area."""
    bureau = world.h("bureau")
    community = await created(
        await client.post(
            "/api/v1/communities",
            json={
                "area_id": world.ids["area"],
                "name": "资金测试小区",
                "code": unique("F"),
                "built_year": 1996,
                "deposit_rate_per_m2": rate,
            },
            headers=bureau,
        )
    )
    building = await created(
        await client.post(
            f"/api/v1/communities/{community['id']}/buildings",
            json={"name": "1号楼", "floors": 6, "has_elevator": False},
            headers=bureau,
        )
    )
    households = await bulk_households(
        world.district_id, uuid.UUID(community["id"]), uuid.UUID(building["id"]), areas
    )
    return Estate(community["id"], building["id"], [str(h) for h in households])


async def bulk_households(
    district_id: uuid.UUID,
    community_id: uuid.UUID,
    building_id: uuid.UUID,
    areas: tuple[str, ...] | list[str],
) -> list[uuid.UUID]:
    """Households (and an owner each) inserted directly: fast, for tests needing many."""
    unit = uuid.uuid4().hex[:8]
    owners = [
        Owner(
            district=district_id,
            name=f"业主{i}",
            id_digest=uuid.uuid4().hex,
            id_masked="4103**********0000",
            created_at=now(),
        )
        for i in range(len(areas))
    ]
    households = [
        Household(
            district=district_id,
            community=community_id,
            building=building_id,
            unit_no=unit,
            room_no=f"{i + 101}",
            floor_area=int(area.replace(".", "")),
            owner=owner.id,
            created_at=now(),
        )
        for i, (owner, area) in enumerate(zip(owners, areas, strict=True))
    ]
    for start in range(0, len(owners), 1000):
        await Owner.insert(*owners[start : start + 1000])
        await Household.insert(*households[start : start + 1000])
    return [h.id for h in households]


async def post(
    client: httpx.AsyncClient,
    world: World,
    path: str,
    body: dict[str, Any],
    *,
    key: str | None = None,
    who: str = "bureau",
) -> httpx.Response:
    """A money-moving POST with a fresh (or the given) Idempotency-Key."""
    headers = {**world.h(who), "Idempotency-Key": key or uuid.uuid4().hex}
    return await client.post(f"/api/v1{path}", json=body, headers=headers)


async def deposit(
    client: httpx.AsyncClient,
    world: World,
    household: str,
    amount: str,
    kind: str = "first",
    **extra: Any,
) -> dict[str, Any]:
    response = await post(
        client,
        world,
        "/fund/deposits",
        {"household_id": household, "amount": amount, "kind": kind, "paid_on": "2026-01-15"},
        **extra,
    )
    return await created(response)


@pytest.fixture
async def estate(client: httpx.AsyncClient, world: World) -> Estate:
    return await make_estate(client, world)


async def spend(household: str, fen: int) -> None:
    """Take ``fen`` out of a household's principal as a fund use does (issue 4 posts these
    through the same ledger)."""
    from service.db import transaction
    from service.funds import ledger

    row = (
        await Household.select(Household.district, Household.community, Household.owner)
        .where(Household.id == uuid.UUID(household))
        .first()
    )
    assert row is not None
    async with transaction():
        chain = await ledger.lock_community(row["community"])
        custody = await ledger.custody_account(row["district"], row["community"])
        account = (
            await ledger.household_accounts(
                row["district"], row["community"], [uuid.UUID(household)]
            )
        )[uuid.UUID(household)]
        await ledger.post_entry(
            ledger.EntryDraft(
                chain=chain,
                district_id=row["district"],
                kind="use",
                lines=[
                    ledger.LineDraft(account, uuid.UUID(household), row["owner"], -fen, 0),
                    ledger.LineDraft(custody, None, None, fen, 0),
                ],
                custody=custody,
                value_date=now().date(),
                memo="维修",
            )
        )
