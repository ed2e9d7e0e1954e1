"""What the system itself knows about a contract's service in a period, shown beside
each item of the score sheet: days with service records per category, repair tickets
closed (and closed on time; a reopened ticket is not), owner satisfaction answers,
owners' complaints (filed, answered, confirmed resolved, overdue), and the community's
kept standards (items met, rectifications overdue) beside the items they bear on."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from fractions import Fraction
from typing import Any

from piccolo.query.functions.aggregate import Count, Sum

from service.clock import DISTRICT_ZONE, now
from service.complaints.service import period_counts
from service.contracts.tables import ServiceRecord
from service.ratings import rules, schemas
from service.ratings.service import loads, scheme_of
from service.ratings.tables import SatisfactionAnswer
from service.standards.views import community_evidence
from service.units import format_hundredths
from service.warranty.tables import RepairTicket

# A ticket counts as closed only while it is done (or verified): a reopened one is not,
# even if a stamp of its earlier finish survived from before reopening cleared it.
DONE_STATUSES = ("done", "verified")


async def contract_evidence(
    period: dict[str, Any], contract: dict[str, Any]
) -> schemas.EvidenceOut:
    first = max(period["starts_on"], contract["starts_on"])
    last = (
        period["ends_on"]
        if contract["ends_on"] is None
        else min(period["ends_on"], contract["ends_on"])
    )
    served = rules.served_days(
        contract["starts_on"], contract["ends_on"], period["starts_on"], period["ends_on"]
    )
    days_by_category: dict[str, set[Any]] = {}
    if served:
        rows = (
            await ServiceRecord.select(ServiceRecord.category, ServiceRecord.performed_on)
            .where(
                (ServiceRecord.contract == contract["id"])
                & (ServiceRecord.performed_on >= first)
                & (ServiceRecord.performed_on <= last)
            )
            .distinct()
        )
        for row in rows:
            days_by_category.setdefault(row["category"], set()).add(row["performed_on"])
    since = datetime.combine(period["starts_on"], time.min, DISTRICT_ZONE)
    until = datetime.combine(period["ends_on"] + timedelta(days=1), time.min, DISTRICT_ZONE)
    tickets = await RepairTicket.select(RepairTicket.done_at, RepairTicket.due_at).where(
        (RepairTicket.community == contract["community"])
        & (RepairTicket.responsible_org == contract["company"])
        & RepairTicket.status.is_in(list(DONE_STATUSES))
        & (RepairTicket.done_at >= since)
        & (RepairTicket.done_at < until)
    )
    on_time = sum(1 for t in tickets if t["done_at"] <= t["due_at"])
    survey = await SatisfactionAnswer.select(
        Count(SatisfactionAnswer.id, alias="n"), Sum(SatisfactionAnswer.score, alias="total")
    ).where(
        (SatisfactionAnswer.period == period["id"])
        & (SatisfactionAnswer.community == contract["community"])
    )
    answers = int(survey[0]["n"] or 0) if survey else 0
    average = (
        rules.round_half_up(Fraction(int(survey[0]["total"]) * 100, answers)) if answers else None
    )
    complaints = await period_counts(
        contract["community"], contract["company"], period["starts_on"], period["ends_on"], now()
    )
    scheme = await scheme_of(period)
    standards = await community_evidence(
        period["district"], contract["community"], period["starts_on"], period["ends_on"]
    )
    items = []
    for item in loads(scheme["items"]):
        categories = list(rules.EVIDENCE_CATEGORIES.get(item["code"], ()))
        days: set[Any] = set()
        for category in categories:
            days |= days_by_category.get(category, set())
        suggested = (
            rules.satisfaction_points(average, int(item["max_score"]))
            if item["code"] == "satisfaction"
            else None
        )
        items.append(
            schemas.ItemEvidence(
                code=item["code"],
                name=item["name"],
                max_score=format_hundredths(int(item["max_score"])),
                categories=categories,
                record_days=len(days) if categories else None,
                suggested_score=format_hundredths(suggested) if suggested is not None else None,
                standards=standards.get(item["code"]),
                complaints=complaints if item["code"] == "satisfaction" else None,
            )
        )
    return schemas.EvidenceOut(
        period_id=period["id"],
        contract_id=contract["id"],
        served_days=served,
        period_days=rules.period_days(period["starts_on"], period["ends_on"]),
        record_days={
            category: len(days_by_category.get(category, set()))
            for category in ("cleaning", "patrol", "greening", "facility_check", "repair")
        },
        repair_tickets_closed=len(tickets),
        repair_tickets_closed_on_time=on_time,
        satisfaction_answers=answers,
        satisfaction_average=format_hundredths(average) if average is not None else None,
        complaints=complaints,
        items=items,
        standards=standards[None],
    )
