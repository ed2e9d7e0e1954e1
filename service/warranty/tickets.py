"""Repair tickets: reporting and routing, the life of a ticket, lists and figures."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from litestar.exceptions import NotFoundException, PermissionDeniedException
from piccolo.columns import Column
from piccolo.custom_types import Combinable

from service.audit.service import record
from service.auth.roles import BUREAU, COMMITTEE, COMPANY, CONTRACTOR, OWNER, Caller
from service.auth.scope import Scope, as_uuid
from service.clock import DISTRICT_ZONE, now
from service.db import is_postgres, transaction
from service.errors import Conflict, InputError
from service.fund_uses.proposals import open_draft
from service.registry.tables import Building, Household, Organization
from service.warranty import rules, schemas
from service.warranty.photos import ticket_photos
from service.warranty.policy import load_policy
from service.warranty.service import candidates, live_company
from service.warranty.tables import RepairEvent, RepairTicket

ACTION_STAMPS = {
    "accept": "accepted_at",
    "start": "started_at",
    "finish": "done_at",
    "verify": "verified_at",
}
# What a reopened ticket forgets: it is back at "assigned", not done.
REOPEN_CLEARS = ("accepted_at", "started_at", "done_at", "verified_at")


TICKET_COLUMNS = (
    *RepairTicket.all_columns(),
    RepairTicket.responsible_org._.name.as_alias("responsible_org_name"),
    RepairTicket.household._.owner.as_alias("household_owner"),
)


def ticket_visibility(caller: Caller, access: Scope) -> Combinable:
    """Tickets a caller may see: a contractor those of its works and those given to it;
    an owner those it reported or that concern its households; a company those of its
    communities and those given to it; others those of visible communities."""
    in_district: Combinable = RepairTicket.district == caller.district_id
    if caller.role == CONTRACTOR:
        return in_district & (
            (RepairTicket.work.contractor == caller.org_id)
            | (RepairTicket.responsible_org == caller.org_id)
        )
    if caller.role == OWNER:
        return in_district & (
            (RepairTicket.reporter_id == caller.id)
            | (RepairTicket.household.owner == caller.owner_id)
        )
    visible = access.communities(RepairTicket.community, RepairTicket.district)
    if caller.role == COMPANY:
        # A company the bureau gave a ticket to sees it, contract or not.
        return visible | (in_district & (RepairTicket.responsible_org == caller.org_id))
    return visible


async def visible_ticket(caller: Caller, access: Scope, ticket_id: UUID | str) -> dict[str, Any]:
    row: dict[str, Any] | None = (
        await RepairTicket.select(*TICKET_COLUMNS)
        .where((RepairTicket.id == as_uuid(ticket_id)) & ticket_visibility(caller, access))
        .first()
    )
    if row is None:
        raise NotFoundException("报修工单不存在，或不在您的权限范围内。")
    return row


async def locked_ticket(caller: Caller, access: Scope, ticket_id: UUID | str) -> dict[str, Any]:
    """The visible ticket, locked until the transaction ends and read again after the
    lock (PostgreSQL; SQLite's IMMEDIATE transaction already holds the write lock)."""
    ticket = await visible_ticket(caller, access, ticket_id)
    if is_postgres():
        await (
            RepairTicket.select(RepairTicket.id).where(RepairTicket.id == ticket["id"]).lock_rows()
        )
        ticket = await visible_ticket(caller, access, ticket["id"])
    return ticket


def is_overdue(row: dict[str, Any], at: datetime) -> bool:
    return row["status"] in rules.OPEN_STATUSES and row["due_at"] < at


def _local(moment: datetime | None) -> datetime | None:
    return moment.astimezone(DISTRICT_ZONE) if moment is not None else None


def ticket_out(
    row: dict[str, Any], at: datetime, events: list[dict[str, Any]] | None = None
) -> schemas.RepairOut:
    return schemas.RepairOut(
        id=row["id"],
        community_id=row["community"],
        building_id=row["building"],
        household_id=row["household"],
        category=row["category"],
        description=row["description"],
        photos=ticket_photos(row),
        urgency=row["urgency"],
        major=bool(row["major"]),
        status=row["status"],
        responsible_kind=row["responsible_kind"],
        responsible_org_id=row["responsible_org"],
        responsible_org_name=row.get("responsible_org_name"),
        work_id=row["work"],
        warranty_until=row["warranty_until"],
        reason=row["reason"],
        due_at=row["due_at"].astimezone(DISTRICT_ZONE),
        overdue=is_overdue(row, at),
        reported_at=row["reported_at"].astimezone(DISTRICT_ZONE),
        reporter_id=row["reporter_id"],
        done_at=_local(row["done_at"]),
        reopen_count=row["reopen_count"],
        fund_use_id=row["fund_use_id"],
        dispute_decision=row["dispute_decision"],
        part=row["part"],
        utility=row["utility"],
        taken_from_id=row["taken_from"],
        events=None
        if events is None
        else [
            schemas.EventOut(
                action=e["action"],
                from_status=e["from_status"],
                to_status=e["to_status"],
                actor_id=e["actor_id"],
                actor_name=e["actor_name"],
                actor_role=e["actor_role"],
                note=e["note"],
                at=e["at"].astimezone(DISTRICT_ZONE),
            )
            for e in events
        ],
    )


async def ticket_events(ticket_id: UUID) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = (
        await RepairEvent.select().where(RepairEvent.ticket == ticket_id).order_by(RepairEvent.at)
    )
    return rows


async def _place(access: Scope, data: schemas.RepairIn) -> tuple[UUID | None, UUID | None]:
    """(building, household) of the report, checked against the community and scope."""
    building_id = data.building_id
    if data.household_id is not None:
        household = await access.household(
            data.household_id, Household.id, Household.community, Household.building
        )
        if household["community"] != data.community_id:
            raise InputError("household_id", "房屋不属于该小区")
        if building_id is not None and building_id != household["building"]:
            raise InputError("building_id", "楼栋与房屋不一致")
        building_id = household["building"]
    elif building_id is not None:
        building = (
            await Building.select(Building.community).where(Building.id == building_id).first()
        )
        if building is None or building["community"] != data.community_id:
            raise InputError("building_id", "楼栋不属于该小区")
    return building_id, data.household_id


def _part(data: schemas.RepairIn) -> str:
    """Where the fault is: said by the reporter when a household is named (a fault
    reported from a flat may be either); a report with no household is a common part."""
    if data.part is not None and data.part not in rules.PARTS:
        raise InputError("part", "应为 private（业主专有部分）| common（共有部分）")
    if data.household_id is None:
        if data.part == rules.PRIVATE:
            raise InputError("part", "专有部分的报修须指明房屋（household_id）")
        return rules.COMMON
    if data.part is None:
        raise InputError(
            "part", "从房屋报修须说明故障部位：private（业主专有部分）或 common（共有部分）"
        )
    return data.part


async def _operator(caller: Caller, data: schemas.RepairIn) -> rules.Operator | None:
    """The operator whose line it is, when the report names one."""
    if data.utility is not None and data.utility not in rules.UTILITIES:
        raise InputError("utility", "应为 " + " | ".join(rules.UTILITIES))
    if data.operator_id is None:
        return None
    if data.utility is None:
        raise InputError("operator_id", "只有专业经营单位的管线设施（utility）才指定经营单位")
    row = (
        await Organization.select(Organization.id, Organization.name)
        .where(
            (Organization.id == data.operator_id)
            & (Organization.district == caller.district_id)
            & (Organization.kind == "operator")
        )
        .first()
    )
    if row is None:
        raise InputError("operator_id", "专业经营单位不存在（须为 operator 类组织）")
    return rules.Operator(org_id=row["id"], name=row["name"])


async def report(
    caller: Caller, access: Scope, data: schemas.RepairIn, at: datetime | None = None
) -> UUID:
    """Open a ticket and route it by where the fault is (DOMAIN "Repairs",
    ``rules.route_ticket``); a major repair of a common part opens a draft fund use
    linked to the ticket, in the same transaction."""
    if data.category not in rules.CATEGORIES:
        raise InputError("category", "应为 " + " | ".join(rules.CATEGORIES))
    if data.urgency not in rules.URGENCIES:
        raise InputError("urgency", "应为 emergency | normal")
    await access.community(data.community_id)
    building_id, household_id = await _place(access, data)
    part = _part(data)
    operator = await _operator(caller, data)
    reported_at = at or now()
    policy = await load_policy(caller.district_id)
    routing = rules.route_ticket(
        data.category,
        reported_at.astimezone(DISTRICT_ZONE).date(),
        await candidates(data.community_id),
        await live_company(data.community_id, reported_at.astimezone(DISTRICT_ZONE).date()),
        major=data.major,
        part=part,
        building_id=building_id,
        utility=data.utility,
        operator=operator,
    )
    ticket = RepairTicket(
        district=caller.district_id,
        community=data.community_id,
        building=building_id,
        household=household_id,
        category=data.category,
        description=data.description.strip(),
        photos=list(data.photos),
        urgency=data.urgency,
        major=data.major,
        part=part,
        utility=data.utility,
        status="assigned",
        responsible_kind=routing.kind,
        responsible_org=routing.org_id,
        work=routing.work_id,
        component=routing.component_id,
        warranty_until=routing.warranty_until,
        reason=routing.reason,
        reporter_id=caller.id,
        reporter_role=caller.role,
        reported_at=reported_at,
        due_at=rules.due_at(reported_at, data.urgency, policy.due_hours),
        updated_at=reported_at,
    )
    async with transaction():
        if routing.kind == "fund":
            ticket.fund_use_id = await _open_draft(caller, ticket.to_dict())
        await ticket.save()
        await record_event(
            caller, ticket.id, "report", None, "assigned", routing.reason, reported_at
        )
        await record(caller, "repair.report", "repair_ticket", ticket.id, after=ticket.to_dict())
    return ticket.id


async def _open_draft(caller: Caller, ticket: dict[str, Any]) -> UUID:
    """The draft fund use of a fund-path ticket (inside the ticket's transaction)."""
    return await open_draft(
        caller,
        community_id=ticket["community"],
        ticket_id=ticket["id"],
        category=ticket["category"],
        building_id=ticket["building"],
        description=ticket["description"],
    )


async def record_event(
    caller: Caller,
    ticket_id: UUID,
    action: str,
    from_status: str | None,
    to_status: str,
    note: str | None,
    at: datetime,
) -> None:
    await RepairEvent.insert(
        RepairEvent(
            ticket=ticket_id,
            action=action,
            from_status=from_status,
            to_status=to_status,
            actor_id=caller.id,
            actor_name=caller.username,
            actor_role=caller.role,
            note=note,
            at=at,
        )
    )


def parties(caller: Caller, ticket: dict[str, Any]) -> set[str]:
    """Which parties of this ticket the caller is (rules.RESPONSIBLE, ...)."""
    found: set[str] = set()
    if caller.role == BUREAU:
        found.add(rules.BUREAU)
        # The bureau records the steps of a ticket nobody else can: no organisation,
        # or an operator (operators have no users here).
        if ticket["responsible_org"] is None or ticket["responsible_kind"] == "operator":
            found.add(rules.RESPONSIBLE)
    if (
        caller.role == OWNER
        and ticket["responsible_kind"] == "owner"
        and caller.owner_id is not None
        and caller.owner_id == ticket.get("household_owner")
    ):
        found.add(rules.RESPONSIBLE)
    if (
        caller.role in (CONTRACTOR, COMPANY, COMMITTEE)
        and caller.org_id == ticket["responsible_org"]
    ):
        found.add(rules.RESPONSIBLE)
        if ticket["responsible_kind"] == "contractor":
            found.add(rules.WARRANTOR)
    if caller.id == ticket["reporter_id"]:
        found.add(rules.REPORTER)
    if caller.role == COMMITTEE:
        found.add(rules.COMMITTEE)
    return found


async def transition(
    caller: Caller,
    access: Scope,
    ticket_id: UUID | str,
    data: schemas.TransitionIn,
    at: datetime | None = None,
) -> UUID:
    """Take one step of a ticket's life (rules.TRANSITIONS), logged with who and when."""
    moment = at or now()
    if data.action not in rules.ACTIONS:
        raise InputError("action", "应为 " + " | ".join(sorted(rules.ACTIONS)))
    if data.action == "decide_dispute":
        if data.decision not in ("upheld", "rejected"):
            raise InputError(
                "decision", "裁决应为 upheld（不属保修，改派）或 rejected（仍由施工单位保修）"
            )
    elif data.decision is not None:
        raise InputError("decision", "只有 decide_dispute 需要 decision")
    if data.action == "dispute" and not (data.note or "").strip():
        raise InputError("note", "提出异议须说明理由")
    async with transaction():
        ticket = await locked_ticket(caller, access, ticket_id)
        if (
            ticket["taken_from"] is not None
            and caller.org_id == ticket["taken_from"]
            and caller.org_id != ticket["responsible_org"]
        ):
            raise Conflict("区住建局已将此工单收回并交由其他单位维修。")
        try:
            target = rules.next_status(ticket["status"], data.action, parties(caller, ticket))
        except rules.IllegalTransition:
            raise Conflict(
                f"工单当前状态为{rules.status_named(ticket['status'])}，不能执行 {data.action}。"
            ) from None
        except rules.NotYourStep:
            raise PermissionDeniedException(
                "您不是此工单该步骤的责任方，不能执行此操作。"
            ) from None
        changes: dict[Column | str, Any] = {"status": target, "updated_at": moment}
        if data.action in ACTION_STAMPS:
            changes[ACTION_STAMPS[data.action]] = moment
        if data.action == "reopen":
            # A reopened ticket is not done (DOMAIN "Quality rating"): its completion goes,
            # and so do the steps it must take again; only the next finish counts, against
            # the ticket's original due time.
            changes["reopen_count"] = ticket["reopen_count"] + 1
            changes.update({stamp: None for stamp in REOPEN_CLEARS})
        if data.action == "dispute":
            changes["dispute_note"] = data.note
        if data.action == "decide_dispute":
            changes["dispute_decision"] = data.decision
            if data.decision == "upheld":
                changes.update(await _reroute(caller, ticket, moment))
        await RepairTicket.update(changes).where(RepairTicket.id == ticket["id"])
        note = data.note
        if data.action == "decide_dispute":
            note = f"{data.decision}：{changes.get('reason', '仍由施工单位保修')}" + (
                f"（{data.note}）" if data.note else ""
            )
        await record_event(
            caller, ticket["id"], data.action, ticket["status"], target, note, moment
        )
        await record(
            caller,
            f"repair.{data.action}",
            "repair_ticket",
            ticket["id"],
            before={"status": ticket["status"], "responsible_org": ticket["responsible_org"]},
            after={"note": note, **{str(k): v for k, v in changes.items()}},
        )
    result: UUID = ticket["id"]
    return result


async def _reroute(
    caller: Caller, ticket: dict[str, Any], moment: datetime
) -> dict[Column | str, Any]:
    """The bureau agreed it is not a warranty defect: route again without the warranty
    step (owner, fund — opening its draft — company or bureau), fresh due time."""
    policy = await load_policy(ticket["district"])
    routing = rules.route_ticket(
        ticket["category"],
        moment.astimezone(DISTRICT_ZONE).date(),
        [],
        await live_company(ticket["community"], moment.astimezone(DISTRICT_ZONE).date()),
        major=bool(ticket["major"]),
        part=ticket["part"],
        building_id=ticket["building"],
        exclude_warranty=True,
    )
    changes: dict[Column | str, Any] = {
        "responsible_kind": routing.kind,
        "responsible_org": routing.org_id,
        "warranty_until": None,
        "reason": routing.reason,
        "due_at": rules.due_at(moment, ticket["urgency"], policy.due_hours),
    }
    if routing.kind == "fund" and ticket["fund_use_id"] is None:
        changes["fund_use_id"] = await _open_draft(caller, ticket)
    return changes


async def link_fund_use(ticket_id: UUID, fund_use_id: UUID) -> None:
    """Link a fund-path ticket to the fund-use proposal made for it (issue 4 calls this
    inside its own transaction)."""
    updated = (
        await RepairTicket.update({RepairTicket.fund_use_id: fund_use_id})
        .where((RepairTicket.id == ticket_id) & (RepairTicket.responsible_kind == "fund"))
        .returning(RepairTicket.id)
    )
    if not updated:
        raise Conflict("该工单不是维修资金路径的工单。")


def list_query(
    caller: Caller,
    access: Scope,
    at: datetime,
    status: str | None = None,
    overdue: bool | None = None,
    community_id: UUID | None = None,
    responsible_kind: str | None = None,
) -> Any:
    query = RepairTicket.select(*TICKET_COLUMNS).where(ticket_visibility(caller, access))
    if status is not None:
        if status not in rules.STATUSES:
            raise InputError("status", "应为 " + " | ".join(rules.STATUSES))
        query = query.where(RepairTicket.status == status)
    if overdue is True:
        query = query.where(
            RepairTicket.status.is_in(sorted(rules.OPEN_STATUSES)) & (RepairTicket.due_at < at)
        )
    elif overdue is False:
        query = query.where(
            RepairTicket.status.not_in(sorted(rules.OPEN_STATUSES)) | (RepairTicket.due_at >= at)
        )
    if community_id is not None:
        query = query.where(RepairTicket.community == community_id)
    if responsible_kind is not None:
        query = query.where(RepairTicket.responsible_kind == responsible_kind)
    return query
