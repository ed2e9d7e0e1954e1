"""Recording writes in the audit log, inside the writing transaction."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from service.auth.roles import Caller
from service.clock import now
from service.db import insert_writes, write_at_commit


def jsonable(value: Any) -> Any:
    """Plain JSON values for before/after snapshots (ids and dates as strings)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    if isinstance(value, (UUID, date, datetime, Decimal)):
        return str(value)
    return value


AUDIT_COLUMNS = (
    "at",
    "district_id",
    "actor_id",
    "actor_name",
    "action",
    "entity",
    "entity_id",
    "before",
    "after",
)


def _snapshot(value: dict[str, Any] | None) -> str | None:
    return None if value is None else json.dumps(jsonable(value), ensure_ascii=False)


async def record(
    actor: Caller | None,
    action: str,
    entity: str,
    entity_id: object,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    district_id: UUID | None = None,
) -> None:
    """Append one audit entry: who (``actor``; None for the system), what, before/after.

    Call it inside the transaction that makes the change, so the entry and the change
    land together or not at all.
    """
    await record_many(actor, action, entity, [(entity_id, before, after)], district_id=district_id)


async def record_many(
    actor: Caller | None,
    action: str,
    entity: str,
    changes: Sequence[tuple[object, dict[str, Any] | None, dict[str, Any] | None]],
    *,
    district_id: UUID | None = None,
) -> None:
    """Append one audit entry per (entity id, before, after) of a batch, in bulk (a
    district's interest run writes one per community in one statement). The rows go out
    with the transaction's other queued writes just before COMMIT."""
    at = now()
    await write_at_commit(
        insert_writes(
            "audit_entry",
            AUDIT_COLUMNS,
            [
                (
                    at,
                    district_id or (actor.district_id if actor else None),
                    actor.id if actor else None,
                    actor.username if actor else "system",
                    action,
                    entity,
                    str(entity_id),
                    _snapshot(before),
                    _snapshot(after),
                )
                for entity_id, before, after in changes
            ],
        )
    )
