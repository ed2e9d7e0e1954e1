"""Money under concurrency: nothing lost, nothing posted twice, nothing half-posted."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

from service.db import fetch
from service.funds import batches, schemas
from service.funds.tables import FundEntry, FundLine
from tests.conftest import ADMIN_URL, DATABASE_URL, IS_POSTGRES
from tests.funds.conftest import bulk_households, deposit, make_estate, post
from tests.support import World, bureau_caller

CONCURRENT = 200


async def test_two_hundred_concurrent_deposits_to_one_household_lose_nothing(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world, areas=("80.00",))
    household = estate.households[0]
    await deposit(client, world, household, "3600.00")
    amounts = [100 + i for i in range(CONCURRENT)]  # fen: 1.00 .. 2.99

    async def one(fen: int) -> httpx.Response:
        body = {
            "household_id": household,
            "amount": f"{fen // 100}.{fen % 100:02d}",
            "kind": "replenish",
            "paid_on": "2026-01-16",
        }
        return await post(client, world, "/fund/deposits", body)

    responses = await asyncio.gather(*(one(fen) for fen in amounts))
    assert [r.status_code for r in responses] == [201] * CONCURRENT, {
        r.status_code: r.text for r in responses if r.status_code != 201
    }
    assert len({r.json()["entry_id"] for r in responses}) == CONCURRENT
    expected = 360000 + sum(amounts)
    rows = await fetch("SELECT principal_fen FROM fund_account WHERE household = {}", household)
    assert int(rows[0]["principal_fen"]) == expected
    journal = await fetch(
        "SELECT COUNT(*) AS n, SUM(principal_delta) AS s FROM fund_line WHERE household = {}",
        household,
    )
    assert (int(journal[0]["n"]), int(journal[0]["s"])) == (CONCURRENT + 1, expected)
    check = await client.get(
        f"/api/v1/communities/{estate.community}/fund/verify", headers=world.h("bureau")
    )
    assert check.json()["ok"] is True
    assert check.json()["entries"] == CONCURRENT + 1


async def test_one_idempotency_key_sent_two_hundred_times_at_once_posts_once(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world, areas=("80.00",))
    household = estate.households[0]
    key = f"burst-{uuid.uuid4()}"
    body = {
        "household_id": household,
        "amount": "3600.00",
        "kind": "first",
        "paid_on": "2026-01-16",
    }
    responses = await asyncio.gather(
        *(post(client, world, "/fund/deposits", body, key=key) for _ in range(CONCURRENT))
    )
    assert {r.status_code for r in responses} == {201}
    assert len({r.text for r in responses}) == 1
    assert await FundEntry.count().where(FundEntry.community == estate.community) == 1
    rows = await fetch("SELECT principal_fen FROM fund_account WHERE household = {}", household)
    assert int(rows[0]["principal_fen"]) == 360000


@pytest.mark.skipif(
    not IS_POSTGRES, reason="pg_terminate_backend needs PostgreSQL; SQLite has no server"
)
async def test_a_connection_killed_mid_batch_leaves_no_line_of_that_batch(
    client: httpx.AsyncClient, world: World
) -> None:
    import asyncpg

    estate = await make_estate(client, world, areas=("50.00",))
    community = uuid.UUID(estate.community)
    more = await bulk_households(
        world.district_id, community, uuid.UUID(estate.building), ["60.00"] * 2500
    )
    await batches.post_first_deposits_for_community(world.district_id, community)
    lines_before = await FundLine.count()
    blocker_account = (await fetch("SELECT id FROM fund_account WHERE household = {}", more[-1]))[
        0
    ]["id"]
    admin = await asyncpg.connect(DATABASE_URL)
    holder = await asyncpg.connect(DATABASE_URL)
    try:
        # Hold one account row: the batch (one statement: entry, lines, balances, chain
        # head) inserts its lines, then blocks on the balance UPDATE of that row —
        # mid-transaction, with thousands of lines written.
        holder_tx = holder.transaction()
        await holder_tx.start()
        await holder.execute(
            "SELECT id FROM fund_account WHERE id = $1 FOR NO KEY UPDATE", blocker_account
        )
        caller = bureau_caller(world.district_id, "batch")
        batch = asyncio.create_task(
            batches.allocate_interest(
                caller,
                schemas.InterestIn(community_id=community, period="2030", amount="9999.99"),
            )
        )
        pid = None
        for _ in range(200):
            rows = await admin.fetch(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock' AND query LIKE '%UPDATE fund_account%'"
            )
            if rows:
                pid = rows[0]["pid"]
                break
            await asyncio.sleep(0.05)
        assert pid is not None, "the batch never reached its balance update"
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
        with pytest.raises((asyncpg.PostgresError, asyncpg.InterfaceError, OSError)):
            await batch
        await holder_tx.rollback()
    finally:
        await holder.close()
        await admin.close()
    assert await FundLine.count() == lines_before
    assert not await FundEntry.exists().where(
        (FundEntry.community == community) & (FundEntry.kind == "interest")
    )
    check = await client.get(
        f"/api/v1/communities/{estate.community}/fund/verify", headers=world.h("bureau")
    )
    assert check.json()["ok"] is True, check.json()
    # the pool recovered: the same batch now goes through
    retry = await post(
        client,
        world,
        "/fund/interest",
        {"community_id": estate.community, "period": "2030", "amount": "9999.99"},
    )
    assert retry.status_code == 201, retry.text
    assert retry.json()["households"] == 2501
    assert ADMIN_URL
