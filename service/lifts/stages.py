"""The stages of a lift retrofit after consent (design and approval, construction,
acceptance, special-equipment registration, in use), their documents, and the subsidy.

Each step locks the project row, rechecks its status and writes its history and audit
entries in one transaction (``service.locked``, ``service.log_step``).
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from litestar.exceptions import PermissionDeniedException, ValidationException

from service.audit.service import record
from service.auth.roles import BUREAU, Caller
from service.auth.scope import Scope
from service.clock import now, today
from service.db import transaction
from service.errors import Conflict, InputError, InputErrors
from service.lifts import rules
from service.lifts.rules import LiftAction, LiftStatus
from service.lifts.schemas import DocumentIn, DocumentOut, SubsidyIn, TransitionIn
from service.lifts.service import locked, log_step, place_name, step, visible_project
from service.lifts.tables import LiftDocument, LiftPayment, LiftProject
from service.registry.tables import Building
from service.warranty.schemas import ComponentIn, WorkIn
from service.warranty.service import create_work


def _renamed(exc: ValidationException) -> InputErrors:
    """The works register's field names said as this route's."""
    names = {"components[0].warranty_years": "warranty_years", "accepted_on": "on"}
    errors = [
        {"field": names.get(e["field"], e["field"]), "message": e["message"]}
        for e in (exc.extra if isinstance(exc.extra, list) else [])
    ]
    return InputErrors("；".join(f"{e['field']}: {e['message']}" for e in errors), errors)


async def transition(
    caller: Caller, access: Scope, project_id: str, data: TransitionIn
) -> dict[str, Any]:
    """One step of the stages after consent. Leaving design, construction or acceptance
    needs a document of that stage on file; acceptance enters the lift into the works
    register (category ``equipment``, with its warranty) so repairs route as any other;
    registration with the market regulator (number and date) puts the lift in use."""
    action = LiftAction(data.action)
    on = data.on or today()
    if on > today():
        raise InputError("on", "不能晚于今天")
    if action is LiftAction.ACCEPTED:
        if caller.role != BUREAU:
            raise PermissionDeniedException("竣工验收后电梯登入改造工程保修登记，由区住建局办理。")
        if data.contractor_id is None:
            raise InputError("contractor_id", "请填写电梯安装单位（施工单位）")
        if data.settlement_amount is None:
            raise InputError("settlement_amount", "请填写结算金额")
    if action is LiftAction.REGISTERED and data.registration_no is None:
        raise InputError("registration_no", "请填写特种设备使用登记证编号")
    project = await visible_project(access, project_id)
    async with transaction():
        fresh = await locked(project["id"])
        status = step(fresh["status"], action)
        if action is not LiftAction.CANCEL:
            documented = await LiftDocument.select(LiftDocument.stage).where(
                LiftDocument.project == project["id"]
            )
            if not rules.may_leave(fresh["status"], (d["stage"] for d in documented)):
                stage = rules.STAGE_NAMES[LiftStatus(fresh["status"])]
                raise Conflict(f"“{stage}”阶段尚无文件，请先登记该阶段的批准、许可或验收文件。")
        elif await LiftPayment.exists().where(LiftPayment.project == project["id"]):
            raise Conflict("已有业主缴款记录，不能撤销项目。")
        changes: dict[Any, Any] = {LiftProject.status: status.value, LiftProject.updated_at: now()}
        if action is LiftAction.ACCEPTED:
            work_id = await _register_lift(caller, fresh, data, on)
            changes |= {LiftProject.work: work_id, LiftProject.accepted_on: on}
        if action is LiftAction.REGISTERED:
            if fresh["accepted_on"] is not None and on < fresh["accepted_on"]:
                raise InputError("on", f"使用登记日期不能早于竣工验收日期 {fresh['accepted_on']}")
            changes |= {
                LiftProject.registration_no: data.registration_no,
                LiftProject.registered_on: on,
            }
        await LiftProject.update(changes).where(LiftProject.id == project["id"])
        await log_step(
            caller,
            project["id"],
            action.value,
            fresh["status"],
            status.value,
            on,
            note=data.note,
            audit={k._meta.name: v for k, v in changes.items() if k is not LiftProject.updated_at},
        )
    return project


async def _register_lift(
    caller: Caller, project: dict[str, Any], data: TransitionIn, on: date
) -> UUID:
    """The accepted lift as a work of the works register covering its building."""
    building = (
        await Building.select(Building.name).where(Building.id == project["building"]).first()
    )
    assert building is not None
    assert data.contractor_id is not None and data.settlement_amount is not None
    try:
        return await create_work(
            caller,
            WorkIn(
                community_id=project["community"],
                title=f"既有住宅加装电梯（{place_name(building['name'], project['unit_no'])}）",
                contractor_id=data.contractor_id,
                accepted_on=on,
                settlement_amount=data.settlement_amount,
                components=[ComponentIn(category="equipment", warranty_years=data.warranty_years)],
                building_ids=[project["building"]],
            ),
        )
    except ValidationException as exc:
        raise _renamed(exc) from None


async def add_document(
    caller: Caller, access: Scope, project_id: str, data: DocumentIn
) -> DocumentOut:
    """A document of the project's current stage (approval, permit, report, certificate)."""
    if data.issued_on is not None and data.issued_on > today():
        raise InputError("issued_on", "不能晚于今天")
    project = await visible_project(access, project_id)
    async with transaction():
        fresh = await locked(project["id"])
        if fresh["status"] not in rules.ACTIVE:
            raise Conflict("项目已结束，不能再登记文件。")
        document = LiftDocument(
            project=project["id"],
            stage=fresh["status"],
            kind=data.kind,
            title=data.title.strip(),
            number=data.number,
            issued_on=data.issued_on,
            recorded_by=caller.id,
            recorded_at=now(),
        )
        await document.save()
        await record(
            caller, "lift.document", "lift_project", project["id"], after=document.to_dict()
        )
    return document_out(document.to_dict())


def document_out(row: dict[str, Any]) -> DocumentOut:
    return DocumentOut(
        id=row["id"],
        stage=row["stage"],
        kind=row["kind"],
        title=row["title"],
        number=row["number"],
        issued_on=row["issued_on"],
        recorded_at=row["recorded_at"],
    )


async def subsidy_step(
    caller: Caller, access: Scope, project_id: str, data: SubsidyIn
) -> dict[str, Any]:
    """The project claims the subsidy per lift once the lift is registered and in use;
    the bureau records it paid (with the payment's reference)."""
    if data.action == "paid" and caller.role != BUREAU:
        raise PermissionDeniedException("补贴拨付由区住建局登记。")
    on = data.on or today()
    if on > today():
        raise InputError("on", "不能晚于今天")
    project = await visible_project(access, project_id)
    async with transaction():
        fresh = await locked(project["id"])
        if int(fresh["subsidy_fen"]) == 0:
            raise Conflict("本项目没有政府补贴。")
        if data.action == "claim" and fresh["status"] not in rules.SUBSIDY_CLAIMABLE:
            raise Conflict("电梯办理特种设备使用登记、投入使用后方可申请补贴。")
        try:
            status = rules.next_subsidy_status(fresh["subsidy_status"], data.action)
        except rules.IllegalStep:
            raise Conflict(
                f"补贴当前状态为{rules.SUBSIDY_STATUS_NAMES.get(fresh['subsidy_status'], '')}"
                f"（{fresh['subsidy_status']}），不能执行该操作。"
            ) from None
        changes: dict[Any, Any] = {LiftProject.subsidy_status: status.value}
        if data.action == "claim":
            changes[LiftProject.subsidy_claimed_on] = on
        else:
            if on < fresh["subsidy_claimed_on"]:
                raise InputError("on", f"拨付日期不能早于申请日期 {fresh['subsidy_claimed_on']}")
            changes |= {
                LiftProject.subsidy_paid_on: on,
                LiftProject.subsidy_reference: data.reference,
            }
        await LiftProject.update(changes | {LiftProject.updated_at: now()}).where(
            LiftProject.id == project["id"]
        )
        await record(
            caller,
            f"lift.subsidy_{data.action}",
            "lift_project",
            project["id"],
            before={"subsidy_status": fresh["subsidy_status"]},
            after={"subsidy_status": status.value, "on": on, "reference": data.reference},
        )
    return project
