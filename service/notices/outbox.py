"""The outbox: SMS and e-mail for notices, sent by a pluggable sender with retries.

``CHANGXIAO_NOTICE_SENDER`` names the sender: ``log`` (the default) writes each message
as one JSON line on the ``changxiao.notices`` logger, so nothing needs an outside
service; ``module:callable`` names an async callable taking an ``Outgoing`` message
(an SMS gateway, a mail relay) that raises when the message did not go out.
Each message is taken by one process (a conditional UPDATE), retried with backoff, and
given up after ``MAX_ATTEMPTS``.
"""

from __future__ import annotations

import importlib
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import cast
from uuid import UUID

from service.clock import now
from service.config import get_settings
from service.db import fetch, placeholders

logger = logging.getLogger("changxiao.notices")

MAX_ATTEMPTS = 5
RETRY_BASE = timedelta(minutes=1)
# A message taken by a process that died becomes due again after this long.
SENDING_LEASE = timedelta(minutes=5)


@dataclass(frozen=True)
class Outgoing:
    id: str
    channel: str
    address: str
    title: str
    body: str


Sender = Callable[[Outgoing], Awaitable[None]]


def masked(address: str) -> str:
    """A phone number as 138****5678 in the log."""
    return address[:3] + "****" + address[-4:] if len(address) >= 8 else "****"


async def log_sender(message: Outgoing) -> None:
    """The default sender: one log line per message."""
    logger.info(
        json.dumps(
            {
                "event": "notice.send",
                "channel": message.channel,
                "to": masked(message.address),
                "title": message.title,
                "id": message.id,
            },
            ensure_ascii=False,
        )
    )


def configured_sender() -> Sender:
    name = get_settings().notice_sender
    if name == "log":
        return log_sender
    module, _, attribute = name.partition(":")
    return cast(Sender, getattr(importlib.import_module(module), attribute))


async def send_due(
    limit: int = 500, sender: Sender | None = None, notice_ids: Sequence[UUID] | None = None
) -> dict[str, int]:
    """Send the messages that are due (up to ``limit``, oldest first; only those of
    ``notice_ids`` if given); returns how many went out, will be retried, were given up."""
    send = sender or configured_sender()
    moment = now()
    only = ""
    if notice_ids is not None:
        only = " AND o.notice IN " + placeholders(len(notice_ids)) if notice_ids else " AND 1 = 0"
    due = await fetch(
        "SELECT o.id FROM notice_outbox AS o WHERE o.status IN ('pending', 'sending')"
        " AND o.next_attempt_at <= {}" + only + " ORDER BY o.next_attempt_at LIMIT {}",
        moment,
        *(notice_ids or []),
        limit,
    )
    counts = {"sent": 0, "retry": 0, "failed": 0}
    for row in due:
        taken = await fetch(
            "UPDATE notice_outbox SET status = 'sending', attempts = attempts + 1,"
            " next_attempt_at = {} WHERE id = {} AND status IN ('pending', 'sending')"
            " AND next_attempt_at <= {} RETURNING id, channel, address, attempts, notice",
            now() + SENDING_LEASE,
            row["id"],
            now(),
        )
        if not taken:
            continue  # another process took it
        message = taken[0]
        notice = await fetch("SELECT title, body FROM notice WHERE id = {}", message["notice"])
        outgoing = Outgoing(
            id=str(message["id"]),
            channel=str(message["channel"]),
            address=str(message["address"]),
            title=str(notice[0]["title"]),
            body=str(notice[0]["body"]),
        )
        try:
            await send(outgoing)
        except Exception as exc:
            attempts = int(message["attempts"])
            final = attempts >= MAX_ATTEMPTS
            await fetch(
                "UPDATE notice_outbox SET status = {}, last_error = {}, next_attempt_at = {}"
                " WHERE id = {}",
                "failed" if final else "pending",
                f"{type(exc).__name__}: {exc}"[:2000],
                now() + RETRY_BASE * 2 ** (attempts - 1),
                message["id"],
            )
            counts["failed" if final else "retry"] += 1
            continue
        await fetch(
            "UPDATE notice_outbox SET status = 'sent', sent_at = {}, last_error = '' WHERE id = {}",
            now(),
            message["id"],
        )
        counts["sent"] += 1
    return counts
