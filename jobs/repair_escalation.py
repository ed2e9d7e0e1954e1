"""Escalate overdue repair tickets to the bureau (DOMAIN.md "Repairs").

Each open ticket past its due time gets one ``escalated`` event in its history and an
audit entry, once; the bureau's overdue list (``GET /repairs?overdue=true``) shows them.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from jobs.runs import Period
from service.audit.service import record
from service.db import fetch, transaction
from service.warranty.rules import OPEN_STATUSES

JOB = "repair-escalation"


async def escalate_overdue(period: Period) -> dict[str, int]:
    """Escalate every ticket overdue at the period's instant; returns the counts."""
    return {"escalated": await escalate_overdue_at(period.at)}


async def escalate_overdue_at(at: datetime) -> int:
    """Mark every newly overdue ticket as escalated, once; how many were."""
    statuses = sorted(OPEN_STATUSES)
    placeholders = ", ".join("{}" for _ in statuses)
    async with transaction():
        rows = await fetch(
            "SELECT t.id, t.district, t.status, t.due_at FROM repair_ticket t"
            f" WHERE t.status IN ({placeholders}) AND t.due_at < {{}}"
            " AND NOT EXISTS (SELECT 1 FROM repair_event e"
            " WHERE e.ticket = t.id AND e.action = 'escalate')",
            *statuses,
            at,
        )
        for row in rows:
            await fetch(
                "INSERT INTO repair_event (id, ticket, action, from_status, to_status,"
                " actor_id, actor_name, actor_role, note, at)"
                " VALUES ({}, {}, 'escalate', {}, {}, NULL, 'system', 'system', {}, {})",
                uuid.uuid4(),
                row["id"],
                row["status"],
                row["status"],
                "已超过处理时限，升级至区住建局督办",
                at,
            )
            await record(
                None,
                "repair.escalate",
                "repair",
                row["id"],
                after={"status": row["status"], "due_at": row["due_at"]},
                district_id=row["district"],
            )
    return len(rows)
