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


async def test_an_account_a_batch_moves_in_two_groups_is_moved_by_key_the_second_time(
    client: httpx.AsyncClient, world: World, estate: Estate, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two entries of one batch move the same household, each in its own group, both
    drafts giving the place read before the first: the first group moves the row (so it
    lies elsewhere), the second finds it by key. Both amounts land; the journal verifies."""
    monkeypatch.setattr(ledger, "OVERLAP_GROUP_LINES", 1)  # one entry a group
    monkeypatch.setattr(ledger, "SMALL_POSTING_LINES", 0)  # the batch's write path
    await deposit(client, world, estate.households[0], "100.00")
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
                yield ledger.EntryDraft(
                    chain=chain,
                    district_id=world.district_id,
                    kind="replenish",
                    lines=[
                        ledger.LineDraft(account, household, None, fen, 0),
                        ledger.LineDraft(custody, None, None, -fen, 0),
                    ],
                    custody=custody,
                    value_date=today(),
                    places={account: place},
                )

        posted = await ledger.post_overlapped(drafts())
    assert len(posted) == 2
    assert await balance(client, world, estate.households[0]) == "105.00"
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
