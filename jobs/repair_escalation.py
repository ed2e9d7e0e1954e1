"""Escalate overdue repair tickets to the bureau (DOMAIN.md "Repairs").

Each open ticket past its due time gets one ``escalated`` event in its history and an
audit entry, once; the bureau's overdue list (``GET /repairs?overdue=true``) shows them.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from uuid import UUID

from jobs.runs import Period
from service.audit.service import record
from service.db import fetch, transaction
from service.notices.recipients import bureaus
from service.notices.service import Draft, Recipient, send
from service.warranty.rules import OPEN_STATUSES

JOB = "repair-escalation"


async def escalate_overdue(period: Period) -> dict[str, int]:
    """Escalate every ticket overdue at the period's instant and tell the bureau and the
    party responsible (the escalation counts against it: its rating or credit record)."""
    async with transaction():  # the notices commit with the escalation, or neither does
        rows = await _escalate(period.at)
        sent = await _tell(rows)
    return {"escalated": len(rows), "notices": sent}


async def _tell(rows: list[dict[str, Any]]) -> int:
    bureau_of = await bureaus()
    drafts: list[Draft] = []
    for row in rows:
        district = UUID(str(row["district"]))
        recipients = list(bureau_of.get(district, []))
        if row["responsible_org"] is not None:
            recipients.append(Recipient(org=UUID(str(row["responsible_org"]))))
        drafts += [
            Draft(
                district=district,
                kind="repair_overdue",
                title=f"维修超期已升级督办：{row['community_name']}",
                body=(
                    f"{row['community_name']}的报修「{str(row['description'])[:60]}」"
                    f"已超过处理时限（{row['due_at']}），已升级至区住建局督办，"
                    "并计入责任方的评价与信用记录。"
                ),
                recipient=recipient,
                object_type="repair",
                object_id=str(row["id"]),
                link=f"/repairs/{row['id']}",
            )
            for recipient in recipients
        ]
    # One escalation per ticket ever: the key names the escalation, not the run.
    return await send(JOB, "escalation", drafts)


async def escalate_overdue_at(at: datetime) -> int:
    """Mark every newly overdue ticket as escalated, once; how many were."""
    return len(await _escalate(at))


async def _escalate(at: datetime) -> list[dict[str, Any]]:
    """Mark every newly overdue ticket as escalated, once; the tickets that were."""
    statuses = sorted(OPEN_STATUSES)
    placeholders = ", ".join("{}" for _ in statuses)
    async with transaction():
        rows = await fetch(
            "SELECT t.id, t.district, t.status, t.due_at, t.responsible_org, t.description,"
            " c.name AS community_name FROM repair_ticket t"
            " JOIN community AS c ON c.id = t.community"
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
    return rows
