"""Works register use cases: works with components, warranty look-ups, retention, policy.

Repair tickets live in ``tickets.py``; both share the loaders here.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from litestar.exceptions import NotFoundException
from piccolo.custom_types import Combinable

from service.audit.service import record
from service.auth.roles import CONTRACTOR, Caller
from service.auth.scope import Scope, as_uuid
from service.clock import now, today
from service.contracts.tables import Contract
from service.db import transaction
from service.errors import InputErrors
from service.pagination import Paging, fetch_page
from service.registry.tables import Building, Community, Organization
from service.units import format_yuan, parse_fen
from service.warranty import rules, schemas
from service.warranty.policy import Policy, load_policy
from service.warranty.tables import (
    RepairTicket,
    WarrantyCharge,
    Work,
    WorkBuilding,
    WorkComponent,
)
from service.warranty.workdays import load_calendar

# --- Works -------------------------------------------------------------------------


def work_visibility(caller: Caller, access: Scope) -> Combinable:
    """Works a caller may see: a contractor its own, others those of visible communities."""
    condition = access.communities(Work.community, Work.district)
    if caller.role == CONTRACTOR:
        condition = (Work.district == caller.district_id) & (Work.contractor == caller.org_id)
    return condition


async def visible_work(caller: Caller, access: Scope, work_id: UUID | str) -> dict[str, Any]:
    """The work if the caller may see it, else 404."""
    row: dict[str, Any] | None = (
        await Work.select(*WORK_COLUMNS)
        .where((Work.id == as_uuid(work_id)) & work_visibility(caller, access))
        .first()
    )
    if row is None:
        raise NotFoundException("改造工程不存在，或不在您的权限范围内。")
    return row


WORK_COLUMNS = (
    Work.id,
    Work.community,
    Work.title,
    Work.construction_unit,
    Work.contractor,
    Work.contractor.name.as_alias("contractor_name"),
    Work.accepted_on,
    Work.settlement_fen,
    Work.retention_fen,
    Work.defects_liability_months,
)


def _component_term(
    index: int,
    component: schemas.ComponentIn,
    accepted_on: date,
    policy: Policy,
    calendar: rules.WorkingCalendar,
) -> tuple[tuple[date, date] | None, list[dict[str, str]]]:
    """(last day, warranty end) of one component, or the errors naming its fields."""
    prefix = f"components[{index}]"
    if component.category not in rules.CATEGORIES:
        return None, [
            {"field": f"{prefix}.category", "message": "应为 " + " | ".join(rules.CATEGORIES)}
        ]
    if component.warranty_seasons is not None and component.category not in rules.SEASON_CATEGORIES:
        return None, [
            {"field": f"{prefix}.warranty_seasons", "message": "只有供热、供冷系统按采暖/供冷期计"}
        ]
    if component.category == "structure" and component.warranty_months:
        return None, [
            {
                "field": f"{prefix}.warranty_months",
                "message": "地基基础和主体结构的保修期为设计文件规定的合理使用年限，按整年填写",
            }
        ]
    try:
        last = rules.warranty_last_day(
            component.category,
            accepted_on,
            component.warranty_years,
            policy.heating,
            seasons=component.warranty_seasons,
            cooling_season=policy.cooling,
            months=component.warranty_months,
        )
    except rules.WarrantyTooShort as exc:
        short_seasons = (
            component.warranty_seasons is not None
            and component.warranty_seasons < rules.STATUTORY_SEASONS
        )
        field = (
            "warranty_seasons"
            if short_seasons
            else "warranty_months"
            if component.warranty_years is None and component.warranty_months is not None
            else "warranty_years"
        )
        return None, [{"field": f"{prefix}.{field}", "message": str(exc)}]
    except rules.WarrantyTermMissing:
        return None, [
            {
                "field": f"{prefix}.warranty_years",
                "message": "其他项目的保修期由合同约定，须填写 warranty_years 或 warranty_months",
            }
        ]
    return (last, rules.period_end(last, calendar)), []


async def create_work(caller: Caller, data: schemas.WorkIn) -> UUID:
    """Register a completed renovation work with its components' warranty ends.

    Warranty ends follow ``rules.warranty_until`` (条例 art. 40); retention money is at most
    3% of the settlement; the defects liability period is 1-24 months.
    """
    settlement = parse_fen(data.settlement_amount, "settlement_amount")
    retention = (
        0
        if data.retention_amount is None
        else parse_fen(data.retention_amount, "retention_amount", allow_zero=True)
    )
    errors: list[dict[str, str]] = []
    if retention > rules.retention_limit(settlement):
        errors.append(
            {
                "field": "retention_amount",
                "message": "质量保证金不得超过结算金额的 3%（最多 "
                f"{format_yuan(rules.retention_limit(settlement))} 元）",
            }
        )
    if data.accepted_on > today():
        errors.append({"field": "accepted_on", "message": "竣工验收日期不能晚于今天"})
    policy = await load_policy(caller.district_id)
    calendar = await load_calendar(caller.district_id)
    terms: list[tuple[schemas.ComponentIn, tuple[date, date]]] = []
    seen: set[str] = set()
    for index, component in enumerate(data.components):
        until, problems = _component_term(index, component, data.accepted_on, policy, calendar)
        if component.category in seen:
            problems.append(
                {
                    "field": f"components[{index}].category",
                    "message": "同一类别在一项工程中只能登记一次",
                }
            )
        seen.add(component.category)
        errors.extend(problems)
        if until is not None:
            terms.append((component, until))
    community = (
        await Community.select(Community.id)
        .where((Community.id == data.community_id) & (Community.district == caller.district_id))
        .first()
    )
    if community is None:
        errors.append({"field": "community_id", "message": "小区不存在"})
    contractor = (
        await Organization.select(Organization.id)
        .where(
            (Organization.id == data.contractor_id)
            & (Organization.district == caller.district_id)
            & (Organization.kind == "contractor")
        )
        .first()
    )
    if contractor is None:
        errors.append(
            {"field": "contractor_id", "message": "施工单位不存在（须为 contractor 类组织）"}
        )
    building_ids = list(dict.fromkeys(data.building_ids or []))
    if building_ids and community is not None:
        found = {
            r["id"]
            for r in await Building.select(Building.id).where(
                Building.id.is_in(building_ids) & (Building.community == data.community_id)
            )
        }
        errors.extend(
            {"field": f"building_ids[{i}]", "message": "楼栋不属于该小区"}
            for i, b in enumerate(building_ids)
            if b not in found
        )
    if errors:
        raise InputErrors("；".join(f"{e['field']}: {e['message']}" for e in errors), errors)
    work = Work(
        district=caller.district_id,
        community=data.community_id,
        contractor=data.contractor_id,
        title=data.title.strip(),
        construction_unit=data.construction_unit.strip(),
        accepted_on=data.accepted_on,
        settlement_fen=settlement,
        retention_fen=retention,
        defects_liability_months=data.defects_liability_months,
        created_at=now(),
    )
    async with transaction():
        await work.save()
        components = [
            WorkComponent(
                work=work.id,
                community=data.community_id,
                category=component.category,
                warranty_years=component.warranty_years,
                warranty_months=component.warranty_months,
                warranty_seasons=component.warranty_seasons,
                warranty_until=until,
                period_last_day=last,
            )
            for component, (last, until) in terms
        ]
        await WorkComponent.insert(*components)
        if building_ids:
            await WorkBuilding.insert(
                *(WorkBuilding(work=work.id, building=b) for b in building_ids)
            )
        await record(
            caller,
            "work.create",
            "work",
            work.id,
            after={
                **work.to_dict(),
                "components": [c.to_dict() for c in components],
                "building_ids": building_ids,
            },
        )
    return work.id


async def works_out(
    rows: list[dict[str, Any]], district_id: UUID, on_date: date | None = None
) -> list[schemas.WorkOut]:
    """Works with their components and buildings."""
    on_date = on_date or today()
    calendar = await load_calendar(district_id)
    ids = [r["id"] for r in rows]
    components: dict[UUID, list[dict[str, Any]]] = {i: [] for i in ids}
    buildings: dict[UUID, list[UUID]] = {i: [] for i in ids}
    if ids:
        for c in await WorkComponent.select().where(WorkComponent.work.is_in(ids)):
            components[c["work"]].append(c)
        for b in await WorkBuilding.select().where(WorkBuilding.work.is_in(ids)):
            buildings[b["work"]].append(b["building"])
    return [
        schemas.WorkOut(
            id=r["id"],
            community_id=r["community"],
            title=r["title"],
            construction_unit=r["construction_unit"],
            contractor_id=r["contractor"],
            contractor_name=r["contractor_name"],
            accepted_on=r["accepted_on"],
            settlement_amount=format_yuan(r["settlement_fen"]),
            retention_amount=format_yuan(r["retention_fen"]),
            defects_liability_months=r["defects_liability_months"],
            defects_liability_end=rules.defects_liability_end(
                r["accepted_on"], r["defects_liability_months"], calendar
            ),
            building_ids=sorted(buildings[r["id"]], key=str),
            components=[
                schemas.ComponentOut(
                    id=c["id"],
                    category=c["category"],
                    category_name=rules.CATEGORY_NAMES[c["category"]],
                    warranty_years=c["warranty_years"],
                    warranty_months=c["warranty_months"],
                    warranty_seasons=c["warranty_seasons"],
                    warranty_until=c["warranty_until"],
                    under_warranty=rules.under_warranty(c["warranty_until"], on_date),
                )
                for c in sorted(
                    components[r["id"]], key=lambda c: rules.CATEGORIES.index(c["category"])
                )
            ],
        )
        for r in rows
    ]


# --- Warranty look-ups ---------------------------------------------------------------


async def candidates(community_id: UUID) -> list[rules.Candidate]:
    """Every work component of the community, with the buildings its work covers."""
    rows = await WorkComponent.select(
        WorkComponent.id,
        WorkComponent.work,
        WorkComponent.work.title.as_alias("title"),
        WorkComponent.work.contractor.as_alias("contractor"),
        WorkComponent.work._.contractor._.name.as_alias("contractor_name"),
        WorkComponent.work.accepted_on.as_alias("accepted_on"),
        WorkComponent.category,
        WorkComponent.warranty_until,
    ).where(WorkComponent.community == community_id)
    covered: dict[UUID, set[UUID]] = {}
    work_ids = list({r["work"] for r in rows})
    if work_ids:
        for b in await WorkBuilding.select().where(WorkBuilding.work.is_in(work_ids)):
            covered.setdefault(b["work"], set()).add(b["building"])
    return [
        rules.Candidate(
            component_id=r["id"],
            work_id=r["work"],
            work_title=r["title"],
            contractor_id=r["contractor"],
            contractor_name=r["contractor_name"],
            category=r["category"],
            accepted_on=r["accepted_on"],
            warranty_until=r["warranty_until"],
            building_ids=frozenset(covered.get(r["work"], ())),
        )
        for r in rows
    ]


async def covering_component(
    community_id: UUID,
    category: str,
    on_date: date,
    building_id: UUID | None = None,
    *,
    building_ids: Iterable[UUID] = (),
) -> dict[str, Any] | None:
    """The work component under warranty covering that place on that date, else None.

    For the fund-use proposal (165号令 art. 18: the fund never pays for what the
    construction side owes under warranty): refuse with 422 when this returns a row.
    ``building_ids`` checks several buildings against one read of the register; with
    neither ``building_id`` nor ``building_ids`` any work of the community counts.
    """
    register = await candidates(community_id)
    places: list[UUID | None] = sorted({*building_ids, building_id} - {None}, key=str) or [None]
    hit = next(
        (
            found
            for place in places
            if (found := rules.covering(register, category, place, on_date)) is not None
        ),
        None,
    )
    if hit is None:
        return None
    return {
        "component_id": hit.component_id,
        "work_id": hit.work_id,
        "work_title": hit.work_title,
        "contractor_id": hit.contractor_id,
        "contractor_name": hit.contractor_name,
        "category": hit.category,
        "warranty_until": hit.warranty_until,
    }


async def live_company(community_id: UUID, on: date | None = None) -> rules.Company | None:
    """Who answers for the community's routine repairs on ``on`` (default today): the
    organisation of the live contract that has started; else of a contract in hand-over
    (the old company serves until its successor's contract starts, Civil Code art. 950);
    else of a live contract not yet started. Under owners' self-management (``self``)
    that organisation is the owners' committee."""
    day = on or today()
    rows = await (
        Contract.select(
            Contract.company,
            Contract.company.name.as_alias("name"),
            Contract.status,
            Contract.mode,
            Contract.starts_on,
        )
        .where((Contract.community == community_id) & Contract.status.is_in(["live", "handover"]))
        .order_by(Contract.starts_on, ascending=False)
    )

    def rank(row: dict[str, Any]) -> int:
        if row["status"] == "live" and row["starts_on"] <= day:
            return 0
        return 1 if row["status"] == "handover" else 2

    if not rows:
        return None
    row = min(rows, key=rank)
    kind = "committee" if row["mode"] == "self" else "company"
    return rules.Company(org_id=row["company"], name=row["name"], kind=kind)


def _days_after(day: date, days: int) -> date:
    """``day`` plus ``days``, the last calendar day (9999-12-31) at most."""
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return date.max


async def warranty_ends(
    caller: Caller, community_id: UUID, within_days: int, on_date: date, paging: Paging
) -> tuple[list[schemas.WarrantyEndOut], str | None]:
    """One page of the components whose warranty ends within ``within_days`` of
    ``on_date`` (inclusive), soonest first, and the next cursor."""
    query = WorkComponent.select(
        WorkComponent.id,
        WorkComponent.work,
        WorkComponent.work.title.as_alias("title"),
        WorkComponent.work.contractor.as_alias("contractor"),
        WorkComponent.work._.contractor._.name.as_alias("contractor_name"),
        WorkComponent.category,
        WorkComponent.warranty_until,
    ).where(
        (WorkComponent.community == community_id)
        & (WorkComponent.warranty_until >= on_date)
        & (WorkComponent.warranty_until <= _days_after(on_date, within_days))
    )
    if caller.role == CONTRACTOR:
        query = query.where(WorkComponent.work.contractor == caller.org_id)
    rows, cursor = await fetch_page(
        query, WorkComponent.id, paging, order=WorkComponent.warranty_until
    )
    items = [
        schemas.WarrantyEndOut(
            component_id=r["id"],
            work_id=r["work"],
            work_title=r["title"],
            contractor_id=r["contractor"],
            contractor_name=r["contractor_name"],
            category=r["category"],
            category_name=rules.CATEGORY_NAMES[r["category"]],
            warranty_until=r["warranty_until"],
            days_left=(r["warranty_until"] - on_date).days,
            within_30_days=(r["warranty_until"] - on_date).days <= 30,
        )
        for r in rows
    ]
    return items, cursor


async def charged_to_work(work_id: UUID) -> int:
    """Repair costs charged to the work's contractor for tickets given to others."""
    rows = await WarrantyCharge.select(WarrantyCharge.amount_fen).where(
        WarrantyCharge.work == work_id
    )
    return sum(int(r["amount_fen"]) for r in rows)


async def retention(work: dict[str, Any], on_date: date, district_id: UUID) -> schemas.RetentionOut:
    """Retention money of a work: blocked while a warranty ticket of it is open (also one
    the bureau gave to another repairer); releasable after the defects liability period
    otherwise (质量保证金管理办法); less what was charged to the contractor (art. 9)."""
    open_tickets = await RepairTicket.count().where(
        (RepairTicket.work == work["id"])
        & ((RepairTicket.responsible_kind == "contractor") | RepairTicket.taken_from.is_not_null())
        & RepairTicket.status.is_in(sorted(rules.OPEN_STATUSES | {"done"}))
    )
    end = rules.defects_liability_end(
        work["accepted_on"], work["defects_liability_months"], await load_calendar(district_id)
    )
    state = rules.retention_state(open_tickets, end, on_date)
    balance = rules.retention_balance(int(work["retention_fen"]), await charged_to_work(work["id"]))
    reason = {
        "blocked": f"尚有 {open_tickets} 张保修工单未验收关闭，质量保证金暂不能退还。",
        "held": f"缺陷责任期至 {end.isoformat()}，期满后方可退还。",
        "releasable": f"缺陷责任期已于 {end.isoformat()} 届满且无未关闭的保修工单，可以退还。",
    }[state]
    if balance.charged:
        reason += (
            f"已从中扣除由他人代为维修的费用 {format_yuan(balance.charged)} 元，"
            f"可退还余额 {format_yuan(balance.remaining)} 元"
            + (
                f"，超出保证金的 {format_yuan(balance.uncovered)} 元仍由施工单位承担。"
                if balance.uncovered
                else "。"
            )
        )
    return schemas.RetentionOut(
        work_id=work["id"],
        retention_amount=format_yuan(work["retention_fen"]),
        charged_amount=format_yuan(balance.charged),
        remaining_amount=format_yuan(balance.remaining),
        uncovered_amount=format_yuan(balance.uncovered),
        defects_liability_end=end,
        open_warranty_tickets=open_tickets,
        state=state,
        releasable=state == "releasable",
        reason=reason,
    )
