"""The witness of the journal: an append-only log of every chain head the service
published, and the check an owners' committee runs against a head it kept.

Why: the hash chain proves that entries 1..N have not changed since head N was
computed, but nothing inside the database remembers head N. With superuser rights one
can delete a community's entries, reset its chain and balances and post a new history
from genesis, and ``ledger.verify`` passes. So every head shown to someone outside the
service — on a yearly statement, by a verification, by the daily job — is appended
here with its place (``seq``) and time, and can be exported. A committee that kept a
head (from a statement, an export, a verification) asks
``changxiao fund verify --head H`` or ``GET /communities/{id}/fund/verify?head=H``:
the answer says whether the journal still has H at the recorded place.

Keying. The chain itself is NOT keyed: anyone holding an export can recompute it with
plain SHA-256, and a key that had to be rotated would rewrite history. Instead each log
row carries an HMAC-SHA256 tag under ``CHANGXIAO_WITNESS_KEY``, a secret kept outside
the database (environment / ``var/``). A superuser who rebuilds the chain and also
rewrites this log cannot produce valid tags without the key, and the committee's own
copy of a head does not depend on the database at all.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from service.clock import now
from service.config import get_settings
from service.db import fetch, insert_writes, placeholders, transaction, write_together
from service.funds import ledger
from service.funds.tables import ChainHeadLog
from service.pagination import Paging, fetch_page

REASONS = ("statement", "verification", "daily", "export")


def head_tag(community_id: UUID | str, seq: int, head: str, recorded_at: datetime) -> str:
    """HMAC-SHA256 under the witness key of one log row's content."""
    stamp = recorded_at.astimezone(UTC).isoformat()
    message = f"{community_id}|{seq}|{head}|{stamp}".encode()
    key = get_settings().witness_key.encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _as_datetime(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


async def record_heads(community_ids: list[UUID] | None, reason: str) -> int:
    """Append the current chain head of these communities (all with a journal: None)
    to the witness log; returns how many rows it appended."""
    if community_ids is not None and not community_ids:
        return 0
    sql = (
        "SELECT c.community, c.last_seq, c.head_hash, m.district FROM fund_chain AS c"
        " JOIN community AS m ON m.id = c.community WHERE c.last_seq > 0"
    )
    args: list[Any] = []
    if community_ids is not None:
        sql += " AND c.community IN (" + ", ".join(["{}"] * len(community_ids)) + ")"
        args = list(community_ids)
    heads = await fetch(sql, *args)
    return await _append(
        [(h["district"], h["community"], int(h["last_seq"]), str(h["head_hash"])) for h in heads],
        reason,
    )


async def record_seen_head(community_id: UUID, seq: int, head: str, reason: str) -> int:
    """Witness the head a document showed (entry ``seq`` of the community's chain)."""
    return await record_seen_heads([(community_id, seq, head)], reason)


async def record_seen_heads(seen: Sequence[tuple[UUID, int, str]], reason: str) -> int:
    """Witness the heads documents showed, ``(community, seq, head)`` each (a batch of
    statements: one query and one transaction for all); returns the rows appended."""
    shown = [(community, seq, head) for community, seq, head in seen if seq > 0]
    if not shown:
        return 0
    ids = list(dict.fromkeys(community for community, _, _ in shown))
    rows = await fetch(
        "SELECT id, district FROM community WHERE id IN " + placeholders(len(ids)), *ids
    )
    district = {str(r["id"]): r["district"] for r in rows}
    return await _append(
        [(district[str(community)], community, seq, head) for community, seq, head in shown],
        reason,
    )


async def _append(heads: list[tuple[Any, Any, int, str]], reason: str) -> int:
    assert reason in REASONS, reason
    at = now()
    rows = [
        (district, community, seq, head, head_tag(community, seq, head, at), reason, at)
        for district, community, seq, head in heads
    ]
    async with transaction():
        await write_together(
            insert_writes(
                "chain_head_log",
                ("district", "community", "seq", "head_hash", "tag", "reason", "recorded_at"),
                rows,
            )
        )
    return len(rows)


async def witness_all_heads() -> int:
    """The daily job's hook: witness every community's current head."""
    return await record_heads(None, "daily")


async def head_log(community_id: UUID, paging: Paging) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the community's witness log, oldest first (the export), and the next
    cursor."""
    rows, cursor = await fetch_page(
        ChainHeadLog.select(
            ChainHeadLog.id,
            ChainHeadLog.seq,
            ChainHeadLog.head_hash,
            ChainHeadLog.tag,
            ChainHeadLog.reason,
            ChainHeadLog.recorded_at,
        ).where(ChainHeadLog.community == community_id),
        ChainHeadLog.id,
        paging,
        key_type=int,
    )
    return [r | {"recorded_at": _as_datetime(r["recorded_at"])} for r in rows], cursor


async def lost_heads(community_id: UUID) -> list[str]:
    """Witnessed heads (with a valid tag) that the journal no longer holds at their
    place: the history was rewritten after they were published."""
    rows = await fetch(
        "SELECT l.seq, l.head_hash, l.tag, l.recorded_at FROM chain_head_log AS l"
        " LEFT JOIN fund_entry AS e ON e.community = l.community AND e.seq = l.seq"
        " WHERE l.community = {} AND (e.hash IS NULL OR e.hash <> l.head_hash)"
        " ORDER BY l.id",
        community_id,
    )
    return [
        f"the head witnessed at entry {row['seq']} on"
        f" {_as_datetime(row['recorded_at']).isoformat()} is no longer in the journal:"
        " the history was rewritten"
        for row in rows
        if _tag_valid(community_id, row)
    ][:3]


def _tag_valid(community_id: UUID, row: dict[str, Any]) -> bool:
    expected = head_tag(
        community_id, int(row["seq"]), str(row["head_hash"]), _as_datetime(row["recorded_at"])
    )
    return hmac.compare_digest(str(row["tag"]), expected)


async def verify_with_witness(community_id: UUID) -> ledger.Verification:
    """``ledger.verify`` (the chain and balances from the journal) and the witness log's
    heads still in the journal at their places."""
    result = await ledger.verify(community_id)
    if lost := await lost_heads(community_id):
        result.problems.extend(lost)
        result.ok = False
    return result


@dataclass
class HeadCheck:
    """What the journal says about a head someone kept."""

    head: str
    witnessed: bool  # the log has it (with a valid tag)
    seq: int | None  # the place the log (or, unwitnessed, the journal) puts it
    recorded_at: datetime | None
    contained: bool  # the journal's entry at that place has this hash, and it verifies
    problems: list[str]

    @property
    def ok(self) -> bool:
        return self.contained and not self.problems


async def check_head(community_id: UUID, head: str) -> HeadCheck:
    """Does the community's journal still hold ``head`` at the place and time the
    witness log recorded it? Also checks the log row's tag and the chain as a whole."""
    head = head.strip().lower()
    problems: list[str] = []
    logged = await fetch(
        "SELECT seq, head_hash, tag, recorded_at FROM chain_head_log"
        " WHERE community = {} AND head_hash = {} ORDER BY id",
        community_id,
        head,
    )
    valid = [row for row in logged if _tag_valid(community_id, row)]
    if logged and not valid:
        problems.append("the witness log's record of this head has an invalid tag (forged)")
    at_place = await fetch(
        "SELECT seq, hash FROM fund_entry WHERE community = {} AND hash = {}",
        community_id,
        head,
    )
    first = valid[0] if valid else None
    seq = int(first["seq"]) if first else (int(at_place[0]["seq"]) if at_place else None)
    recorded_at = _as_datetime(first["recorded_at"]) if first else None
    contained = False
    if seq is not None:
        entry = await fetch(
            "SELECT hash FROM fund_entry WHERE community = {} AND seq = {}", community_id, seq
        )
        contained = bool(entry) and str(entry[0]["hash"]) == head
        if not contained:
            problems.append(
                f"the journal no longer has this head at entry {seq}"
                + (f" (witnessed {recorded_at.isoformat()})" if recorded_at else "")
                + ": its history was rewritten"
            )
    else:
        problems.append("neither the witness log nor the journal knows this head")
    if contained:
        problems.extend((await verify_with_witness(community_id)).problems)
    return HeadCheck(
        head=head,
        witnessed=bool(valid),
        seq=seq,
        recorded_at=recorded_at,
        contained=contained,
        problems=problems,
    )
