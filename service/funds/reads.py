"""Fund reads: household, building and community summaries, statements, the
replenishment list. Aggregates are computed in SQL over the balance cache and the journal.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from service.auth.roles import Caller
from service.auth.scope import community_scope_sql, household_scope_sql
from service.db import fetch
from service.errors import InputError
from service.funds import schemas
from service.funds.rules import (
    GENESIS_HASH,
    REPLENISH_PERCENT,
    first_deposit,
    needs_replenishment,
    owed_to_threshold,
    replenish_threshold,
)
from service.pagination import Paging, encode_cursor
from service.registry.reads import after_id, visible_community_page
from service.registry.rules import household_label, natural_key
from service.units import format_area, format_yuan

# ``balance < replenish_threshold(first_deposit)`` in SQL for open accounts (a closed,
# demolished flat owes nothing); the threshold rounds up,
# ceil(fd × 30 / 100) = (fd × 30 + 99) / 100 in integer division (fd >= 0).
BELOW_THRESHOLD = (
    "a.closed_at IS NULL AND a.first_deposit_fen IS NOT NULL"
    " AND a.principal_fen + a.interest_fen"
    f" < (a.first_deposit_fen * {REPLENISH_PERCENT} + 99) / 100"
)

# Flows by the kind of the entry they belong to (a reversal counts against its original).
_IN = {
    "first_deposit": "deposited",
    "replenish": "deposited",
    "interest": "interest",
    "income": "income",
}
_OUT = {"use": "used", "refund": "refunded"}


HOUSEHOLD_FUND_SQL = (
    "SELECT h.id, a.principal_fen, a.interest_fen, a.first_deposit_fen, a.closed_at,"
    " c.deposit_rate_fen, h.floor_area,"
    # What fund uses could not take from the balance and the current owner owes (自筹).
    " (SELECT COALESCE(SUM(s.amount_fen), 0) FROM fund_self_funded AS s"
    "  WHERE s.household = h.id AND s.owner = h.owner) AS self_funded_due"
    " FROM household AS h JOIN community AS c ON c.id = h.community"
    " LEFT JOIN fund_account AS a ON a.household = h.id WHERE h.id = {}"
)


async def household_fund(household: dict[str, Any]) -> schemas.HouseholdFundOut:
    """A household's fund summary (API.md); ``household`` is a visible household row."""
    rows = await fetch(HOUSEHOLD_FUND_SQL, household["id"])
    return _household_fund(rows[0])


async def household_fund_in_scope(
    caller: Caller, household_id: UUID
) -> schemas.HouseholdFundOut | None:
    """:func:`household_fund` of a household the caller may see, in one statement whose
    predicate carries the caller's scope; None when it does not exist or is out of scope."""
    condition, args = household_scope_sql(caller)
    rows = await fetch(f"{HOUSEHOLD_FUND_SQL} AND {condition}", household_id, *args)
    return _household_fund(rows[0]) if rows else None


def _household_fund(row: dict[str, Any]) -> schemas.HouseholdFundOut:
    principal = int(row["principal_fen"] or 0)
    interest = int(row["interest_fen"] or 0)
    fixed = row["first_deposit_fen"]
    due = (
        int(fixed)
        if fixed is not None
        else first_deposit(int(row["deposit_rate_fen"]), int(row["floor_area"]))
    )
    balance = principal + interest
    closed = row["closed_at"] is not None
    # A closed (demolished) account is not called on to replenish.
    paid = None if fixed is None or closed else int(fixed)
    return schemas.HouseholdFundOut(
        household_id=row["id"],
        principal=format_yuan(principal),
        interest=format_yuan(interest),
        balance=format_yuan(balance),
        first_deposit=format_yuan(due),
        first_deposit_paid=fixed is not None,
        closed=closed,
        replenish_threshold=format_yuan(replenish_threshold(due)),
        needs_replenishment=needs_replenishment(balance, paid),
        owed_to_threshold=format_yuan(owed_to_threshold(balance, paid)),
        self_funded_due=format_yuan(int(row["self_funded_due"])),
    )


# The lines ``l`` of a household (placeholder: the household): those of its account. A
# line's household is its account's (migration ``funds_2026_12_03t16_30_00``), and
# ``fund_line`` is indexed by account, not by household.
HOUSEHOLD_LINES = "l.account = (SELECT a.id FROM fund_account AS a WHERE a.household = {})"

# A household's statement lines after a journal position, one page, in journal order.
# Placeholders: household, after (seq), limit.
ENTRIES_PAGE_SQL = (
    "SELECT e.id, e.seq, e.kind, e.posted_at, e.value_date, e.memo, e.reverses_entry,"
    " e.fund_use_id, l.principal_delta, l.interest_delta, l.owner, o.name AS owner_name"
    " FROM fund_line AS l JOIN fund_entry AS e ON e.id = l.entry"
    " LEFT JOIN owner AS o ON o.id = l.owner"
    f" WHERE {HOUSEHOLD_LINES} AND e.seq > {{}} ORDER BY e.seq LIMIT {{}}"
)
# The page joined to the household it belongs to, so that the household's scope condition
# (appended with AND) decides between no row (not visible: 404) and at least one row (a
# visible household: its lines, or one row of NULLs when it has none on this page).
# Placeholders: household, after, limit (the page), then household (the visibility).
HOUSEHOLD_ENTRIES_SQL = (
    "SELECT x.id, x.seq, x.kind, x.posted_at, x.value_date, x.memo, x.reverses_entry,"
    " x.fund_use_id, x.principal_delta, x.interest_delta, x.owner, x.owner_name"
    f" FROM household AS h LEFT JOIN ({ENTRIES_PAGE_SQL}) AS x ON TRUE"
    " WHERE h.id = {}"
)


# A journal position is a BIGINT id: a cursor beyond it names no line.
MAX_POSITION = 2**63 - 1


def _entries_after(paging: Paging) -> int | None:
    """The journal position after which a page starts; None for a malformed cursor
    (anything but ASCII digits, such as "²", which ``str.isdigit`` accepts and ``int``
    does not, or a number beyond a BIGINT)."""
    if paging.after is None:
        return 0
    text = paging.after
    if not (text.isascii() and text.isdigit()) or len(text) > 19:
        return None
    position = int(text)
    return position if position <= MAX_POSITION else None


def _bad_cursor() -> InputError:
    return InputError("cursor", "无效的游标，请使用上一页返回的 next_cursor")


async def household_entries(
    household_id: UUID, paging: Paging
) -> tuple[list[schemas.FundEntryOut], str | None]:
    """The household's statement lines in journal order, with the owner at posting time."""
    after = _entries_after(paging)
    if after is None:
        raise _bad_cursor()
    rows = await fetch(ENTRIES_PAGE_SQL, household_id, after, paging.limit + 1)
    return _entries_page(rows, paging)


async def household_entries_in_scope(
    caller: Caller, household_id: UUID, paging: Paging
) -> tuple[list[schemas.FundEntryOut], str | None] | None:
    """:func:`household_entries` of a household the caller may see, in one statement whose
    predicate carries the caller's scope; None when it does not exist or is out of scope
    (checked before the cursor, as a separate scope check would)."""
    after = _entries_after(paging)
    condition, args = household_scope_sql(caller)
    rows = await fetch(
        f"{HOUSEHOLD_ENTRIES_SQL} AND {condition} ORDER BY x.seq",
        household_id,
        0 if after is None else after,
        # A malformed cursor only needs to know whether the household is visible.
        1 if after is None else paging.limit + 1,
        household_id,
        *args,
    )
    if not rows:
        return None
    if after is None:
        raise _bad_cursor()
    return _entries_page([r for r in rows if r["seq"] is not None], paging)


def _entries_page(
    rows: list[dict[str, Any]], paging: Paging
) -> tuple[list[schemas.FundEntryOut], str | None]:
    cursor = None
    if len(rows) > paging.limit:
        rows = rows[: paging.limit]
        cursor = encode_cursor(rows[-1]["seq"])
    items = [
        schemas.FundEntryOut(
            entry_id=r["id"],
            seq=int(r["seq"]),
            kind=r["kind"],
            amount=format_yuan(int(r["principal_delta"]) + int(r["interest_delta"])),
            principal_delta=format_yuan(int(r["principal_delta"])),
            interest_delta=format_yuan(int(r["interest_delta"])),
            posted_at=r["posted_at"],
            value_date=r["value_date"],
            memo=r["memo"],
            owner_id=r["owner"],
            owner_name=r["owner_name"],
            reverses_entry_id=r["reverses_entry"],
            fund_use_id=r["fund_use_id"],
        )
        for r in rows
    ]
    return items, cursor


# One statement for a community's or a building's fund summary: a first row (part 0) with
# the totals over its households' accounts, its household count and (community) its chain
# head, then one row (part 1) per book year and entry kind. ``{scope}`` is a CTE ``v`` of
# at most one row, the community or building if the caller may see it: when it is empty
# the statement returns no row at all (404). ``{accounts}`` filters ``fund_account AS a``
# to the households' accounts, ``{households}`` filters ``household``; each holds one
# ``{}`` for the community's or building's id.
_SUMMARY_SQL = (
    "WITH v AS ({scope})"
    " SELECT 0 AS part, v.community, t.n, t.p, t.i, t.below,"
    " (SELECT COUNT(*) FROM household WHERE {households}) AS households,"
    " {chain_columns}, NULL AS year, NULL AS kind, NULL AS amount"
    " FROM v {chain_join} CROSS JOIN (SELECT COUNT(*) AS n,"
    " COALESCE(SUM(a.principal_fen), 0) AS p, COALESCE(SUM(a.interest_fen), 0) AS i,"
    f" COALESCE(SUM(CASE WHEN {BELOW_THRESHOLD} THEN 1 ELSE 0 END), 0) AS below"
    " FROM fund_account AS a WHERE a.kind = 'household' AND {accounts}) AS t"
    " UNION ALL"
    " SELECT 1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, {years}"
)
# A building's year rows: its households' lines summed by book year and kind.
_BUILDING_YEARS_SQL = (
    "e.book_year, COALESCE(o.kind, e.kind), SUM(l.principal_delta + l.interest_delta)"
    " FROM fund_line AS l JOIN fund_entry AS e ON e.id = l.entry"
    " LEFT JOIN fund_entry AS o ON o.id = e.reverses_entry"
    " WHERE l.account IN (SELECT a.id FROM fund_account AS a"
    " WHERE a.kind = 'household' AND {accounts}) AND EXISTS (SELECT 1 FROM v)"
    " GROUP BY e.book_year, COALESCE(o.kind, e.kind)"
)
# A community's year rows: the totals kept beside its journal (``fund_year_total``, moved
# by every posting, recomputed from the lines by ``ledger.verify``).
_COMMUNITY_YEARS_SQL = (
    "t.book_year, t.kind, t.amount_fen FROM fund_year_total AS t"
    " WHERE t.community = {} AND EXISTS (SELECT 1 FROM v)"
)
# Placeholders: the community (visibility, then scope condition arguments appended to the
# CTE: see community_fund_sql), households, accounts, then the year rows' community or
# building.
COMMUNITY_FUND_SCOPE = "SELECT c.id AS community FROM community AS c WHERE c.id = {}"
BUILDING_FUND_SCOPE = (
    "SELECT b.community FROM building AS b JOIN community AS c ON c.id = b.community"
    " WHERE b.id = {}"
)


def community_fund_sql(condition: str = "TRUE") -> str:
    """The community summary's statement with ``condition`` on ``community AS c`` added to
    its visibility; arguments: the community id, the condition's, then the community id
    three times."""
    return _SUMMARY_SQL.format(
        scope=f"{COMMUNITY_FUND_SCOPE} AND {condition}",
        households="community = {}",
        chain_columns="ch.last_seq, ch.head_hash",
        chain_join="LEFT JOIN fund_chain AS ch ON ch.community = v.community",
        accounts="a.community = {}",
        years=_COMMUNITY_YEARS_SQL,
    )


def building_fund_sql(condition: str = "TRUE") -> str:
    """The building summary's statement with ``condition`` on ``building AS b`` and its
    ``community AS c``; arguments: the building id, the condition's, then the building id
    three times."""
    return _SUMMARY_SQL.format(
        scope=f"{BUILDING_FUND_SCOPE} AND {condition}",
        households="building = {}",
        chain_columns="NULL AS last_seq, NULL AS head_hash",
        chain_join="",
        accounts="a.household IN (SELECT id FROM household WHERE building = {})",
        years=_BUILDING_YEARS_SQL.replace(
            "{accounts}", "a.household IN (SELECT id FROM household WHERE building = {})"
        ),
    )


def _years(rows: list[dict[str, Any]]) -> list[schemas.YearFiguresOut]:
    years: dict[int, dict[str, int]] = {}
    for r in rows:
        figures = years.setdefault(
            int(r["year"]),
            dict.fromkeys(("deposited", "interest", "income", "used", "refunded"), 0),
        )
        kind, amount = str(r["kind"]), int(r["amount"])
        if kind in _IN:
            figures[_IN[kind]] += amount
        elif kind in _OUT:
            figures[_OUT[kind]] -= amount
    return [
        schemas.YearFiguresOut(
            year=year,
            deposited=format_yuan(f["deposited"]),
            interest=format_yuan(f["interest"]),
            income=format_yuan(f["income"]),
            used=format_yuan(f["used"]),
            refunded=format_yuan(f["refunded"]),
            total_in=format_yuan(f["deposited"] + f["interest"] + f["income"]),
            total_out=format_yuan(f["used"] + f["refunded"]),
        )
        for year, f in sorted(years.items())
    ]


def _summary_rows(
    rows: list[dict[str, Any]],
) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    """The head row and the year rows of a summary statement; None when it found nothing."""
    head = [r for r in rows if int(r["part"]) == 0]
    if not head:
        return None
    return head[0], [r for r in rows if int(r["part"]) == 1]


def _as_uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


async def community_fund(community_id: UUID) -> schemas.CommunityFundOut:
    """The community's fund: totals over its households' accounts, and its chain head."""
    found = await community_fund_in_scope(None, community_id)
    assert found is not None, community_id  # the caller passes a visible community
    return found


async def community_fund_in_scope(
    caller: Caller | None, community_id: UUID
) -> schemas.CommunityFundOut | None:
    """:func:`community_fund` in one statement whose predicate carries the caller's scope
    (any community for None); None when it does not exist or is out of scope."""
    condition, args = (
        ("TRUE", []) if caller is None else community_scope_sql(caller, "c.id", "c.district")
    )
    rows = await fetch(
        community_fund_sql(condition), community_id, *args, community_id, community_id, community_id
    )
    found = _summary_rows(rows)
    if found is None:
        return None
    head, years = found
    return schemas.CommunityFundOut(
        community_id=community_id,
        balance=format_yuan(int(head["p"]) + int(head["i"])),
        principal=format_yuan(int(head["p"])),
        interest=format_yuan(int(head["i"])),
        households=int(head["households"]),
        households_with_account=int(head["n"]),
        households_needing_replenishment=int(head["below"]),
        chain_head=str(head["head_hash"]) if head["head_hash"] is not None else GENESIS_HASH,
        entries=int(head["last_seq"]) if head["last_seq"] is not None else 0,
        years=_years(years),
    )


async def building_fund_in_scope(
    caller: Caller, building_id: UUID
) -> schemas.BuildingFundOut | None:
    """The building's roll-up of its households' accounts, in one statement whose predicate
    carries the caller's scope; None when it does not exist or is out of scope."""
    condition, args = community_scope_sql(caller, "b.community", "c.district")
    rows = await fetch(
        building_fund_sql(condition), building_id, *args, building_id, building_id, building_id
    )
    found = _summary_rows(rows)
    if found is None:
        return None
    head, years = found
    return schemas.BuildingFundOut(
        building_id=building_id,
        community_id=_as_uuid(head["community"]),
        balance=format_yuan(int(head["p"]) + int(head["i"])),
        principal=format_yuan(int(head["p"])),
        interest=format_yuan(int(head["i"])),
        households=int(head["households"]),
        households_with_account=int(head["n"]),
        households_needing_replenishment=int(head["below"]),
        years=_years(years),
    )


# One page of a community's households below the threshold, by household id
# (``visible_community_page`` joins it to the community's visibility). Placeholders: the
# community and, with ``{after}``, the household after which the page starts, the limit.
_REPLENISHMENT_PAGE_SQL = (
    "SELECT a.household, h.building, b.name AS building_name, h.unit_no, h.room_no,"
    " o.name AS owner_name, a.principal_fen, a.interest_fen, a.first_deposit_fen"
    " FROM fund_account AS a JOIN household AS h ON h.id = a.household"
    " JOIN building AS b ON b.id = h.building JOIN owner AS o ON o.id = h.owner"
    " WHERE a.community = {{}} AND a.kind = 'household' AND "
    + BELOW_THRESHOLD
    + "{after} ORDER BY a.household LIMIT {{}}"
)


async def replenishment_list(
    community_id: UUID, paging: Paging
) -> tuple[list[schemas.ReplenishmentOut], str | None]:
    """Households strictly below 30% of their first deposit, with what each owes to get
    back to the threshold (art. 17), by household id."""
    found = await replenishment_list_in_scope(None, community_id, paging)
    assert found is not None, community_id  # the caller passes an existing community
    return found


async def replenishment_list_in_scope(
    caller: Caller | None, community_id: UUID, paging: Paging
) -> tuple[list[schemas.ReplenishmentOut], str | None] | None:
    """:func:`replenishment_list` of a community the caller may see (any community for
    None), in one statement whose predicate carries the caller's scope; None when it does
    not exist or is out of scope. A malformed cursor is refused (422) only for a visible
    community, as a separate scope check did."""
    after, bad_cursor = after_id(paging)
    rows = await visible_community_page(
        caller,
        community_id,
        _REPLENISHMENT_PAGE_SQL.format(after=" AND a.household > {}" if after is not None else ""),
        [community_id, *([after] if after is not None else [])],
        paging,
        bad_cursor,
        key="household",
    )
    if rows is None:
        return None
    cursor = None
    if len(rows) > paging.limit:
        rows = rows[: paging.limit]
        cursor = encode_cursor(rows[-1]["household"])
    items = []
    for r in rows:
        balance = int(r["principal_fen"]) + int(r["interest_fen"])
        fixed = int(r["first_deposit_fen"])
        items.append(
            schemas.ReplenishmentOut(
                household_id=r["household"],
                building_id=r["building"],
                building_name=r["building_name"],
                unit_no=r["unit_no"],
                room_no=r["room_no"],
                owner_name=r["owner_name"],
                balance=format_yuan(balance),
                first_deposit=format_yuan(fixed),
                replenish_threshold=format_yuan(replenish_threshold(fixed)),
                owed=format_yuan(owed_to_threshold(balance, fixed)),
            )
        )
    return items, cursor


def _month(value: Any) -> str:
    """``YYYY-MM`` of a date (SQLite hands dates back as ISO text)."""
    return str(value)[:7]


async def monthly_balances(community_id: UUID, end: date, months: int = 24) -> list[dict[str, Any]]:
    """The community's total household balance at the end of each of the ``months``
    months up to ``end``'s month, by value date (one grouped statement)."""
    rows = await fetch(
        "SELECT e.value_date AS day, SUM(l.principal_delta + l.interest_delta) AS amount"
        " FROM fund_line AS l JOIN fund_entry AS e ON e.id = l.entry"
        " WHERE l.account IN (SELECT a.id FROM fund_account AS a"
        " WHERE a.kind = 'household' AND a.community = {}) GROUP BY e.value_date",
        community_id,
    )
    labels = []
    year, month = end.year, end.month
    for _ in range(months):
        labels.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    labels.reverse()
    by_month: dict[str, int] = {}
    opening = 0
    for r in rows:
        key = _month(r["day"])
        if key < labels[0]:
            opening += int(r["amount"])
        elif key <= labels[-1]:
            by_month[key] = by_month.get(key, 0) + int(r["amount"])
    series = []
    balance = opening
    for label in labels:
        balance += by_month.get(label, 0)
        series.append({"month": label, "balance": format_yuan(balance)})
    return series


async def household_lookup(
    community_id: UUID, query: str = "", limit: int = 200
) -> list[dict[str, Any]]:
    """The community's households with owner and balance, filtered by a building, room
    or owner name fragment; at most ``limit`` rows, by building, unit and room."""
    text = query.strip()
    condition = ""
    args: list[Any] = [community_id]
    if text:
        condition = (
            " AND (b.name LIKE {} OR h.room_no LIKE {} OR o.name LIKE {}"
            " OR (b.name || h.unit_no || '单元' || h.room_no) LIKE {})"
        )
        pattern = f"%{text}%"
        args += [pattern, pattern, pattern, pattern]
    rows = await fetch(
        "SELECT h.id, b.name AS building, h.unit_no, h.room_no, h.floor_area,"
        " o.name AS owner_name, a.principal_fen, a.interest_fen, a.first_deposit_fen"
        " FROM household AS h JOIN building AS b ON b.id = h.building"
        " JOIN owner AS o ON o.id = h.owner"
        " LEFT JOIN fund_account AS a ON a.household = h.id AND a.kind = 'household'"
        " WHERE h.community = {}" + condition,
        *args,
    )
    items = []
    for r in rows:
        balance = int(r["principal_fen"] or 0) + int(r["interest_fen"] or 0)
        fixed = None if r["first_deposit_fen"] is None else int(r["first_deposit_fen"])
        items.append(
            {
                "id": r["id"],
                "label": household_label(r["building"], r["unit_no"], r["room_no"]),
                "owner_name": r["owner_name"],
                "floor_area": format_area(int(r["floor_area"])),
                "balance": format_yuan(balance),
                "needs_replenishment": needs_replenishment(balance, fixed),
            }
        )
    items.sort(key=lambda i: natural_key(i["label"]))
    return items[:limit]
