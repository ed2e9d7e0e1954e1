"""The one posting service of the maintenance fund, and its verification.

Every money movement goes through ``post_entry`` inside ``transaction()``:
1. ``lock_community`` serialises the community's writers on its ``fund_chain`` row (an
   UPDATE takes the row lock on PostgreSQL; SQLite's IMMEDIATE transaction already
   holds the database write lock), so sequence numbers and the hash chain never fork;
2. the entry and its lines are inserted (lines sum to zero: double entry);
3. the balance cache is moved by one set-based ``UPDATE ... SET x = x + d.x FROM (lines
   of this entry grouped by account)``, never read-modify-write in Python;
4. the chain head moves to the new entry's hash.
``verify`` recomputes the chain and every balance from the journal.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from service.clock import now
from service.db import fetch
from service.funds.rules import GENESIS_HASH, canonical_entry, entry_hash, lines_balance
from service.funds.tables import FundAccount, FundEntry

INSERT_CHUNK = 1000  # rows per INSERT: under SQLite's and asyncpg's parameter limits


async def insert_rows(table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Multi-row INSERT in chunks: a few statements for thousands of rows, without
    building an ORM object per row (the seed posts 16,219 households in seconds)."""
    per_row = "(" + ", ".join(["{}"] * len(columns)) + ")"
    head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
    for start in range(0, len(rows), INSERT_CHUNK):
        chunk = rows[start : start + INSERT_CHUNK]
        await fetch(head + ", ".join([per_row] * len(chunk)), *(v for row in chunk for v in row))


@dataclass(frozen=True)
class LineDraft:
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


def canonical(entry: dict[str, Any], lines: Iterable[dict[str, Any]]) -> str:
    """Canonical text of a stored (or about to be stored) entry and its lines."""
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
                "account": _id(line["account"]),
                "household": _id(line["household"]),
                "owner": _id(line["owner"]),
                "principal_delta": int(line["principal_delta"]),
                "interest_delta": int(line["interest_delta"]),
            }
            for line in lines
        ],
    )


async def lock_community(community_id: UUID) -> None:
    """Take the community's journal lock (creating its chain row on first use).

    Call first thing inside the transaction, before reading anything a posting depends
    on; several communities are locked in ascending id order to avoid deadlocks.
    """
    await fetch(
        "INSERT INTO fund_chain (id, community, last_seq, head_hash) VALUES ({}, {}, 0, {})"
        " ON CONFLICT (community) DO NOTHING",
        uuid.uuid4(),
        community_id,
        GENESIS_HASH,
    )
    await fetch("UPDATE fund_chain SET last_seq = last_seq WHERE community = {}", community_id)


async def custody_account(district_id: UUID, community_id: UUID) -> UUID:
    """The community's custody account id, opened on first use (under the community lock)."""
    row = (
        await FundAccount.select(FundAccount.id)
        .where((FundAccount.community == community_id) & (FundAccount.kind == "custody"))
        .first()
    )
    if row is not None:
        return UUID(str(row["id"]))
    account = FundAccount(
        kind="custody", district=district_id, community=community_id, opened_at=now()
    )
    await FundAccount.insert(account)
    return UUID(str(account.id))


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
            (account, "household", district_id, community_id, household, 0, 0, at)
            for household, account in opened.items()
        ],
    )
    found.update(opened)
    return found


async def post_entry(
    *,
    district_id: UUID,
    community_id: UUID,
    kind: str,
    lines: Sequence[LineDraft],
    custody: UUID,
    value_date: date,
    memo: str = "",
    period: str | None = None,
    reverses_entry: UUID | None = None,
    actor_id: UUID | None = None,
    idempotency_key: str | None = None,
    fund_use_id: UUID | None = None,
) -> Posted:
    """Append one balanced entry to the community's journal and move the balances.

    Must run inside ``transaction()`` after ``lock_community(community_id)``.
    """
    drafts: list[dict[str, Any]] = [
        {
            "account": line.account,
            "household": line.household,
            "owner": line.owner,
            "principal_delta": line.principal_delta,
            "interest_delta": line.interest_delta,
        }
        for line in lines
        if line.principal_delta or line.interest_delta
    ]
    if not drafts or not lines_balance(drafts):
        raise ValueError("an entry needs lines that sum to zero")
    amount = -sum(
        d["principal_delta"] + d["interest_delta"] for d in drafts if d["account"] == custody
    )
    chain = await fetch(
        "UPDATE fund_chain SET last_seq = last_seq + 1 WHERE community = {}"
        " RETURNING last_seq, head_hash",
        community_id,
    )
    if not chain:
        raise RuntimeError("post_entry called without lock_community")
    seq, prev_hash = int(chain[0]["last_seq"]), str(chain[0]["head_hash"])
    entry: dict[str, Any] = {
        "id": uuid.uuid4(),
        "district": district_id,
        "community": community_id,
        "book_year": value_date.year,
        "actor_id": actor_id,
        "idempotency_key": idempotency_key,
        "seq": seq,
        "kind": kind,
        "posted_at": now(),
        "value_date": value_date,
        "period": period,
        "memo": memo,
        "reverses_entry": reverses_entry,
        "amount_fen": amount,
        "fund_use_id": fund_use_id,
    }
    digest = entry_hash(prev_hash, canonical(entry, drafts))
    await FundEntry.insert(
        FundEntry(
            prev_hash=prev_hash,
            hash=digest,
            **entry,
        )
    )
    await insert_rows(
        "fund_line",
        ("entry", "account", "household", "owner", "principal_delta", "interest_delta"),
        [
            (
                entry["id"],
                d["account"],
                d["household"],
                d["owner"],
                d["principal_delta"],
                d["interest_delta"],
            )
            for d in drafts
        ],
    )
    await fetch(
        "UPDATE fund_account SET principal_fen = fund_account.principal_fen + d.p,"
        " interest_fen = fund_account.interest_fen + d.i"
        " FROM (SELECT account, SUM(principal_delta) AS p, SUM(interest_delta) AS i"
        " FROM fund_line WHERE entry = {} GROUP BY account) AS d"
        " WHERE fund_account.id = d.account",
        entry["id"],
    )
    await fetch("UPDATE fund_chain SET head_hash = {} WHERE community = {}", digest, community_id)
    return Posted(
        entry_id=entry["id"], seq=seq, hash=digest, amount_fen=amount, posted_at=entry["posted_at"]
    )


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
        if not entry_lines or not lines_balance(entry_lines):
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
    return Verification(ok=not problems, entries=len(entries), chain_head=head, problems=problems)
