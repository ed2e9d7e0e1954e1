"""A contractor that does not come: the bureau (for the client) gives its overdue
warranty ticket to the company or another repairer and charges the cost to the
contractor — against the work's retention money and in its credit record
(房屋建筑工程质量保修办法 arts. 9, 12; 建设工程质量保证金管理办法 art. 9)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from litestar.exceptions import NotFoundException
from piccolo.columns import Column

from service.audit.service import record
from service.auth.roles import CONTRACTOR, Caller
from service.auth.scope import Scope, as_uuid
from service.clock import now
from service.db import transaction
from service.errors import Conflict, InputError
from service.registry.tables import Organization
from service.units import format_yuan, parse_fen
from service.warranty import rules, schemas
from service.warranty.policy import load_policy
from service.warranty.tables import RepairTicket, WarrantyCharge
from service.warranty.tickets import locked_ticket, record_event

REPAIRER_KINDS = ("company", "contractor")


async def _repairer(caller: Caller, repairer_id: UUID) -> dict[str, Any]:
    row: dict[str, Any] | None = (
        await Organization.select(Organization.id, Organization.name, Organization.kind)
        .where(
            (Organization.id == repairer_id)
            & (Organization.district == caller.district_id)
            & Organization.kind.is_in(list(REPAIRER_KINDS))
        )
        .first()
    )
    if row is None:
        raise InputError("repairer_id", "维修单位不存在（须为物业服务企业或施工单位）")
    return row


async def take_over(
    caller: Caller,
    access: Scope,
    ticket_id: UUID | str,
    data: schemas.TakeOverIn,
    at: datetime | None = None,
) -> UUID:
    """Give an overdue warranty ticket to ``repairer_id`` and charge ``charge_amount`` to
    the contractor. Before the due time, or once the ticket left the contractor → 409.
    The ticket is locked and rechecked, so of two competing steps exactly one wins."""
    moment = at or now()
    amount = parse_fen(data.charge_amount, "charge_amount")
    repairer = await _repairer(caller, data.repairer_id)
    async with transaction():
        ticket = await locked_ticket(caller, access, ticket_id)
        try:
            rules.may_take_over(
                ticket["responsible_kind"], ticket["status"], ticket["due_at"], moment
            )
        except rules.NotTakeable as exc:
            raise Conflict(str(exc)) from None
        contractor = ticket["responsible_org"]
        if repairer["id"] == contractor:
            raise InputError("repairer_id", "须交由原施工单位以外的维修单位")
        policy = await load_policy(caller.district_id)
        reason = (
            f"施工单位{ticket['responsible_org_name']}未在时限内维修，区住建局收回工单，"
            f"交由{repairer['name']}维修，费用 {format_yuan(amount)} 元由施工单位承担"
            "（房屋建筑工程质量保修办法第十二条）。"
        )
        changes: dict[Column | str, Any] = {
            "responsible_kind": "company" if repairer["kind"] == "company" else "repairer",
            "responsible_org": repairer["id"],
            "taken_from": contractor,
            "taken_at": moment,
            "status": "assigned",
            "reason": reason,
            "due_at": rules.due_at(moment, ticket["urgency"], policy.due_hours),
            "updated_at": moment,
        }
        await RepairTicket.update(changes).where(RepairTicket.id == ticket["id"])
        charge = WarrantyCharge(
            district=caller.district_id,
            ticket=ticket["id"],
            work=ticket["work"],
            contractor=contractor,
            repairer=repairer["id"],
            amount_fen=amount,
            note=data.note.strip(),
            created_by=caller.id,
            created_at=moment,
        )
        await charge.save()
        note = f"{reason}{data.note.strip()}"
        await record_event(
            caller, ticket["id"], "take_over", ticket["status"], "assigned", note, moment
        )
        await record(
            caller,
            "repair.take_over",
            "repair_ticket",
            ticket["id"],
            before={
                "status": ticket["status"],
                "responsible_kind": ticket["responsible_kind"],
                "responsible_org": contractor,
            },
            after={**{str(k): v for k, v in changes.items()}, "charge": charge.to_dict()},
        )
    result: UUID = ticket["id"]
    return result


async def credit(
    caller: Caller, org_id: UUID | str, at: datetime | None = None
) -> schemas.CreditOut:
    """A contractor's warranty record: its warranty tickets, those open past their due
    time, those taken from it, and every charge. The bureau and auditors read any
    contractor's; a contractor only its own (another's answers 404)."""
    moment = at or now()
    contractor_id = as_uuid(org_id)
    org = (
        await Organization.select(Organization.id, Organization.name)
        .where(
            (Organization.id == contractor_id)
            & (Organization.district == caller.district_id)
            & (Organization.kind == "contractor")
        )
        .first()
    )
    if org is None or (caller.role == CONTRACTOR and caller.org_id != contractor_id):
        raise NotFoundException("施工单位不存在，或不在您的权限范围内。")
    mine = (RepairTicket.district == caller.district_id) & (
        (
            (RepairTicket.responsible_kind == "contractor")
            & (RepairTicket.responsible_org == org["id"])
        )
        | (RepairTicket.taken_from == org["id"])
    )
    tickets = await RepairTicket.count().where(mine)
    overdue = await RepairTicket.count().where(
        mine
        & (RepairTicket.responsible_org == org["id"])
        & RepairTicket.status.is_in(sorted(rules.OPEN_STATUSES))
        & (RepairTicket.due_at < moment)
    )
    taken = await RepairTicket.count().where(mine & (RepairTicket.taken_from == org["id"]))
    rows = (
        await WarrantyCharge.select(
            *WarrantyCharge.all_columns(),
            WarrantyCharge.work._.title.as_alias("work_title"),
            WarrantyCharge.repairer._.name.as_alias("repairer_name"),
        )
        .where(WarrantyCharge.contractor == org["id"])
        .order_by(WarrantyCharge.created_at)
    )
    return schemas.CreditOut(
        contractor_id=org["id"],
        contractor_name=org["name"],
        warranty_tickets=tickets,
        open_overdue=overdue,
        taken_over=taken,
        charged_amount=format_yuan(sum(int(r["amount_fen"]) for r in rows)),
        charges=[
            schemas.ChargeOut(
                id=r["id"],
                ticket_id=r["ticket"],
                work_id=r["work"],
                work_title=r["work_title"],
                contractor_id=r["contractor"],
                repairer_id=r["repairer"],
                repairer_name=r["repairer_name"],
                amount=format_yuan(r["amount_fen"]),
                note=r["note"],
                created_at=r["created_at"],
            )
            for r in rows
        ],
    )
