"""A batch's balance update goes straight to the account rows it read (``EntryDraft.places``,
PostgreSQL's ctid): each account moved once, by key once its row has moved, and a place
that no longer holds fails the batch whole."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from service.clock import today
from service.db import fetch, transaction
from service.funds import batches, ledger
from tests.conftest import IS_POSTGRES
from tests.fund_uses.test_api import balance
from tests.funds.conftest import Estate, deposit
from tests.funds.test_first_deposits import make_district
from tests.support import World, bureau_caller


async def _snapshot(community: uuid.UUID) -> list[Any]:
    """The community's journal head and its accounts' balances."""
    chain = await fetch(
        "SELECT last_seq, head_hash FROM fund_chain WHERE community = {}", community
    )
    accounts = await fetch(
        "SELECT id, principal_fen, interest_fen FROM fund_account WHERE community = {} ORDER BY id",
        community,
    )
    return [dict(r) for r in chain] + [dict(r) for r in accounts]


def balance_statements(monkeypatch: pytest.MonkeyPatch) -> list[list[tuple[int, int]]]:
    """What each batch group's balance statements move on PostgreSQL: (accounts by row
    place, accounts by key) per statement."""
    sent: list[list[tuple[int, int]]] = []
    real = ledger._send_large_postgres

    async def spy(writes: ledger.LargeWrites) -> None:
        sent.append([(placed, keyed) for _, placed, keyed in writes.balances])
        await real(writes)

    monkeypatch.setattr(ledger, "_send_large_postgres", spy)
    return sent


def replenishment(
    chain: ledger.Chain,
    world: World,
    household: uuid.UUID,
    accounts: tuple[uuid.UUID, uuid.UUID],
    fen: int,
    *,
    short: int = 0,
    places: dict[uuid.UUID, Any] | None = None,
) -> ledger.EntryDraft:
    """``fen`` into the household's account (``accounts``: it and the custody account) from
    the custody account, ``short`` fen short of balancing."""
    account, custody = accounts
    return ledger.EntryDraft(
        chain=chain,
        district_id=world.district_id,
        kind="replenish",
        lines=[
            ledger.LineDraft(account, household, None, fen, 0),
            ledger.LineDraft(custody, None, None, -fen + short, 0),
        ],
        custody=custody,
        value_date=today(),
        places=places,
    )


async def test_an_account_a_batch_moves_in_two_groups_is_moved_by_key_the_second_time(
    client: httpx.AsyncClient, world: World, estate: Estate, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two entries of one batch move the same household, each in its own group, both
    drafts giving the place read before the first: the first group moves the row by its
    place (so it lies elsewhere), the second finds it by key. Both amounts land; the
    journal verifies. (SQLite finds every row by key.)"""
    monkeypatch.setattr(ledger, "OVERLAP_GROUP_LINES", 1)  # one entry a group
    monkeypatch.setattr(ledger, "SMALL_POSTING_LINES", 0)  # the batch's write path
    await deposit(client, world, estate.households[0], "100.00")
    sent = balance_statements(monkeypatch)
    community, household = uuid.UUID(estate.community), uuid.UUID(estate.households[0])
    async with transaction():
        chain = await ledger.lock_community(community)
        custody = await ledger.custody_account(world.district_id, community)
        rows = await fetch(
            f"SELECT a.id, {ledger.row_place('a')} AS place FROM fund_account AS a"
            " WHERE a.household = {}",
            household,
        )
        account, place = rows[0]["id"], rows[0]["place"]
        assert (place is not None) == IS_POSTGRES

        async def drafts() -> AsyncIterator[ledger.EntryDraft]:
            for fen in (200, 300):
                accounts = (account, custody)
                yield replenishment(chain, world, household, accounts, fen, places={account: place})

        posted = await ledger.post_overlapped(drafts())
    assert len(posted) == 2
    # The household by place, then by key; the custody account by key both times.
    assert sent == ([[(1, 1)], [(0, 2)]] if IS_POSTGRES else [])
    assert await balance(client, world, estate.households[0]) == "105.00"
    assert (await ledger.verify(community)).ok


async def test_a_districts_first_deposits_move_the_balances_at_their_row_places(
    database: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The district's first deposits read the accounts they open with their places and
    move the households' balances there (the custody accounts by key); every balance is
    its first deposit and the journals verify."""
    monkeypatch.setattr(ledger, "SMALL_POSTING_LINES", 0)
    sent = balance_statements(monkeypatch)
    district, households = await make_district()
    assert await batches.post_first_deposits_for_district(district) == 6
    # Two communities of three flats in one group: six households by place, two by key.
    assert sent == ([[(6, 2)]] if IS_POSTGRES else [])
    rows = await fetch(
        "SELECT principal_fen, first_deposit_fen FROM fund_account AS a"
        " JOIN household AS h ON h.id = a.household WHERE h.district = {}",
        district,
    )
    assert len(rows) == 6
    assert all(r["principal_fen"] == r["first_deposit_fen"] > 0 for r in rows)
    for community in households:
        assert (await ledger.verify(community)).ok


@pytest.mark.skipif(not IS_POSTGRES, reason="row places (ctid) are PostgreSQL's")
async def test_a_district_run_whose_row_places_no_longer_hold_posts_nothing(
    client: httpx.AsyncClient, world: World, estate: Estate, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each weight read names another household's row (as if rows had moved since the
    read): the balance update matches no account by place and id, so the run fails and
    leaves the journal, the chain head and every balance as they were, instead of posting
    lines whose balances did not move."""
    monkeypatch.setattr(ledger, "SMALL_POSTING_LINES", 0)
    for household in estate.households:
        await deposit(client, world, household, "100.00")
    community = uuid.UUID(estate.community)
    before = await _snapshot(community)
    real = batches.balance_days_of

    async def shifted(*args: Any) -> list[dict[str, Any]]:
        rows = [dict(r) for r in await real(*args)]
        assert len(rows) >= 2
        places = [r["place"] for r in rows]
        for row, place in zip(rows, places[1:] + places[:1], strict=True):
            row["place"] = place
        return rows

    monkeypatch.setattr(batches, "balance_days_of", shifted)
    caller = bureau_caller(world.district_id)
    with pytest.raises(RuntimeError, match="moved under it"):
        await batches.allocate_interest_for_district(caller, "2027-Q3", {community: 500})
    assert await _snapshot(community) == before
    assert (await ledger.verify(community)).ok
    interest = await fetch(
        "SELECT COUNT(*) AS n FROM fund_entry WHERE community = {} AND kind = 'interest'",
        community,
    )
    assert interest[0]["n"] == 0


@pytest.mark.skipif(not IS_POSTGRES, reason="row places (ctid) are PostgreSQL's")
async def test_a_districts_first_deposits_with_places_that_do_not_hold_post_nothing(
    database: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every account read as lying at one place (the first row of the table's first
    page): the balance update moves at most one of them, so the seed fails, and its
    transaction takes the opened accounts, the entries and the balances with it."""
    monkeypatch.setattr(ledger, "SMALL_POSTING_LINES", 0)
    monkeypatch.setattr(ledger, "row_place", lambda table: "CAST('(0,1)' AS tid)")
    district, _ = await make_district()
    with pytest.raises(RuntimeError, match="moved under it"):
        await batches.post_first_deposits_for_district(district)
    accounts = await fetch(
        "SELECT COUNT(*) AS n FROM fund_account AS a JOIN household AS h"
        " ON h.id = a.household WHERE h.district = {}",
        district,
    )
    assert accounts[0]["n"] == 0
    entries = await fetch("SELECT COUNT(*) AS n FROM fund_entry WHERE district = {}", district)
    assert entries[0]["n"] == 0


async def test_a_batch_refused_in_python_leaves_the_planner_and_the_group_as_they_were(
    client: httpx.AsyncClient, world: World, estate: Estate, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A draft refused while a batch is being made (its lines do not sum to zero) raises
    out of ``post_overlapped`` into a transaction that is still usable: the planner's mode
    is set back (``db.batch_writes``). And a group once prepared takes no more drafts: its
    statements are made (on PostgreSQL, a batch's group)."""
    monkeypatch.setattr(ledger, "SMALL_POSTING_LINES", 0)
    await deposit(client, world, estate.households[0], "100.00")
    community, household = uuid.UUID(estate.community), uuid.UUID(estate.households[0])
    mode = "SELECT current_setting('plan_cache_mode') AS mode"
    async with transaction():
        before = (await fetch(mode))[0]["mode"] if IS_POSTGRES else None
        chain = await ledger.lock_community(community)
        custody = await ledger.custody_account(world.district_id, community)
        account = (await ledger.household_accounts(world.district_id, community, [household]))[
            household
        ]

        def draft(fen: int, short: int = 0) -> ledger.EntryDraft:
            return replenishment(chain, world, household, (account, custody), fen, short=short)

        async def refused() -> AsyncIterator[ledger.EntryDraft]:
            yield draft(100, short=1)

        with pytest.raises(ValueError, match="sum to zero"):
            await ledger.post_overlapped(refused())
        if IS_POSTGRES:
            assert (await fetch(mode))[0]["mode"] == before

        group = ledger.Postings()
        group.add(draft(100))
        group.prepare()
        if IS_POSTGRES:
            with pytest.raises(RuntimeError, match="no more drafts"):
                group.add(draft(200))
        # Nothing was written: the refused draft raised before any write, the prepared
        # group was never sent.
    assert await balance(client, world, estate.households[0]) == "100.00"
