"""Recording writes in the audit log, inside the writing transaction."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from service.audit.tables import AuditEntry
from service.auth.roles import Caller
from service.clock import now


def jsonable(value: Any) -> Any:
    """Plain JSON values for before/after snapshots (ids and dates as strings)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    if isinstance(value, (UUID, date, datetime, Decimal)):
        return str(value)
    return value


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
    await AuditEntry.insert(
        AuditEntry(
            at=now(),
            district_id=district_id or (actor.district_id if actor else None),
            actor_id=actor.id if actor else None,
            actor_name=actor.username if actor else "system",
            action=action,
            entity=entity,
            entity_id=str(entity_id),
            before=jsonable(before) if before is not None else None,
            after=jsonable(after) if after is not None else None,
        )
    )
