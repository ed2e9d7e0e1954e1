"""Repair figures for ratings: per company and contractor per period (DOMAIN "Quality
rating": repair tickets closed on time feed the score)."""

from __future__ import annotations

import statistics
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from uuid import UUID

from service.auth.roles import Caller
from service.clock import DISTRICT_ZONE, now
from service.errors import InputError
from service.registry.tables import Organization
from service.warranty import schemas
from service.warranty.tables import RepairTicket
from service.warranty.tickets import is_overdue


def _share(part: int, whole: int) -> str | None:
    if whole == 0:
        return None
    return str((Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), ROUND_HALF_UP))


def figures_of(tickets: list[dict[str, Any]], at: datetime) -> dict[str, Any]:
    """Tickets, on-time share, median hours to done, reopen rate of one party.

    On time: done (or verified) no later than the due time; measured over tickets that
    are done or already overdue. Median hours from report to the last ``finish``.
    Reopen rate: tickets reopened at least once over tickets ever finished.
    """
    finished = [t for t in tickets if t["status"] in ("done", "verified")]
    on_time = [t for t in finished if t["done_at"] <= t["due_at"]]
    measured = len(finished) + sum(1 for t in tickets if is_overdue(t, at))
    # Reopening clears ``done_at``; a reopened ticket was still finished once.
    ever_done = [t for t in tickets if t["done_at"] is not None or t["reopen_count"] > 0]
    reopened = [t for t in ever_done if t["reopen_count"] > 0]
    hours = [(t["done_at"] - t["reported_at"]).total_seconds() / 3600 for t in finished]
    median = (
        str(Decimal(statistics.median(hours)).quantize(Decimal("0.01"), ROUND_HALF_UP))
        if hours
        else None
    )
    return {
        "tickets": len(tickets),
        "done": len(finished),
        "on_time": len(on_time),
        "on_time_share": _share(len(on_time), measured),
        "median_hours_to_done": median,
        "reopened": len(reopened),
        "reopen_rate": _share(len(reopened), len(ever_done)),
    }


async def figures(
    caller: Caller,
    period_start: date,
    period_end: date,
    org_id: UUID | None = None,
    at: datetime | None = None,
) -> schemas.FiguresOut:
    """Per responsible company and contractor: figures of tickets reported in the period."""
    if period_end < period_start:
        raise InputError("period_end", "结束日期不能早于开始日期")
    start = datetime.combine(period_start, time.min, DISTRICT_ZONE)
    end = datetime.combine(period_end + timedelta(days=1), time.min, DISTRICT_ZONE)
    query = RepairTicket.select().where(
        (RepairTicket.district == caller.district_id)
        & (RepairTicket.reported_at >= start)
        & (RepairTicket.reported_at < end)
        & RepairTicket.responsible_org.is_not_null()
        & RepairTicket.responsible_kind.is_in(["contractor", "company", "repairer"])
    )
    if org_id is not None:
        query = query.where(RepairTicket.responsible_org == org_id)
    by_org: dict[UUID, list[dict[str, Any]]] = {}
    for row in await query:
        by_org.setdefault(row["responsible_org"], []).append(row)
    names: dict[UUID, dict[str, Any]] = {}
    if by_org:
        names = {
            o["id"]: o
            for o in await Organization.select(
                Organization.id, Organization.name, Organization.kind
            ).where(Organization.id.is_in(list(by_org)))
        }
    moment = at or now()
    items = [
        schemas.FigureOut(
            org_id=oid,
            org_name=names[oid]["name"],
            org_kind=names[oid]["kind"],
            **figures_of(rows, moment),
        )
        for oid, rows in sorted(by_org.items(), key=lambda item: str(item[0]))
    ]
    return schemas.FiguresOut(period_start=period_start, period_end=period_end, items=items)
