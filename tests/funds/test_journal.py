"""The journal is append-only, and verify notices a cache or chain that disagrees."""

from __future__ import annotations

import uuid

import httpx
import pytest

from service.clock import today
from service.db import fetch, transaction
from service.funds import ledger
from service.funds.tables import FundEntry, FundLine
from tests.funds.conftest import Estate, deposit
from tests.support import World


async def test_an_update_of_a_journal_line_is_refused(
    client: httpx.AsyncClient, world: World, estate: Estate
) -> None:
    await deposit(client, world, estate.households[0], "100.00")
    with pytest.raises(Exception, match="append-only"):
        await FundLine.update({FundLine.principal_delta: 1}, force=True)
    with pytest.raises(Exception, match="append-only"):
        await fetch("UPDATE fund_entry SET memo = 'changed' WHERE community = {}", estate.community)


async def test_a_delete_of_a_journal_row_is_refused(
    client: httpx.AsyncClient, world: World, estate: Estate
) -> None:
    await deposit(client, world, estate.households[0], "100.00")
    with pytest.raises(Exception, match="append-only"):
        await FundLine.delete(force=True)
    with pytest.raises(Exception, match="append-only"):
        await FundEntry.delete().where(FundEntry.community == estate.community)
    assert await FundEntry.count().where(FundEntry.community == estate.community) == 1


async def _verify(client: httpx.AsyncClient, world: World, community: str) -> dict:
    response = await client.get(
        f"/api/v1/communities/{community}/fund/verify", headers=world.h("auditor")
    )
    assert response.status_code == 200
    return response.json()


async def test_verify_reports_a_cached_balance_that_differs_from_the_journal(
    client: httpx.AsyncClient, world: World, estate: Estate
) -> None:
    await deposit(client, world, estate.households[0], "100.00")
    await fetch(
        "UPDATE fund_account SET principal_fen = principal_fen + 1 WHERE household = {}",
        estate.households[0],
    )
    result = await _verify(client, world, estate.community)
    assert result["ok"] is False
    assert any("cached 10001/0" in p for p in result["problems"])
    await fetch(
        "UPDATE fund_account SET principal_fen = principal_fen - 1 WHERE household = {}",
        estate.households[0],
    )
    assert (await _verify(client, world, estate.community))["ok"] is True


async def test_verify_reports_a_chain_head_that_is_not_the_last_hash(
    client: httpx.AsyncClient, world: World, estate: Estate
) -> None:
    await deposit(client, world, estate.households[0], "100.00")
    head = (await _verify(client, world, estate.community))["chain_head"]
    await fetch(
        "UPDATE fund_chain SET head_hash = {} WHERE community = {}", "f" * 64, estate.community
    )
    assert (await _verify(client, world, estate.community))["ok"] is False
    await fetch("UPDATE fund_chain SET head_hash = {} WHERE community = {}", head, estate.community)
    assert (await _verify(client, world, estate.community))["ok"] is True


async def test_a_community_without_postings_verifies_with_the_genesis_head(
    client: httpx.AsyncClient, world: World, estate: Estate
) -> None:
    result = await _verify(client, world, estate.community)
    assert result == {
        "community_id": estate.community,
        "ok": True,
        "entries": 0,
        "chain_head": "0" * 64,
        "problems": [],
    }


async def test_an_entry_whose_lines_do_not_sum_to_zero_is_refused_and_nothing_is_written(
    client: httpx.AsyncClient, world: World, estate: Estate
) -> None:
    await deposit(client, world, estate.households[0], "100.00")
    community = uuid.UUID(estate.community)
    household = uuid.UUID(estate.households[0])
    before = await fetch(
        "SELECT last_seq, head_hash FROM fund_chain WHERE community = {}", community
    )
    with pytest.raises(ValueError, match="sum to zero"):
        async with transaction():
            chain = await ledger.lock_community(community)
            custody = await ledger.custody_account(world.district_id, community)
            account = (await ledger.household_accounts(world.district_id, community, [household]))[
                household
            ]
            await ledger.post_entry(
                ledger.EntryDraft(
                    chain=chain,
                    district_id=world.district_id,
                    kind="replenish",
                    lines=[
                        ledger.LineDraft(account, household, None, 100, 0),
                        ledger.LineDraft(custody, None, None, -99, 0),  # one fen short
                    ],
                    custody=custody,
                    value_date=today(),
                )
            )
    assert await FundEntry.count().where(FundEntry.community == estate.community) == 1
    after = await fetch(
        "SELECT last_seq, head_hash FROM fund_chain WHERE community = {}", community
    )
    assert [dict(r) for r in after] == [dict(r) for r in before]
