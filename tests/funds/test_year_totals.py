"""The households' year totals kept beside the journal (``fund_year_total``): every posting
moves them, the community summary reads them, ``verify`` recomputes them from the lines,
and the migration's fill gives what the postings kept."""

from __future__ import annotations

import importlib
import uuid
from datetime import date
from typing import Any

import httpx
import msgspec

from service.db import fetch
from service.funds import ledger
from service.funds.ledger import YEAR_TOTALS_FROM_LINES_SQL, EntryDraft, LineDraft
from service.funds.reads import _years
from tests.funds.conftest import Estate, created, deposit, post
from tests.support import World

FILL = importlib.import_module("migrations.funds.funds_2026_12_02t22_30_00_000000").FILL


def _key(row: dict[str, Any]) -> tuple[int, str]:
    return int(row["book_year"]), str(row["kind"])


async def _kept(community: str) -> dict[tuple[int, str], int]:
    rows = await fetch(
        "SELECT book_year, kind, amount_fen FROM fund_year_total WHERE community = {}",
        community,
    )
    return {_key(r): int(r["amount_fen"]) for r in rows}


async def _from_lines(community: str) -> dict[tuple[int, str], int]:
    return {_key(r): int(r["amount"]) for r in await fetch(YEAR_TOTALS_FROM_LINES_SQL, community)}


async def test_every_kind_of_posting_moves_the_kept_totals_as_its_lines_do(
    client: httpx.AsyncClient, world: World, estate: Estate
) -> None:
    first = await deposit(client, world, estate.households[0], "1000.00")
    await deposit(client, world, estate.households[1], "800.00")
    await deposit(client, world, estate.households[2], "600.00")
    mistaken = await deposit(client, world, estate.households[2], "555.55", kind="replenish")
    interest = {"community_id": estate.community, "period": "2026-Q1", "amount": "12.34"}
    refund = {"household_id": estate.households[0], "reason": "拆迁"}
    for path, body in (
        (f"/fund/entries/{mistaken['entry_id']}/reverse", {"reason": "重复入账"}),
        ("/fund/interest", interest),
        ("/fund/refunds", refund),
    ):
        await created(await post(client, world, path, body))
    assert first["entry_id"]

    kept = await _kept(estate.community)
    assert kept == await _from_lines(estate.community)
    # The reversal counts under the kind it reverses: the replenishment nets to nothing.
    assert kept[(2026, "replenish")] == 0
    assert kept[(2026, "first_deposit")] == 240_000
    assert kept[(2026, "interest")] == 1_234
    assert kept[(2026, "refund")] < -100_000  # the first deposit and its interest share
    # The summary shows exactly what the lines sum to.
    summary = (
        await client.get(f"/api/v1/communities/{estate.community}/fund", headers=world.h("bureau"))
    ).json()
    journal = [
        {"year": year, "kind": kind, "amount": amount}
        for (year, kind), amount in (await _from_lines(estate.community)).items()
    ]
    assert summary["years"] == msgspec.to_builtins(_years(journal))
    assert [y["year"] for y in summary["years"]] == [2026]
    assert (await ledger.verify(uuid.UUID(estate.community))).ok


async def test_verify_reports_a_kept_total_that_differs_from_the_journal(
    client: httpx.AsyncClient, world: World, estate: Estate
) -> None:
    await deposit(client, world, estate.households[0], "100.00")
    change = "UPDATE fund_year_total SET amount_fen = amount_fen + {} WHERE community = {}"
    await fetch(change, 1, estate.community)
    result = await ledger.verify(uuid.UUID(estate.community))
    assert not result.ok
    assert result.problems == ["year total 2026 first_deposit: kept 10001, journal 10000"]
    await fetch(change, -1, estate.community)
    assert (await ledger.verify(uuid.UUID(estate.community))).ok


async def test_the_migrations_fill_gives_what_the_postings_kept_everywhere(
    client: httpx.AsyncClient, world: World, estate: Estate
) -> None:
    """Over every community this test database holds (what the tests before this one
    posted), the totals kept by the postings, the fill the migration ran on an existing
    journal, and the lines agree."""
    await deposit(client, world, estate.households[0], "100.00")
    select = FILL[FILL.index("SELECT") :]
    filled = {
        (str(r["community"]), int(r["book_year"]), str(r["kind"])): int(r["amount"])
        for r in await fetch(select)
    }
    kept = {
        (str(r["community"]), int(r["book_year"]), str(r["kind"])): int(r["amount_fen"])
        for r in await fetch("SELECT community, book_year, kind, amount_fen FROM fund_year_total")
    }
    assert kept == filled
    assert len(kept) >= 1


def test_a_reversal_posted_in_the_same_call_counts_under_the_kind_it_reverses() -> None:
    community, custody, account, household = (uuid.uuid4() for _ in range(4))
    chain = ledger.Chain(community=community, seq=0, head=ledger.GENESIS_HASH)
    totals: dict[ledger.TotalKey, int] = {}
    kinds: dict[uuid.UUID, str] = {}

    def draft(kind: str, fen: int, reverses: uuid.UUID | None = None) -> EntryDraft:
        return EntryDraft(
            chain=chain,
            district_id=uuid.uuid4(),
            kind=kind,
            lines=[
                LineDraft(account, household, None, fen, 0),
                LineDraft(custody, None, None, -fen, 0),
            ],
            custody=custody,
            value_date=date(2026, 3, 1),
            reverses_entry=reverses,
        )

    original, earlier = uuid.uuid4(), uuid.uuid4()
    first = draft("replenish", 500)
    ledger._add_year_total(totals, kinds, first, {"id": original, "book_year": 2026}, first.lines)
    undo = draft("reversal", -500, reverses=original)
    ledger._add_year_total(totals, kinds, undo, {"id": uuid.uuid4(), "book_year": 2026}, undo.lines)
    # One posted before this call: its kind is the statement's to look up.
    older = draft("reversal", -7, reverses=earlier)
    ledger._add_year_total(
        totals, kinds, older, {"id": uuid.uuid4(), "book_year": 2026}, older.lines
    )
    custody_only = EntryDraft(
        chain=chain,
        district_id=uuid.uuid4(),
        kind="transfer",
        lines=[LineDraft(custody, None, None, 0, 0)],
        custody=custody,
        value_date=date(2026, 3, 1),
    )
    ledger._add_year_total(totals, kinds, custody_only, {"id": uuid.uuid4(), "book_year": 2026}, [])
    assert totals == {
        (community, 2026, "replenish", None): 0,
        (community, 2026, "reversal", earlier): -7,
    }


async def test_a_posting_counts_in_the_year_of_its_value_date_and_a_reversal_in_its_own(
    client: httpx.AsyncClient, world: World, estate: Estate
) -> None:
    """The book year is the value date's year (31 December counts in the year it ends), and
    a reversal posted in the next year counts in the next year, under the reversed kind."""
    body = {"household_id": estate.households[0], "amount": "300.00", "kind": "first"}
    late = await created(
        await post(client, world, "/fund/deposits", {**body, "paid_on": "2025-12-31"})
    )
    await created(
        await post(client, world, f"/fund/entries/{late['entry_id']}/reverse", {"reason": "误记"})
    )
    kept = await _kept(estate.community)
    assert kept == await _from_lines(estate.community)
    assert kept[(2025, "first_deposit")] == 30_000
    assert kept[(2026, "first_deposit")] == -30_000
