"""Batch postings: interest, income from common parts, first deposits of a district.

Each reads its weights with one query, splits them with the pure rule
(``allocate_by_weight`` / ``first_deposit``), and writes through ``ledger.post_entry``:
bulk inserts and one set-based balance update — never a query per household.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import date
from typing import Any
from uuid import UUID

from service import collector
from service.audit.service import record, record_many
from service.auth.roles import Caller
from service.clock import today
from service.db import chunks, fetch, for_batch, is_postgres, placeholders, transaction
from service.errors import Conflict, InputError
from service.funds import ledger, schemas
from service.funds.ledger import LineDraft
from service.funds.rules import allocate_by_weight, first_deposit, interest_period, interest_shares
from service.funds.service import within_fund_life
from service.units import format_yuan, parse_fen


async def communities_in_district(district_id: UUID, community_ids: Sequence[UUID]) -> None:
    """422 naming ``items[i].community_id`` (or ``community_id`` for one) of the first
    community that is not the district's; one query per thousand."""
    found: set[UUID] = set()
    for chunk in chunks(community_ids):
        rows = await fetch(
            f"SELECT id FROM community WHERE district = {{}} AND id IN {placeholders(len(chunk))}",
            district_id,
            *chunk,
        )
        found.update(UUID(str(r["id"])) for r in rows)
    for index, community_id in enumerate(community_ids):
        if community_id not in found:
            field = "community_id" if len(community_ids) == 1 else f"items[{index}].community_id"
            raise InputError(field, "小区不存在")


async def allocate_interest(
    caller: Caller, data: schemas.InterestIn, *, key: str | None = None
) -> schemas.InterestOut:
    """Split the interest the bank credited for ``period`` over the community's households
    in proportion to their balance-days (积数) over the period, each journal line counted
    from its value date, to the fen, summing exactly (DOMAIN "Interest"); one live
    allocation per community and period (a reversed one may be posted again)."""
    amount = parse_fen(data.amount, "amount")
    await communities_in_district(caller.district_id, [data.community_id])
    async with transaction():
        done = await _allocate_interest(caller, data.period, {data.community_id: amount}, key)
    return done[0]


async def allocate_interest_for_district(
    caller: Caller, period: str, amounts: dict[UUID, int], *, key: str | None = None
) -> list[schemas.InterestOut]:
    """The district's interest run: ``amounts`` (fen) credited per community for
    ``period``, allocated all or nothing in one transaction, set-based: the same handful
    of statements for 12,600 communities as for one (communities locked in id order)."""
    await communities_in_district(caller.district_id, list(amounts))
    with collector.paused():  # see service.collector: a batch's rows live until it ends
        async with transaction():
            await for_batch()
            return await _allocate_interest(caller, period, amounts, key)


def _which(chains: dict[UUID, ledger.Chain], community_id: object) -> str:
    return "该小区" if len(chains) == 1 else f"小区 {community_id} "


def _overlaps(other: str | None, start: date, end: date) -> bool:
    try:
        first, last = interest_period(other or "")
    except ValueError:
        return False  # a label of another shape is compared by equality only
    return first <= end and start <= last


def period_bounds(period: str) -> tuple[date, date]:
    """The first and last day of an interest period, or 422 naming ``period``."""
    try:
        return interest_period(period)
    except ValueError:
        raise InputError(
            "period", "计息期应为年（2026）、月（2026-06）、季度（2026-Q2）或半年（2026-H1）"
        ) from None


# A line's value date for balance-days: its entry's, or for a reversal the reversed
# entry's, so that a correction cancels the entry it corrects on every day it counted
# (an erroneous deposit reversed months later never earned interest).
LINE_VALUE_DATE = "COALESCE(o.value_date, e.value_date)"


def _days_from_sql(later: str, earlier: str) -> str:
    """SQL for the days from date ``earlier`` to date ``later`` (both SQL expressions)."""
    if is_postgres():
        return f"(({later})::date - ({earlier})::date)"
    return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"


async def balance_days_of(
    communities: Sequence[UUID], start: date, end: date
) -> list[dict[str, Any]]:
    """Every open household account of ``communities`` with positive balance-days over
    [start, end] (``rules.balance_days``), with its community, household and current owner.

    Set-based, and reading only the journal lines that date from the period's first day
    on: every line counts the period's D days unless it dates from inside the period or
    after it, so an account's balance-days are D × its balance (the cache the journal
    keeps beside it, in the same transaction, under the chains this batch has locked)
    less, for each such line, its amount × the days it does not count (``lvd - start``
    inside the period, all D after it). The same sum as ``rules.balance_days`` line by
    line, without reading years of history for a month's interest. A line's date is its
    value date, a reversal's that of the entry it reverses (reversals are read whatever
    their date: they are few)."""
    first, last = (start, end) if is_postgres() else (start.isoformat(), end.isoformat())
    days = end.toordinal() - start.toordinal() + 1
    unshared = (
        f"CASE WHEN {LINE_VALUE_DATE} > {{}} THEN {days}"
        f" WHEN {LINE_VALUE_DATE} >= {{}} THEN {_days_from_sql(LINE_VALUE_DATE, '{}')}"
        " ELSE 0 END"
    )
    balance_days = f"((a.principal_fen + a.interest_fen) * {days} - COALESCE(r.unshared, 0))"
    marks = placeholders(len(communities))
    return await fetch(
        # An account's balance-days fit a BIGINT by far (10^10 fen × 366 days < 2^63): the
        # driver hands back int, not Decimal.
        f"SELECT a.community, a.id, a.household, h.owner, CAST({balance_days} AS BIGINT)"
        f" AS balance_days, {ledger.row_place('a')} AS place"
        " FROM fund_account AS a JOIN household AS h ON h.id = a.household"
        " LEFT JOIN (SELECT l.account,"
        f" SUM((l.principal_delta + l.interest_delta) * {unshared}) AS unshared"
        " FROM fund_entry AS e LEFT JOIN fund_entry AS o ON o.id = e.reverses_entry"
        " JOIN fund_line AS l ON l.entry = e.id"
        f" WHERE e.community IN {marks}"
        " AND (e.value_date >= {} OR e.reverses_entry IS NOT NULL)"
        " GROUP BY l.account) AS r ON r.account = a.id"
        f" WHERE a.community IN {marks} AND a.kind = 'household' AND a.closed_at IS NULL"
        f" AND {balance_days} > 0",
        last,
        first,
        first,
        *communities,
        first,
        *communities,
    )


async def _allocate_interest(
    caller: Caller, period: str, amounts: dict[UUID, int], key: str | None
) -> list[schemas.InterestOut]:
    start, end = period_bounds(period)
    chains = await ledger.lock_communities(amounts)
    ordered = sorted(chains, key=str)
    for chunk in chunks(ordered):
        live = await fetch(
            "SELECT DISTINCT e.community, e.period FROM fund_entry AS e"
            f" WHERE e.community IN {placeholders(len(chunk))}"
            " AND e.kind = 'interest'"
            " AND NOT EXISTS (SELECT 1 FROM fund_entry AS r WHERE r.reverses_entry = e.id)",
            *chunk,
        )
        # A day earns interest once: a period overlapping one already allocated (2026-12
        # after 2026-Q4, or 2026 after 2026-H1) would pay its shared days twice.
        for row in live:
            if row["period"] == period or _overlaps(row["period"], start, end):
                raise Conflict(
                    f"{_which(chains, row['community'])}{row['period']} 期的利息已分配，"
                    f"与 {period} 期重叠；如需更正请先冲正原分录。"
                )
    weights: dict[UUID, list[dict[str, Any]]] = {c: [] for c in ordered}
    for chunk in chunks(ordered):
        for row in await balance_days_of(chunk, start, end):
            weights[row["community"]].append(row)  # a uuid.UUID on both drivers
    for community_id, rows in weights.items():
        if not rows:
            raise Conflict(
                f"{_which(chains, community_id)}在 {period} 计息期内没有积数为正的分户账"
                "（期内无余额），无法按积数分配利息。"
            )
    custody = await ledger.custody_accounts(caller.district_id, ordered)
    households: list[int] = []
    # One value date for the run, taken before any entry's posting time (``Postings``):
    # no entry is posted before the day it is dated, even when the run crosses midnight.
    booked = today()

    async def drafts() -> AsyncIterator[ledger.EntryDraft]:
        for community_id in ordered:
            draft, count = _split(
                caller,
                chains[community_id],
                custody[community_id],
                kind="interest",
                amount=amounts[community_id],
                weights=weights.pop(community_id),
                weight_column="balance_days",
                value_date=booked,
                memo=f"{period} 利息",
                period=period,
                key=key,
            )
            households.append(count)
            yield draft
            await asyncio.sleep(0)  # the group being written sends its next statement

    posted = await ledger.post_overlapped(drafts())
    await record_many(
        caller,
        "fund.interest",
        "fund_entry",
        [
            (p.entry_id, None, {"community_id": c, "period": period, "amount_fen": amounts[c]})
            for p, c in zip(posted, ordered, strict=True)
        ],
    )
    return [
        schemas.InterestOut(
            entry_id=p.entry_id,
            community_id=c,
            period=period,
            allocated=format_yuan(amounts[c]),
            households=n,
        )
        for p, c, n in zip(posted, ordered, households, strict=True)
    ]


def _split(
    caller: Caller,
    chain: ledger.Chain,
    custody: UUID,
    *,
    kind: str,
    amount: int,
    weights: list[dict[str, Any]],
    weight_column: str,
    value_date: date,
    memo: str,
    period: str | None = None,
    key: str | None = None,
) -> tuple[ledger.EntryDraft, int]:
    """The entry putting ``amount`` into the interest sub-accounts split by
    ``weight_column``, and how many households get a share. ``weights``: one row per
    account (both reads select accounts by their key; an account twice would give two
    lines and an entry that does not balance, refused by ``Postings.add``). Weights read
    with their rows' ``place`` (``ledger.row_place``) pass it on to the balance update."""
    placed = bool(weights) and "place" in weights[0]
    rule = interest_shares if kind == "interest" else allocate_by_weight
    shares = rule(amount, {w["id"]: int(w[weight_column]) for w in weights})
    lines = [
        LineDraft(w["id"], w["household"], w["owner"], 0, share)
        for w in weights
        if (share := shares.get(w["id"]))
    ]
    lines.append(LineDraft(custody, None, None, 0, -amount))
    draft = ledger.EntryDraft(
        chain=chain,
        district_id=caller.district_id,
        kind=kind,
        lines=lines,
        custody=custody,
        value_date=value_date,
        memo=memo,
        period=period,
        actor_id=caller.id,
        idempotency_key=key,
        places={w["id"]: w["place"] for w in weights} if placed else None,
    )
    return draft, len(lines) - 1


async def allocate_income(
    caller: Caller, data: schemas.IncomeIn, *, key: str | None = None
) -> schemas.IncomeOut:
    """Split the owners' income from common parts (公共收益) credited to the fund over the
    community's households by floor area (Civil Code 282; 建设部令第165号 art. 28)."""
    amount = parse_fen(data.amount, "amount")
    received_on = within_fund_life(data.received_on, "received_on")
    memo = data.memo.strip()
    if not memo:
        raise InputError("memo", "请说明收益来源")
    await communities_in_district(caller.district_id, [data.community_id])
    community_id = data.community_id
    async with transaction():
        chain = await ledger.lock_community(community_id)
        built = await fetch("SELECT built_year FROM community WHERE id = {}", community_id)
        within_fund_life(received_on, "received_on", int(built[0]["built_year"]))
        await ledger.household_accounts(caller.district_id, community_id)
        weights = await fetch(
            "SELECT a.id, a.household, h.owner, h.floor_area FROM fund_account AS a"
            " JOIN household AS h ON h.id = a.household"
            " WHERE a.community = {} AND a.kind = 'household' AND a.closed_at IS NULL",
            community_id,
        )
        if not weights:
            raise Conflict("该小区没有可分配收益的房屋（未登记或均已销户）。")
        custody = await ledger.custody_account(caller.district_id, community_id)
        draft, households = _split(
            caller,
            chain,
            custody,
            kind="income",
            amount=amount,
            weights=weights,
            weight_column="floor_area",
            value_date=received_on,
            memo=memo,
            key=key,
        )
        posted = await ledger.post_entry(draft)
        await record(
            caller,
            "fund.income",
            "fund_entry",
            posted.entry_id,
            after={"community_id": community_id, "amount_fen": amount, "memo": memo},
        )
    return schemas.IncomeOut(
        entry_id=posted.entry_id,
        community_id=community_id,
        allocated=format_yuan(amount),
        households=households,
    )


# The district's first deposits commit in transactions of about this many households (a
# seed killed part-way keeps what it committed; a rerun posts the rest).
FIRST_DEPOSITS_PER_TRANSACTION = 5_000


async def post_first_deposits_for_community(
    district_id: UUID, community_id: UUID, *, paid_on: date | None = None
) -> int:
    """Post the first deposit (rate × floor area) of every household of the community that
    has none, as one journal entry; returns how many households it posted for."""
    return await post_first_deposits(district_id, [community_id], paid_on=paid_on)


async def post_first_deposits_for_district(
    district_id: UUID, *, paid_on: date | None = None
) -> int:
    """First deposits for every household of the district without one (the demo seed): one
    entry per community, the communities in transactions of about
    ``FIRST_DEPOSITS_PER_TRANSACTION`` households; returns the households posted for."""
    sizes = await fetch(
        "SELECT c.id, COUNT(h.id) AS households FROM community AS c"
        " LEFT JOIN household AS h ON h.community = c.id"
        " WHERE c.district = {} GROUP BY c.id ORDER BY c.id",
        district_id,
    )
    groups: list[list[UUID]] = [[]]
    held = 0
    for row in sizes:
        if held >= FIRST_DEPOSITS_PER_TRANSACTION:
            groups.append([])
            held = 0
        groups[-1].append(UUID(str(row["id"])))
        held += int(row["households"])
    posted = 0
    for group in groups:
        if group:
            posted += await post_first_deposits(district_id, group, paid_on=paid_on)
    return posted


async def post_first_deposits(
    district_id: UUID, community_ids: Sequence[UUID], *, paid_on: date | None = None
) -> int:
    """First deposits (rate × floor area) of every household of these communities that has
    none, one entry per community, in one transaction: the journals locked, the missing
    accounts opened set-based, the amounts read in one query a thousand communities, each
    entry made while the previous group is written (``ledger.post_overlapped``), the
    first-deposit marks set and the audit rows written in bulk. Returns the households
    posted for."""
    with collector.paused():
        return await _post_first_deposits(district_id, community_ids, paid_on)


async def _post_first_deposits(
    district_id: UUID, community_ids: Sequence[UUID], paid_on: date | None
) -> int:
    async with transaction():
        await for_batch()
        chains = await ledger.lock_communities(community_ids)
        ordered = sorted(chains, key=str)
        await ledger.open_household_accounts(district_id, ordered)
        due: dict[UUID, list[LineDraft]] = {}
        # Where each community's accounts' rows lie (``ledger.row_place``).
        places: dict[UUID, dict[UUID, Any]] = {}
        for chunk in chunks(ordered):
            for r in await fetch(
                "SELECT a.id, a.community, a.household, h.owner, h.floor_area,"
                f" c.deposit_rate_fen, {ledger.row_place('a')} AS place FROM fund_account AS a"
                " JOIN household AS h ON h.id = a.household"
                " JOIN community AS c ON c.id = a.community"
                f" WHERE a.community IN {placeholders(len(chunk))} AND a.kind = 'household'"
                " AND a.first_deposit_fen IS NULL",
                *chunk,
            ):
                amount = first_deposit(int(r["deposit_rate_fen"]), int(r["floor_area"]))
                if amount > 0:
                    account, community = UUID(str(r["id"])), UUID(str(r["community"]))
                    due.setdefault(community, []).append(
                        LineDraft(account, r["household"], r["owner"], amount, 0)
                    )
                    places.setdefault(community, {})[account] = r["place"]
        communities = [c for c in ordered if c in due]
        if not communities:
            return 0
        custody = await ledger.custody_accounts(district_id, communities)
        paid = paid_on or today()  # one date for the run, as ``_allocate_interest`` takes

        async def drafts() -> AsyncIterator[ledger.EntryDraft]:
            for community_id in communities:
                lines = due[community_id]
                total = sum(line.principal_delta for line in lines)
                yield ledger.EntryDraft(
                    chain=chains[community_id],
                    district_id=district_id,
                    kind="first_deposit",
                    lines=[*lines, LineDraft(custody[community_id], None, None, -total, 0)],
                    custody=custody[community_id],
                    value_date=paid,
                    memo="首期维修资金（按交存标准×建筑面积批量入账）",
                    places=places[community_id],
                )
                await asyncio.sleep(0)  # the group being written sends its next statement

        posted = await ledger.post_overlapped(drafts())
        for chunk in chunks([p.entry_id for p in posted]):
            await fetch(
                "UPDATE fund_account SET first_deposit_fen = fund_line.principal_delta"
                f" FROM fund_line WHERE fund_line.entry IN {placeholders(len(chunk))}"
                " AND fund_line.account = fund_account.id AND fund_account.kind = 'household'",
                *chunk,
            )
        await record_many(
            None,
            "fund.first_deposits",
            "fund_entry",
            [
                (
                    p.entry_id,
                    None,
                    {
                        "community_id": c,
                        "households": len(due[c]),
                        "amount_fen": sum(line.principal_delta for line in due[c]),
                    },
                )
                for p, c in zip(posted, communities, strict=True)
            ],
            district_id=district_id,
        )
    return sum(len(due[c]) for c in communities)
