"""The one posting service of the maintenance fund, and its verification.

Every money movement goes through ``post_entries`` (``post_entry`` for one) inside
``transaction()``:
1. ``lock_community`` / ``lock_communities`` serialise the community's writers on its
   ``fund_chain`` row (an upsert that takes the row lock on PostgreSQL; SQLite's
   IMMEDIATE transaction already holds the database write lock) and return its head,
   so sequence numbers and the hash chain never fork;
2. the entries and their lines are inserted (lines sum to zero: double entry);
3. the balance cache is moved by one set-based ``UPDATE ... SET x = x + d.x FROM d``,
   never read-modify-write in Python: ``d`` is the deltas per account summed from the
   drafts (PostgreSQL) or the new lines grouped by account (SQLite);
4. the chain heads move to the last new entry of each community.
On PostgreSQL a small posting (a deposit) is one statement, a batch (a district's
interest) a few whatever its size: entries and heads, the lines by COPY, the balances.
``verify`` recomputes the chain and every balance from the journal.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, NamedTuple
from uuid import UUID

from service.clock import now
from service.db import (
    Write,
    batch_writes,
    chunks,
    copy_rows,
    fetch,
    insert_rows,
    insert_writes,
    is_postgres,
    placeholders,
    write_at_commit,
    write_together,
)
from service.funds.rules import GENESIS_HASH, canonical_entry, entry_hash, lines_balance
from service.funds.tables import FundAccount
from service.idempotency import Lead


class LineDraft(NamedTuple):
    """One line of an entry to post; its fields in ``fund_line`` column order (a tuple:
    a batch makes one per household)."""

    account: UUID
    household: UUID | None
    owner: UUID | None
    principal_delta: int
    interest_delta: int


@dataclass(frozen=True)
class Posted:
    entry_id: UUID
    seq: int
    hash: str
    amount_fen: int
    posted_at: datetime


@dataclass
class Verification:
    ok: bool
    entries: int
    chain_head: str
    problems: list[str] = field(default_factory=list)


def _id(value: Any) -> str | None:
    return None if value is None else str(value)


def _instant(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def canonical(entry: Mapping[str, Any], lines: Iterable[Mapping[str, Any] | LineDraft]) -> str:
    """Canonical text of a stored (or about to be stored) entry and its lines (rows read
    back from ``fund_line``, or the ``LineDraft``s about to be written)."""
    value_date = entry["value_date"]
    return canonical_entry(
        {
            "id": _id(entry["id"]),
            "district": _id(entry["district"]),
            "community": _id(entry["community"]),
            "book_year": int(entry["book_year"]),
            "actor_id": _id(entry["actor_id"]),
            "idempotency_key": entry["idempotency_key"],
            "seq": int(entry["seq"]),
            "kind": entry["kind"],
            "posted_at": _instant(entry["posted_at"]),
            "value_date": value_date.isoformat() if isinstance(value_date, date) else value_date,
            "period": entry["period"],
            "memo": entry["memo"],
            "reverses_entry": _id(entry["reverses_entry"]),
            "amount": int(entry["amount_fen"]),
            "fund_use_id": _id(entry["fund_use_id"]),
        },
        [
            {
                "account": _id(account),
                "household": _id(household),
                "owner": _id(owner),
                "principal_delta": int(principal),
                "interest_delta": int(interest),
            }
            for account, household, owner, principal, interest in map(_line_fields, lines)
        ],
    )


def _line_fields(line: Mapping[str, Any] | LineDraft) -> Sequence[Any]:
    if isinstance(line, LineDraft):
        return line
    return tuple(line[column] for column in LINE_COLUMNS[1:])


@dataclass
class Chain:
    """A community's journal head, held locked for the rest of the transaction.

    ``lock_community`` / ``lock_communities`` return it; ``Postings.add`` (which
    ``post_entries`` and ``post_overlapped`` call) advances it.
    """

    community: UUID
    seq: int
    head: str


@dataclass(frozen=True)
class EntryDraft:
    """One entry to append: its lines sum to zero; ``custody`` is the community's bank
    account (the entry's amount is what left or entered it)."""

    chain: Chain
    district_id: UUID
    kind: str
    lines: Sequence[LineDraft]
    custody: UUID
    value_date: date
    memo: str = ""
    period: str | None = None
    reverses_entry: UUID | None = None
    actor_id: UUID | None = None
    idempotency_key: str | None = None
    fund_use_id: UUID | None = None
    # Where accounts' rows lie (PostgreSQL's ctid, as read in this transaction after the
    # community's chain was locked, ``row_place``), for a batch's balance update to go
    # straight to them rather than through the primary key (``_large_postgres_writes``).
    places: Mapping[UUID, Any] | None = None


def row_place(table: str) -> str:
    """SQL for where a row of ``table`` (an alias) lies, to pass as ``EntryDraft.places``:
    its ctid on PostgreSQL; NULL on SQLite (which finds rows by key)."""
    return f"{table}.ctid" if is_postgres() else "NULL"


LOCK_SQL = (
    "INSERT INTO fund_chain (id, community, last_seq, head_hash) VALUES {rows}"
    " ON CONFLICT (community) DO UPDATE SET last_seq = fund_chain.last_seq"
    " RETURNING community, last_seq, head_hash"
)


async def lock_communities(community_ids: Iterable[UUID]) -> dict[UUID, Chain]:
    """Take the journal locks of several communities in ascending id order (creating
    their chain rows on first use) and return their heads; one statement per thousand.

    Call first thing inside the transaction, before reading anything a posting depends
    on. The upsert's ``DO UPDATE`` takes each row lock on PostgreSQL; SQLite's IMMEDIATE
    transaction already holds the database write lock.
    """
    chains: dict[UUID, Chain] = {}
    for chunk in chunks(sorted(set(community_ids), key=str)):
        rows = await fetch(
            LOCK_SQL.format(rows=", ".join(["({}, {}, 0, {})"] * len(chunk))),
            *(v for c in chunk for v in (uuid.uuid4(), c, GENESIS_HASH)),
        )
        for row in rows:
            community = UUID(str(row["community"]))
            chains[community] = Chain(community, int(row["last_seq"]), str(row["head_hash"]))
    return chains


async def lock_community(community_id: UUID) -> Chain:
    """Take one community's journal lock (see ``lock_communities``); one statement."""
    return (await lock_communities([community_id]))[community_id]


LOCK_OF_HOUSEHOLD_SQL = (
    "INSERT INTO fund_chain (id, community, last_seq, head_hash)"
    " SELECT {}, community, 0, {} FROM household WHERE id = {} AND district = {}"
    " ON CONFLICT (community) DO UPDATE SET last_seq = fund_chain.last_seq"
    " RETURNING community, last_seq, head_hash"
)


async def lock_community_of_household(
    district_id: UUID, household_id: UUID, lead: Lead | None = None
) -> Chain | None:
    """Take the journal lock of a household's community, in one statement with finding
    the household among the district's; None when it is not there. With ``lead`` (from
    :func:`household_lock_lead`, already sent with an idempotency claim) only read its
    answer."""
    if lead is not None and lead.rows is not None:
        rows = [r for r in lead.rows if r["community"] is not None]
    else:
        rows = await fetch(
            LOCK_OF_HOUSEHOLD_SQL, uuid.uuid4(), GENESIS_HASH, household_id, district_id
        )
    if not rows:
        return None
    community = UUID(str(rows[0]["community"]))
    return Chain(community, int(rows[0]["last_seq"]), str(rows[0]["head_hash"]))


def household_lock_lead(district_id: UUID, household_id: UUID) -> Lead:
    """:func:`lock_community_of_household`'s statement as the lead of an idempotent
    request (service.idempotency.Lead): sent with the key's claim, only for a new key."""
    sql = LOCK_OF_HOUSEHOLD_SQL.replace(
        "AND district = {}", "AND district = {} AND EXISTS (SELECT 1 FROM claim)"
    )
    return Lead(sql, (uuid.uuid4(), GENESIS_HASH, household_id, district_id))


async def custody_accounts(district_id: UUID, community_ids: Iterable[UUID]) -> dict[UUID, UUID]:
    """Community id → its custody (bank) account id, opening the missing ones in bulk
    (under the communities' locks)."""
    ordered = sorted(set(community_ids), key=str)
    found: dict[UUID, UUID] = {}
    for chunk in chunks(ordered):
        rows = await fetch(
            "SELECT id, community FROM fund_account WHERE kind = 'custody'"
            f" AND community IN {placeholders(len(chunk))}",
            *chunk,
        )
        found.update({UUID(str(r["community"])): UUID(str(r["id"])) for r in rows})
    opened = {c: uuid.uuid4() for c in ordered if c not in found}
    at = now()
    await insert_rows(
        "fund_account",
        ("id", "kind", "district", "community", "principal_fen", "interest_fen", "opened_at"),
        [(account, "custody", district_id, c, 0, 0, at) for c, account in opened.items()],
    )
    found.update(opened)
    return found


async def custody_account(district_id: UUID, community_id: UUID) -> UUID:
    """The community's custody account id, opened on first use (under the community lock)."""
    return (await custody_accounts(district_id, [community_id]))[community_id]


async def household_accounts(
    district_id: UUID, community_id: UUID, household_ids: Sequence[UUID] | None = None
) -> dict[UUID, UUID]:
    """Household id → account id for the community's households (all, or those given),
    opening the missing accounts in bulk (under the community lock)."""
    from service.registry.tables import Household

    if household_ids is not None and not household_ids:
        return {}
    query = Household.select(Household.id).where(Household.community == community_id)
    if household_ids is not None:
        query = query.where(Household.id.is_in(list(household_ids)))
    wanted = {UUID(str(r["id"])) for r in await query}
    if not wanted:
        return {}
    existing_query = FundAccount.select(FundAccount.id, FundAccount.household).where(
        (FundAccount.community == community_id) & (FundAccount.kind == "household")
    )
    if household_ids is not None:
        existing_query = existing_query.where(FundAccount.household.is_in(list(wanted)))
    found = {
        UUID(str(r["household"])): UUID(str(r["id"]))
        for r in await existing_query
        if UUID(str(r["household"])) in wanted
    }
    opened = {household_id: uuid.uuid4() for household_id in sorted(wanted - found.keys(), key=str)}
    await _open_accounts(
        district_id, [(account, community_id, household) for household, account in opened.items()]
    )
    found.update(opened)
    return found


async def open_household_accounts(district_id: UUID, community_ids: Sequence[UUID]) -> int:
    """Open the accounts of every household of these communities that has none, in bulk
    (under the communities' journal locks); returns how many were opened."""
    rows: list[dict[str, Any]] = []
    for chunk in chunks(list(community_ids)):
        rows += await fetch(
            "SELECT h.id, h.community FROM household AS h LEFT JOIN fund_account AS a"
            " ON a.household = h.id AND a.kind = 'household'"
            f" WHERE h.district = {{}} AND h.community IN {placeholders(len(chunk))}"
            " AND a.id IS NULL",
            district_id,
            *chunk,
        )
    await _open_accounts(district_id, [(uuid.uuid4(), r["community"], r["id"]) for r in rows])
    return len(rows)


async def _open_accounts(district_id: UUID, accounts: Sequence[tuple[UUID, Any, Any]]) -> None:
    """Insert household accounts (id, community, household) with nothing in them."""
    at = now()
    await insert_rows(
        "fund_account",
        (
            "id",
            "kind",
            "district",
            "community",
            "household",
            "principal_fen",
            "interest_fen",
            "opened_at",
        ),
        [
            (account, "household", district_id, community, household, 0, 0, at)
            for account, community, household in accounts
        ],
    )


# Journal columns with their PostgreSQL types (for typed VALUES and unnest() arrays).
ENTRY_TYPES = {
    "id": "uuid",
    "district": "uuid",
    "community": "uuid",
    "book_year": "int",
    "actor_id": "uuid",
    "idempotency_key": "text",
    "seq": "bigint",
    "kind": "text",
    "posted_at": "timestamptz",
    "value_date": "date",
    "period": "text",
    "memo": "text",
    "reverses_entry": "uuid",
    "amount_fen": "bigint",
    "fund_use_id": "uuid",
    "prev_hash": "text",
    "hash": "text",
}
ENTRY_COLUMNS = tuple(ENTRY_TYPES)
ENTRY_PG_TYPES = tuple(ENTRY_TYPES.values())
LINE_COLUMNS = ("entry", "account", "household", "owner", "principal_delta", "interest_delta")
LINE_PG_TYPES = ("uuid", "uuid", "uuid", "uuid", "bigint", "bigint")
# Moves each account of the rows ``d`` (its principal ``d.p`` and interest ``d.i``): the
# head of every balance update, by key or by row place, on both engines.
MOVE_BALANCES = (
    "UPDATE fund_account SET principal_fen = fund_account.principal_fen + d.p,"
    " interest_fen = fund_account.interest_fen + d.i"
)


# The households' totals of a community's journal by book year and kind
# (``fund_year_total``): what the community summary shows, kept beside the journal as the
# balances are, moved by every posting in the same statements, and recomputed from the
# lines by ``verify``. A reversal counts under the kind of the entry it reverses. Key:
# community, book year, kind, and the reversed entry when it was posted before this call
# (its kind is looked up by the statement); amount: the entry's household lines' sum.
TotalKey = tuple[UUID, int, str, UUID | None]
YEAR_TOTALS_SQL = (
    "INSERT INTO fund_year_total (community, book_year, kind, amount_fen)"
    " SELECT d.community, d.book_year, COALESCE(o.kind, d.kind), SUM(d.amount)"
    " FROM ROWS LEFT JOIN fund_entry AS o ON o.id = d.reverses WHERE TRUE"
    " GROUP BY d.community, d.book_year, COALESCE(o.kind, d.kind)"
    " ON CONFLICT (community, book_year, kind)"
    " DO UPDATE SET amount_fen = fund_year_total.amount_fen + excluded.amount_fen"
)
YEAR_TOTAL_PG_TYPES = ("uuid", "integer", "text", "uuid", "bigint")
YEAR_TOTAL_COLUMNS = ("community", "book_year", "kind", "reverses", "amount")
# The same totals recomputed from the journal's lines, the community's household
# accounts' lines as the community summary summed them before the table kept them
# (``verify``). Placeholder: the community.
YEAR_TOTALS_FROM_LINES_SQL = (
    "SELECT e.book_year, COALESCE(o.kind, e.kind) AS kind,"
    " SUM(l.principal_delta + l.interest_delta) AS amount"
    " FROM fund_line AS l JOIN fund_entry AS e ON e.id = l.entry"
    " LEFT JOIN fund_entry AS o ON o.id = e.reverses_entry"
    " JOIN fund_account AS a ON a.id = l.account"
    " WHERE a.kind = 'household' AND a.community = {}"
    " GROUP BY e.book_year, COALESCE(o.kind, e.kind)"
)


def _add_year_total(
    totals: dict[TotalKey, int],
    kinds: dict[UUID, str],
    draft: EntryDraft,
    entry: Mapping[str, Any],
    lines: Sequence[LineDraft],
) -> None:
    """Add one new entry's household lines (those naming a household: a household
    account's, never the custody account's) to ``totals``; an entry with none adds no
    row, as the lines recomputation finds none."""
    kinds[entry["id"]] = draft.kind
    households = [
        line for line in lines if line.household is not None and line.account != draft.custody
    ]
    if not households:
        return
    kind, reverses = draft.kind, draft.reverses_entry
    if reverses is not None and reverses in kinds:
        kind, reverses = kinds[reverses], None
    key = (draft.chain.community, int(entry["book_year"]), kind, reverses)
    totals[key] = totals.get(key, 0) + sum(
        line.principal_delta + line.interest_delta for line in households
    )


def _year_total_writes(totals: Mapping[TotalKey, int], *, values: bool) -> list[Write]:
    if not totals:
        return []
    rows = [(*key, amount) for key, amount in totals.items()]
    if is_postgres():
        source, args = _rows_source(rows, YEAR_TOTAL_PG_TYPES, values=values)
        source = f"{source} AS d({', '.join(YEAR_TOTAL_COLUMNS)})"
    else:
        # SQLite names a VALUES list's columns column1, column2, ...
        named = ", ".join(f"column{i} AS {c}" for i, c in enumerate(YEAR_TOTAL_COLUMNS, 1))
        row = placeholders(len(YEAR_TOTAL_COLUMNS))
        source = f"(SELECT {named} FROM (VALUES {', '.join([row] * len(rows))})) AS d"
        args = [value for r in rows for value in r]
    return [(YEAR_TOTALS_SQL.replace("ROWS", source, 1), args)]


class Postings:
    """The rows of a posting being made, entry by entry: each ``add`` does one draft's
    part of the client's work (its id, sequence number, canonical text and hash, its
    line rows, what it moves in the balances and year totals), so that a batch can do it
    while the previous group is being written (``post_overlapped``); ``write`` sends the
    rows. ``add`` moves the draft's ``chain`` to the new entry: drafts must be added in
    the order they are to be written."""

    def __init__(self, moved: set[UUID] | None = None) -> None:
        self.entries: list[tuple[Any, ...]] = []
        self.lines: list[tuple[Any, ...]] = []
        self.posted: list[Posted] = []
        self.heads: dict[UUID, tuple[int, str, UUID]] = {}  # community → its last new entry
        self.deltas: dict[UUID, list[int]] = {}  # account → [principal, interest] moved
        self.totals: dict[TotalKey, int] = {}  # the households' year totals moved
        self.kinds: dict[UUID, str] = {}  # these entries' kinds, for a reversal among them
        self.places: dict[UUID, Any] = {}  # account → its row's place (``EntryDraft.places``)
        # Accounts an earlier group of the same batch moved: their rows lie elsewhere now.
        self.moved = set() if moved is None else moved
        self.prepared: LargeWrites | None = None  # a batch's statements (``prepare``)
        self.at = now()

    def add(self, draft: EntryDraft) -> None:
        if self.prepared is not None:
            raise RuntimeError("a prepared group takes no more drafts")
        lines = [line for line in draft.lines if line.principal_delta or line.interest_delta]
        if not lines or not lines_balance(
            (line.principal_delta, line.interest_delta) for line in lines
        ):
            raise ValueError("an entry needs lines that sum to zero")
        chain = draft.chain
        entry: dict[str, Any] = {
            "id": uuid.uuid4(),
            "district": draft.district_id,
            "community": chain.community,
            "book_year": draft.value_date.year,
            "actor_id": draft.actor_id,
            "idempotency_key": draft.idempotency_key,
            "seq": chain.seq + 1,
            "kind": draft.kind,
            "posted_at": self.at,
            "value_date": draft.value_date,
            "period": draft.period,
            "memo": draft.memo,
            "reverses_entry": draft.reverses_entry,
            "amount_fen": -sum(
                line.principal_delta + line.interest_delta
                for line in draft.lines
                if line.account == draft.custody
            ),
            "fund_use_id": draft.fund_use_id,
            "prev_hash": chain.head,
        }
        entry["hash"] = entry_hash(chain.head, canonical(entry, lines))
        chain.seq, chain.head = entry["seq"], entry["hash"]
        self.heads[chain.community] = (entry["seq"], entry["hash"], entry["id"])
        self.entries.append(tuple(entry[c] for c in ENTRY_COLUMNS))
        self.lines.extend((entry["id"], *line) for line in lines)
        deltas = self.deltas
        for account, _, _, principal, interest in lines:
            moved = deltas.get(account)
            if moved is None:
                deltas[account] = [principal, interest]
            else:
                moved[0] += principal
                moved[1] += interest
        _add_year_total(self.totals, self.kinds, draft, entry, lines)
        if draft.places:
            self.places.update(draft.places)
        self.posted.append(
            Posted(
                entry["id"], entry["seq"], entry["hash"], entry["amount_fen"], entry["posted_at"]
            )
        )

    def prepare(self) -> None:
        """Make a batch's statements now (on PostgreSQL, above ``SMALL_POSTING_LINES``),
        so that ``write`` sends them without stopping to build them: ``post_overlapped``
        prepares a group while the previous one is being written. Nothing is added after.
        The group's accounts count as moved from here on (a later group finds them by
        key): the groups are prepared and written in the same order."""
        if self.prepared is None and is_postgres() and len(self.lines) > SMALL_POSTING_LINES:
            self.prepared = _large_postgres_writes(self)
        self.moved.update(self.deltas)

    async def write(self, *, at_commit: bool = False) -> list[Posted]:
        """Send the rows (see ``post_entries``); returns the entries as posted."""
        if not self.entries:
            return []
        self.prepare()
        if self.prepared is not None:
            await _send_large_postgres(self.prepared)
            return self.posted
        if is_postgres():
            by_table = _postgres_writes(
                self.entries,
                self.lines,
                self.deltas,
                self.heads,
                self.totals,
                chunk=len(self.lines),
            )
            writes = [write for table in by_table.values() for write in table]
        else:
            entry_ids = [p.entry_id for p in self.posted]
            writes = _portable_writes(self.entries, self.lines, entry_ids, self.heads)
            writes += _year_total_writes(self.totals, values=True)
        if at_commit:
            await write_at_commit(writes)
        else:
            await write_together(writes)
        return self.posted


async def post_entries(drafts: Sequence[EntryDraft], *, at_commit: bool = False) -> list[Posted]:
    """Append balanced entries to their communities' journals and move the balances, in
    a fixed number of statements however many entries and lines: the entries, the lines,
    one set-based balance update, the chain heads.

    Must run inside ``transaction()``, each draft's ``chain`` taken by ``lock_community``
    (or ``lock_communities``) in this transaction. With ``at_commit`` the writes go out
    with the transaction's other queued writes just before COMMIT (``db.write_at_commit``):
    for a caller that reads nothing the posting changes afterwards.
    """
    postings = Postings()
    for draft in drafts:
        postings.add(draft)
    return await postings.write(at_commit=at_commit)


# A batch posts in groups of about this many lines (``post_overlapped``).
OVERLAP_GROUP_LINES = 4_000


async def post_overlapped(drafts: AsyncIterator[EntryDraft]) -> list[Posted]:
    """``post_entries`` for a batch whose drafts are made as it goes (shares, lines):
    each draft is added (``Postings.add``: its hash, rows and deltas) as it comes, into
    groups of about ``OVERLAP_GROUP_LINES`` lines, and each group is written while the
    next one is made and added, so that the database ingests one group (its lines' keys,
    indexes and reference checks) while this process computes the next: the two cores
    work at once instead of in turn, and a group's statements go out the moment the
    previous group's are answered. The groups are written strictly one after another on
    the transaction's connection, in the order made. ``drafts`` should yield control
    now and then (``await asyncio.sleep(0)``) so that a group's next statement goes out
    as soon as the previous one is answered. A failure in any group fails the whole call
    (and so the caller's transaction); a write in flight is awaited before the error
    leaves. Its statements are planned generically (``db.batch_writes``).
    """
    async with batch_writes():
        return await _post_overlapped(drafts)


async def _post_overlapped(drafts: AsyncIterator[EntryDraft]) -> list[Posted]:
    posted: list[Posted] = []
    pending: asyncio.Future[list[Posted]] | None = None
    moved: set[UUID] = set()
    group = Postings(moved)

    async def flush() -> None:
        nonlocal pending, group
        group.prepare()  # while the previous group is being written
        if pending is not None:
            posted.extend(await pending)
        pending = asyncio.ensure_future(group.write()) if group.entries else None
        group = Postings(moved)
        await asyncio.sleep(0)  # let the group send its first statement

    try:
        async for draft in drafts:
            group.add(draft)
            if len(group.lines) >= OVERLAP_GROUP_LINES:
                await flush()
        await flush()
        await flush()
    finally:
        if pending is not None and not pending.done():
            # Leaving on an error: never leave a statement in flight on the connection
            # the caller's transaction is about to roll back.
            await asyncio.gather(pending, return_exceptions=True)
    return posted


@dataclass
class LargeWrites:
    """A batch group's statements on PostgreSQL, made before they are sent
    (``Postings.prepare``): the entries, chain heads and year totals; the lines (COPY);
    the balances, each statement with the counts of accounts it must move."""

    head: list[Write]
    lines: list[tuple[Any, ...]]
    balances: list[tuple[Write, int, int]]


def _large_postgres_writes(postings: Postings) -> LargeWrites:
    """A batch on PostgreSQL: the entries, chain heads and year totals as arrays in one
    statement, the lines by COPY (binary, the fastest way in), then the balances,
    ``ARRAY_CHUNK`` rows a statement. Balances last: a batch that waits on an account row
    does so with all its lines written, and leaves none if it dies there.

    Accounts whose row's place the drafts gave (``EntryDraft.places``) are moved there,
    in the order they lie, by TID instead of a primary-key lookup each; the others (the
    custody accounts, accounts without a place or moved by an earlier group) by key, in
    the same statement (``BALANCES_SQL``). A place holds while no one updates the row:
    every writer of ``fund_account`` holds the community's chain, which the batch holds,
    and a batch's group marks what it moves (``Postings.moved``). The statement matches
    each account's id as well and counts what it moved: a place that no longer holds
    fails the batch, whole, instead of leaving a balance unmoved."""
    by_table = _postgres_writes(
        postings.entries,
        [],
        {},
        postings.heads,
        postings.totals,
        chunk=ARRAY_CHUNK,
        values=False,
    )
    placed, keyed = _split_deltas(postings)
    balances: list[tuple[Write, int, int]] = []
    for index in range(0, max(len(placed[0]), len(keyed[0])), ARRAY_CHUNK):
        part = slice(index, index + ARRAY_CHUNK)
        args = [column[part] for column in (*placed, *keyed)]
        balances.append(((BALANCES_SQL, args), len(placed[0][part]), len(keyed[0][part])))
    return LargeWrites(
        by_table["entries"] + by_table["chains"] + by_table["totals"], postings.lines, balances
    )


async def _send_large_postgres(writes: LargeWrites) -> None:
    await write_together(writes.head)
    await copy_rows("fund_line", LINE_COLUMNS, writes.lines)
    for (sql, args), placed, keyed in writes.balances:
        done = (await fetch(sql, *args))[0]
        if (done["placed"], done["keyed"]) != (placed, keyed):
            raise RuntimeError("a batch's account row moved under it; nothing was posted")


# Placeholders: each placed account's row place, id, principal and interest moved; each
# other account's id, principal and interest moved. The two sets never share an account.
# The placed rows are visited in the order they lie (sorted here: a group's 4,000 TIDs
# sort in 1.4-1.6 ms, against about 4 ms for the client to sort them as Python tuples).
BALANCES_SQL = (
    f"WITH placed AS ({MOVE_BALANCES} FROM (SELECT * FROM unnest($1::tid[], $2::uuid[],"
    " $3::bigint[], $4::bigint[]) AS u(place, account, p, i) ORDER BY place) AS d"
    " WHERE fund_account.ctid = d.place AND fund_account.id = d.account RETURNING 1),"
    f" keyed AS ({MOVE_BALANCES}"
    " FROM unnest($5::uuid[], $6::bigint[], $7::bigint[]) AS d(account, p, i)"
    " WHERE fund_account.id = d.account RETURNING 1)"
    " SELECT (SELECT COUNT(*) FROM placed) AS placed, (SELECT COUNT(*) FROM keyed) AS keyed"
)


def _split_deltas(postings: Postings) -> tuple[tuple[list[Any], ...], tuple[list[Any], ...]]:
    """The group's balance moves as columns, split into those going to a known row place
    (places, ids, principal, interest) and those found by key (no place given, or moved
    before: ids, principal, interest)."""
    deltas, places, moved = postings.deltas, postings.places, postings.moved
    by_place: list[UUID] = []
    by_key: list[UUID] = []
    for account in deltas:
        (by_key if places.get(account) is None or account in moved else by_place).append(account)
    return (
        ([places[a] for a in by_place], by_place, *_moves(deltas, by_place)),
        (by_key, *_moves(deltas, by_key)),
    )


def _moves(deltas: Mapping[UUID, list[int]], accounts: list[UUID]) -> list[list[int]]:
    """The principal and the interest moved on ``accounts``, as two columns."""
    return _columns([deltas[a] for a in accounts], 2)


# PostgreSQL: up to SMALL_POSTING_LINES lines a posting is one statement with its rows as
# typed VALUES (a deposit: scalars are cheaper for asyncpg to encode than arrays); a
# larger one is a batch (``_large_postgres_writes``), ARRAY_CHUNK rows a statement.
SMALL_POSTING_LINES = 200
ARRAY_CHUNK = 100_000


def _rows_source(
    rows: Sequence[Sequence[Any]], types: Sequence[str], *, values: bool
) -> tuple[str, list[Any]]:
    """Rows as a typed ``(VALUES ...)`` list (a parameter per value: cheap for asyncpg
    with few rows) or as ``unnest()`` of one array per column (a parameter per column,
    however many rows)."""
    if values:
        row = "(" + ", ".join(f"{{}}::{kind}" for kind in types) + ")"
        return f"(VALUES {', '.join([row] * len(rows))})", [v for r in rows for v in r]
    source = "unnest(" + ", ".join(f"{{}}::{kind}[]" for kind in types) + ")"
    return source, _columns(rows, len(types))


def _columns(rows: Sequence[Sequence[Any]], width: int) -> list[list[Any]]:
    """Rows of ``width`` values as one list per column (the arrays ``unnest()`` takes)."""
    return [[row[i] for row in rows] for i in range(width)]


def _postgres_writes(
    entries: list[tuple[Any, ...]],
    lines: list[tuple[Any, ...]],
    deltas: dict[UUID, list[int]],
    heads: dict[UUID, tuple[int, str, UUID]],
    totals: Mapping[TotalKey, int],
    *,
    chunk: int,
    values: bool = True,
) -> dict[str, list[Write]]:
    """Entries, lines, balances and chain heads, ``chunk`` rows a statement. The balance
    update adds the deltas computed here, so it reads nothing the other writes write,
    and all four can go as one statement (``db.write_together``)."""
    tables: dict[str, tuple[str, Sequence[Sequence[Any]], Sequence[str]]] = {
        "entries": (
            f"INSERT INTO fund_entry ({', '.join(ENTRY_COLUMNS)}) SELECT * FROM ROWS AS d",
            entries,
            ENTRY_PG_TYPES,
        ),
        "lines": (
            f"INSERT INTO fund_line ({', '.join(LINE_COLUMNS)}) SELECT * FROM ROWS AS d",
            lines,
            LINE_PG_TYPES,
        ),
        "balances": (
            MOVE_BALANCES + " FROM ROWS AS d(account, p, i) WHERE fund_account.id = d.account",
            [(account, p, i) for account, (p, i) in deltas.items()],
            ("uuid", "bigint", "bigint"),
        ),
        "chains": (
            "UPDATE fund_chain SET last_seq = d.seq, head_hash = d.hash"
            " FROM ROWS AS d(community, seq, hash) WHERE fund_chain.community = d.community",
            [(community, seq, digest) for community, (seq, digest, _) in heads.items()],
            ("uuid", "bigint", "text"),
        ),
    }
    writes: dict[str, list[Write]] = {}
    for table, (template, rows, types) in tables.items():
        writes[table] = []
        for part in chunks(rows, max(chunk, 1)):
            source, args = _rows_source(part, types, values=values)
            writes[table].append((template.replace("ROWS", source, 1), args))
    writes["totals"] = _year_total_writes(totals, values=values)
    return writes


def _portable_writes(
    entries: list[tuple[Any, ...]],
    lines: list[tuple[Any, ...]],
    entry_ids: list[UUID],
    heads: dict[UUID, tuple[int, str, UUID]],
) -> list[Write]:
    """The same writes in SQL both engines speak (SQLite), to run in order: multi-row
    inserts, then the balances moved by the lines of these entries grouped by account,
    then the chain heads from the last entries."""
    writes = insert_writes("fund_entry", ENTRY_COLUMNS, entries)
    writes += insert_writes("fund_line", LINE_COLUMNS, lines)
    writes += [
        (
            MOVE_BALANCES
            + " FROM (SELECT account, SUM(principal_delta) AS p, SUM(interest_delta) AS i"
            f" FROM fund_line WHERE entry IN {placeholders(len(chunk))}"
            " GROUP BY account) AS d"
            " WHERE fund_account.id = d.account",
            chunk,
        )
        for chunk in chunks(entry_ids)
    ]
    writes += [
        (
            "UPDATE fund_chain SET last_seq = e.seq, head_hash = e.hash FROM fund_entry AS e"
            f" WHERE e.community = fund_chain.community AND e.id IN {placeholders(len(chunk))}",
            chunk,
        )
        for chunk in chunks([entry_id for _, _, entry_id in heads.values()])
    ]
    return writes


async def post_entry(draft: EntryDraft, *, at_commit: bool = False) -> Posted:
    """Append one balanced entry (see ``post_entries``)."""
    return (await post_entries([draft], at_commit=at_commit))[0]


async def negative_accounts_of_entry(entry_id: UUID) -> int:
    """How many non-custody accounts touched by ``entry_id`` now hold a negative sub-balance."""
    rows = await fetch(
        "SELECT COUNT(*) AS n FROM fund_account WHERE kind <> 'custody'"
        " AND (principal_fen < 0 OR interest_fen < 0)"
        " AND id IN (SELECT account FROM fund_line WHERE entry = {})",
        entry_id,
    )
    return int(rows[0]["n"])


async def verify(community_id: UUID) -> Verification:
    """Recompute the community's hash chain and every account balance from the journal."""
    problems: list[str] = []
    entries = await fetch(
        "SELECT id, district, community, seq, kind, posted_at, value_date, book_year, period,"
        " memo, reverses_entry, amount_fen, actor_id, idempotency_key, fund_use_id,"
        " prev_hash, hash"
        " FROM fund_entry WHERE community = {} ORDER BY seq",
        community_id,
    )
    lines = await fetch(
        "SELECT fund_line.entry, fund_line.account, fund_line.household, fund_line.owner,"
        " fund_line.principal_delta, fund_line.interest_delta"
        " FROM fund_line JOIN fund_entry ON fund_entry.id = fund_line.entry"
        " WHERE fund_entry.community = {}",
        community_id,
    )
    by_entry: dict[str, list[dict[str, Any]]] = {}
    for line in lines:
        by_entry.setdefault(str(line["entry"]), []).append(dict(line))
    head = GENESIS_HASH
    for expected_seq, entry in enumerate(entries, start=1):
        row = dict(entry)
        entry_lines = by_entry.get(str(row["id"]), [])
        if int(row["seq"]) != expected_seq:
            problems.append(f"entry {row['id']}: seq {row['seq']}, expected {expected_seq}")
        if row["prev_hash"] != head:
            problems.append(f"entry {row['seq']}: prev_hash does not match the chain")
        if not entry_lines or not lines_balance(
            (int(line["principal_delta"]), int(line["interest_delta"])) for line in entry_lines
        ):
            problems.append(f"entry {row['seq']}: lines do not sum to zero")
        recomputed = entry_hash(row["prev_hash"], canonical(row, entry_lines))
        if recomputed != row["hash"]:
            problems.append(f"entry {row['seq']}: hash does not match its content")
        head = recomputed
    chain = await fetch(
        "SELECT last_seq, head_hash FROM fund_chain WHERE community = {}", community_id
    )
    stored_head = str(chain[0]["head_hash"]) if chain else GENESIS_HASH
    stored_seq = int(chain[0]["last_seq"]) if chain else 0
    if stored_head != head or stored_seq != len(entries):
        problems.append("chain head does not match the last entry")
    mismatched = await fetch(
        "SELECT a.id, a.principal_fen, a.interest_fen, s.p, s.i FROM fund_account AS a"
        " LEFT JOIN (SELECT fund_line.account, SUM(fund_line.principal_delta) AS p,"
        " SUM(fund_line.interest_delta) AS i FROM fund_line"
        " JOIN fund_entry ON fund_entry.id = fund_line.entry"
        " WHERE fund_entry.community = {} GROUP BY fund_line.account) AS s"
        " ON s.account = a.id"
        " WHERE a.community = {} AND (a.principal_fen <> COALESCE(s.p, 0)"
        " OR a.interest_fen <> COALESCE(s.i, 0)"
        " OR (a.kind <> 'custody' AND (a.principal_fen < 0 OR a.interest_fen < 0)))",
        community_id,
        community_id,
    )
    for row in mismatched:
        problems.append(
            f"account {row['id']}: cached {row['principal_fen']}/{row['interest_fen']},"
            f" journal {row['p'] or 0}/{row['i'] or 0}"
        )
    problems.extend(await year_totals_mismatched(community_id))
    problems.extend(await broken_first_deposit_promises(community_id))
    return Verification(ok=not problems, entries=len(entries), chain_head=head, problems=problems)


async def year_totals_mismatched(community_id: UUID) -> list[str]:
    """The community's kept year totals (``fund_year_total``) that differ from its
    journal's lines, one problem each."""
    kept = await fetch(
        "SELECT book_year, kind, amount_fen FROM fund_year_total WHERE community = {}",
        community_id,
    )
    journal = await fetch(YEAR_TOTALS_FROM_LINES_SQL, community_id)
    stored = {(int(r["book_year"]), str(r["kind"])): int(r["amount_fen"]) for r in kept}
    summed = {(int(r["book_year"]), str(r["kind"])): int(r["amount"]) for r in journal}
    return [
        f"year total {year} {kind}: kept {stored.get((year, kind))},"
        f" journal {summed.get((year, kind))}"
        for year, kind in sorted(stored.keys() | summed.keys())
        if stored.get((year, kind)) != summed.get((year, kind))
    ]


async def broken_first_deposit_promises(community_id: UUID) -> list[str]:
    """Households of the community that a ``first_deposit_promise`` (the demo seed's)
    covers and whose first deposit is not in the journal: a seed stopped part-way."""
    missing = await fetch(
        "SELECT h.id FROM household AS h"
        " JOIN first_deposit_promise AS p ON p.district = h.district"
        " WHERE h.community = {} AND h.created_at <= p.promised_at"
        " AND NOT EXISTS (SELECT 1 FROM fund_account AS a"
        " JOIN fund_line AS l ON l.account = a.id JOIN fund_entry AS e ON e.id = l.entry"
        " WHERE a.household = h.id AND e.kind = 'first_deposit')"
        " ORDER BY h.id",
        community_id,
    )
    if not missing:
        return []
    shown = ", ".join(str(r["id"]) for r in missing[:5])
    more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
    return [
        f"{len(missing)} household(s) lack the first deposit the demo seed promised"
        f" ({shown}{more}); run `changxiao seed --demo --if-empty` to finish the seed"
    ]
