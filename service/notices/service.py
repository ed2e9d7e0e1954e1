"""Notices: sending them once, reading an inbox, marking one read.

A notice goes to one recipient: an organisation (the bureau, a committee, a company, a
contractor: every user of it sees it), an owner (every login of that owner), or one user
account. Its idempotency key is (job, period, recipient, object): whatever sends it twice
(a retried job, a caught-up period, a second process) inserts nothing the second time.
A notice to an owner with a phone number queues one SMS in the outbox, in the same
statement batch, so the SMS too goes out once.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from litestar.exceptions import NotFoundException

from service.auth.roles import OWNER, Caller
from service.clock import now
from service.db import chunks, fetch, placeholders, transaction
from service.errors import InputError
from service.pagination import Paging, encode_cursor

COLUMNS = (
    "id",
    "district",
    "kind",
    "title",
    "body",
    "object_type",
    "object_id",
    "link",
    "attachment",
    "recipient_org",
    "recipient_owner",
    "recipient_account",
    "idem_key",
    "job",
    "period",
    "created_at",
)


@dataclass(frozen=True)
class Recipient:
    """Exactly one of the three is set."""

    org: UUID | None = None
    owner: UUID | None = None
    account: UUID | None = None

    @property
    def key(self) -> str:
        if self.org:
            return f"org:{self.org}"
        if self.owner:
            return f"owner:{self.owner}"
        return f"account:{self.account}"


@dataclass(frozen=True)
class Draft:
    """A notice to send: what, about which object, to whom."""

    district: UUID
    kind: str
    title: str
    body: str
    recipient: Recipient
    object_type: str = ""
    object_id: str = ""
    link: str = ""
    attachment: str = ""


def idempotency_key(job: str, period: str, draft: Draft) -> str:
    """(job, period, recipient, object) as one key; hashed when too long for the column."""
    key = "|".join(
        (job, period, draft.kind, draft.recipient.key, f"{draft.object_type}:{draft.object_id}")
    )
    return key if len(key) <= 300 else "sha256:" + hashlib.sha256(key.encode()).hexdigest()


async def send(job: str, period: str, drafts: list[Draft]) -> int:
    """Insert the notices not sent before (by idempotency key) and queue an SMS for each
    new notice to an owner with a phone; returns how many notices are new."""
    if not drafts:
        return 0
    moment = now()
    created = 0
    unique = {idempotency_key(job, period, d): d for d in drafts}
    for batch in chunks(list(unique.items()), 400):
        rows = [
            (
                uuid.uuid4(),
                d.district,
                d.kind,
                d.title[:200],
                d.body,
                d.object_type,
                d.object_id,
                d.link,
                d.attachment,
                d.recipient.org,
                d.recipient.owner,
                d.recipient.account,
                key,
                job,
                period,
                moment,
            )
            for key, d in batch
        ]
        async with transaction():
            inserted = await fetch(
                f"INSERT INTO notice ({', '.join(COLUMNS)}) VALUES "
                + ", ".join([placeholders(len(COLUMNS))] * len(rows))
                + " ON CONFLICT (idem_key) DO NOTHING RETURNING id, recipient_owner",
                *(v for row in rows for v in row),
            )
            created += len(inserted)
            await _queue_sms(inserted, moment)
    return created


async def _queue_sms(inserted: list[dict[str, Any]], moment: datetime) -> None:
    """One SMS per new notice to an owner whose phone the registry holds."""
    by_owner: dict[str, list[Any]] = {}
    for row in inserted:
        if row["recipient_owner"] is not None:
            by_owner.setdefault(str(row["recipient_owner"]), []).append(row["id"])
    if not by_owner:
        return
    owners = list(by_owner)
    phones: dict[str, str] = {}
    for owner_part in chunks(owners, 500):
        found = await fetch(
            "SELECT id, phone FROM owner WHERE id IN "
            + placeholders(len(owner_part))
            + " AND phone IS NOT NULL AND phone <> ''",
            *(UUID(o) for o in owner_part),
        )
        phones.update({str(r["id"]): str(r["phone"]) for r in found})
    messages = [
        (uuid.uuid4(), notice_id, "sms", phones[owner], "pending", 0, moment, "", moment)
        for owner, ids in by_owner.items()
        if owner in phones
        for notice_id in ids
    ]
    for part in chunks(messages, 500):
        await fetch(
            "INSERT INTO notice_outbox (id, notice, channel, address, status, attempts,"
            " next_attempt_at, last_error, created_at) VALUES "
            + ", ".join([placeholders(9)] * len(part))
            + " ON CONFLICT (notice, channel) DO NOTHING",
            *(v for row in part for v in row),
        )


def _mine(caller: Caller) -> tuple[str, list[Any]]:
    """The caller's inbox as a WHERE clause: its own account, and its organisation's
    notices (an owner: every notice to that owner)."""
    clauses = ["n.recipient_account = {}"]
    args: list[Any] = [caller.id]
    if caller.role == OWNER and caller.owner_id is not None:
        clauses.append("n.recipient_owner = {}")
        args.append(caller.owner_id)
    elif caller.org_id is not None:
        clauses.append("n.recipient_org = {}")
        args.append(caller.org_id)
    return f"n.district = {{}} AND ({' OR '.join(clauses)})", [caller.district_id, *args]


async def inbox(
    caller: Caller, paging: Paging, unread: bool = False
) -> tuple[list[dict[str, Any]], str | None]:
    """The caller's notices, newest first (a page and the next cursor)."""
    where, args = _mine(caller)
    if unread:
        where += " AND n.read_at IS NULL"
    if paging.after:
        stamp, _, last_id = paging.after.partition("|")
        try:
            after_at = datetime.fromisoformat(stamp)
            after_id = UUID(last_id)
        except ValueError:
            raise InputError("cursor", "无效的游标，请使用上一页返回的 next_cursor") from None
        where += " AND (n.created_at < {} OR (n.created_at = {} AND n.id < {}))"
        args += [after_at, after_at, after_id]
    rows = await fetch(
        "SELECT n.id, n.kind, n.title, n.body, n.object_type, n.object_id, n.link,"
        " n.attachment, n.created_at, n.read_at FROM notice AS n WHERE "
        + where
        + " ORDER BY n.created_at DESC, n.id DESC LIMIT {}",
        *args,
        paging.limit + 1,
    )
    cursor = None
    if len(rows) > paging.limit:
        rows = rows[: paging.limit]
        last = rows[-1]
        cursor = encode_cursor(f"{_aware(last['created_at']).isoformat()}|{last['id']}")
    return rows, cursor


async def unread_count(caller: Caller) -> int:
    where, args = _mine(caller)
    rows = await fetch(
        f"SELECT COUNT(*) AS n FROM notice AS n WHERE {where} AND n.read_at IS NULL", *args
    )
    return int(rows[0]["n"])


async def visible_notice(caller: Caller, notice_id: str) -> dict[str, Any]:
    """One of the caller's notices; 404 for any other (another user's is missing)."""
    try:
        key = UUID(notice_id)
    except ValueError:
        raise NotFoundException("通知不存在，或不在您的权限范围内。") from None
    where, args = _mine(caller)
    rows = await fetch(
        "SELECT n.id, n.kind, n.title, n.body, n.object_type, n.object_id, n.link,"
        f" n.attachment, n.created_at, n.read_at FROM notice AS n WHERE n.id = {{}} AND {where}",
        key,
        *args,
    )
    if not rows:
        raise NotFoundException("通知不存在，或不在您的权限范围内。")
    return rows[0]


async def mark_read(caller: Caller, notice_id: str) -> dict[str, Any]:
    """Mark one of the caller's notices read (again: no change); 404 outside its inbox."""
    async with transaction():
        notice = await visible_notice(caller, notice_id)
        if notice["read_at"] is None:
            moment = now()
            await fetch(
                "UPDATE notice SET read_at = {}, read_by = {} WHERE id = {} AND read_at IS NULL",
                moment,
                caller.id,
                notice["id"],
            )
            notice = await visible_notice(caller, notice_id)
    return notice


def _aware(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))
