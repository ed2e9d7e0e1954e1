"""Complaint use cases: owners or the committee file, the company answers, the
complainant confirms or disputes. Each step locks the complaint, rechecks its state
and writes its audit entry in one transaction; of two competing steps one wins and
the other answers 409."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from litestar.exceptions import NotFoundException, PermissionDeniedException
from piccolo.custom_types import Combinable

from service.audit.service import record
from service.auth.roles import COMMITTEE, COMPANY, OWNER, Caller
from service.auth.scope import Scope, as_uuid, contract_party_condition
from service.clock import DISTRICT_ZONE, now
from service.complaints import rules, schemas
from service.complaints.tables import Complaint
from service.db import is_postgres, read_json, transaction
from service.errors import Conflict, InputError
from service.registry.tables import Household
from service.warranty.service import live_company

NOT_FOUND = "投诉不存在，或不在您的权限范围内。"


def visibility(caller: Caller) -> Combinable:
    """Complaints a caller sees: an owner those it filed; the committee its community's;
    a company those against it; the bureau and auditors the district's."""
    if caller.role == OWNER:
        return (Complaint.district == caller.district_id) & (Complaint.complainant_id == caller.id)
    return contract_party_condition(caller, Complaint)


async def visible(caller: Caller, complaint_id: UUID | str) -> dict[str, Any]:
    row: dict[str, Any] | None = (
        await Complaint.select()
        .where((Complaint.id == as_uuid(complaint_id)) & visibility(caller))
        .first()
    )
    if row is None:
        raise NotFoundException(NOT_FOUND)
    return row


async def locked(caller: Caller, complaint_id: UUID | str) -> dict[str, Any]:
    """The visible complaint, locked until the transaction ends and read again under
    the lock (PostgreSQL FOR UPDATE; SQLite's IMMEDIATE transaction holds the lock)."""
    row = await visible(caller, complaint_id)
    if is_postgres():
        await Complaint.select(Complaint.id).where(Complaint.id == row["id"]).lock_rows()
        row = await visible(caller, row["id"])
    return row


async def _place(
    caller: Caller, access: Scope, community_id: UUID, data: schemas.ComplaintIn
) -> tuple[UUID | None, UUID | None]:
    """(building, household) of the complaint, checked against its place and scope: an
    owner complains of its own household's part, the committee of any in its community."""
    if data.place == rules.HOUSEHOLD:
        if data.household_id is None:
            raise InputError("household_id", "投诉房屋（专有部分）的问题须指明房屋")
        try:
            household = await access.household(
                data.household_id, Household.id, Household.community, Household.building
            )
        except NotFoundException:
            raise InputError("household_id", "房屋不存在，或不是您的房屋") from None
        if household["community"] != community_id:
            raise InputError("household_id", "房屋不属于该小区")
        if data.building_id is not None and data.building_id != household["building"]:
            raise InputError("building_id", "楼栋与房屋不一致")
        return household["building"], household["id"]
    if data.household_id is not None:
        raise InputError("household_id", "只有投诉房屋（place=household）时才指明房屋")
    if data.place == rules.BUILDING:
        if data.building_id is None:
            raise InputError("building_id", "投诉楼栋共有部分的问题须指明楼栋")
        try:
            building = await access.building(data.building_id)
        except NotFoundException:
            raise InputError("building_id", "楼栋不存在，或不在您的权限范围内") from None
        if building["community"] != community_id:
            raise InputError("building_id", "楼栋不属于该小区")
        return building["id"], None
    if data.building_id is not None:
        raise InputError("building_id", "投诉小区共有部分时不指明楼栋")
    return None, None


async def file(
    caller: Caller, access: Scope, community_id: UUID | str, data: schemas.ComplaintIn
) -> UUID:
    """An owner of the community or its committee files a complaint against the company
    holding the community's live contract (409 when none does)."""
    if data.category not in rules.CATEGORIES:
        raise InputError("category", "应为 " + " | ".join(rules.CATEGORIES))
    if data.place not in rules.PLACES:
        raise InputError(
            "place", "应为 household（房屋）| building（楼栋共有部分）| community（小区共有部分）"
        )
    community = await access.community(community_id)
    building_id, household_id = await _place(caller, access, community["id"], data)
    company = await live_company(community["id"])
    if company is None:
        raise Conflict("该小区目前没有物业服务企业，投诉请向街道办事处或区住建局反映。")
    filed_at = now()
    complaint = Complaint(
        district=caller.district_id,
        community=community["id"],
        company=company.org_id,
        category=data.category,
        place=data.place,
        building=building_id,
        household=household_id,
        description=data.description.strip(),
        photos=list(data.photos),
        status=rules.FILED,
        complainant_id=caller.id,
        complainant_role=caller.role,
        complainant_org=caller.org_id if caller.role == COMMITTEE else None,
        filed_at=filed_at,
        answer_due_at=rules.answer_due(filed_at, rules.answer_window_days()),
        updated_at=filed_at,
    )
    async with transaction():
        await complaint.save()
        await record(caller, "complaint.file", "complaint", complaint.id, after=complaint.to_dict())
    result: UUID = complaint.id
    return result


def _parties(caller: Caller, row: dict[str, Any]) -> set[str]:
    found = set()
    if caller.role == COMPANY and caller.org_id == row["company"]:
        found.add(rules.COMPANY)
    if caller.id == row["complainant_id"] or (
        caller.role == COMMITTEE
        and row["complainant_org"] is not None
        and caller.org_id == row["complainant_org"]
    ):
        found.add(rules.COMPLAINANT)
    return found


async def _step(
    caller: Caller, complaint_id: UUID | str, action: str, changes: dict[Any, Any]
) -> UUID:
    moment = now()
    async with transaction():
        row = await locked(caller, complaint_id)
        if rules.party_of(action) not in _parties(caller, row):
            raise PermissionDeniedException(
                "只有被投诉的物业服务企业可以答复。"
                if action == "answer"
                else "只有投诉人（或代为投诉的业委会）可以确认或提出异议。"
            )
        try:
            target = rules.next_status(row["status"], action)
        except rules.IllegalStep:
            raise Conflict(
                f"投诉当前状态为{rules.status_named(row['status'])}，"
                f"不能{'答复' if action == 'answer' else '确认'}。"
            ) from None
        values: dict[Any, Any] = {Complaint.status: target, Complaint.updated_at: moment}
        if action == "answer":
            values.update(
                {
                    Complaint.answer: changes["answer"],
                    Complaint.answered_by: caller.id,
                    Complaint.answered_at: moment,
                    Complaint.answers: row["answers"] + 1,
                }
            )
            if row["first_answered_at"] is None:
                values[Complaint.first_answered_at] = moment
        else:
            values.update(
                {
                    Complaint.confirmation_note: changes["note"],
                    Complaint.confirmed_by: caller.id,
                    Complaint.confirmed_at: moment,
                }
            )
        await Complaint.update(values).where(Complaint.id == row["id"])
        await record(
            caller,
            f"complaint.{action}",
            "complaint",
            row["id"],
            before={"status": row["status"]},
            after={"status": target, **{k._meta.name: v for k, v in values.items()}},
        )
    result: UUID = row["id"]
    return result


async def answer(caller: Caller, complaint_id: UUID | str, data: schemas.AnswerIn) -> UUID:
    """The company answers a new or disputed complaint."""
    return await _step(caller, complaint_id, "answer", {"answer": data.answer.strip()})


async def confirm(caller: Caller, complaint_id: UUID | str, data: schemas.ConfirmIn) -> UUID:
    """The complainant confirms the answer resolved the complaint, or disputes it."""
    action = "resolve" if data.resolved else "dispute"
    if not data.resolved and not data.note.strip():
        raise InputError("note", "对答复有异议时须说明理由")
    return await _step(caller, complaint_id, action, {"note": data.note.strip()})


def complaint_out(row: dict[str, Any], at: datetime) -> schemas.ComplaintOut:
    def local(moment: datetime | None) -> datetime | None:
        return moment.astimezone(DISTRICT_ZONE) if moment is not None else None

    return schemas.ComplaintOut(
        id=row["id"],
        community_id=row["community"],
        company_id=row["company"],
        category=row["category"],
        category_name=rules.CATEGORY_NAMES.get(row["category"], row["category"]),
        place=row["place"],
        building_id=row["building"],
        household_id=row["household"],
        description=row["description"],
        photos=[str(p) for p in read_json(row["photos"]) or []],
        status=row["status"],
        complainant_role=row["complainant_role"],
        filed_at=row["filed_at"].astimezone(DISTRICT_ZONE),
        answer_due_at=row["answer_due_at"].astimezone(DISTRICT_ZONE),
        overdue=rules.is_overdue(row["answer_due_at"], row["first_answered_at"], at),
        answer=row["answer"],
        first_answered_at=local(row["first_answered_at"]),
        answered_at=local(row["answered_at"]),
        answers=row["answers"],
        confirmation_note=row["confirmation_note"],
        confirmed_at=local(row["confirmed_at"]),
    )


async def period_counts(
    community_id: UUID, company_id: UUID, starts_on: date, ends_on: date, at: datetime
) -> schemas.ComplaintCounts:
    """The complaints against ``company_id`` in the community filed from ``starts_on``
    to ``ends_on`` (district days), counted as rating evidence."""
    since = datetime.combine(starts_on, time.min, DISTRICT_ZONE)
    until = datetime.combine(ends_on + timedelta(days=1), time.min, DISTRICT_ZONE)
    rows = await Complaint.select(
        Complaint.status, Complaint.answer_due_at, Complaint.first_answered_at
    ).where(
        (Complaint.community == community_id)
        & (Complaint.company == company_id)
        & (Complaint.filed_at >= since)
        & (Complaint.filed_at < until)
    )
    counts = rules.count_complaints(
        (rules.Filed(r["status"], r["answer_due_at"], r["first_answered_at"]) for r in rows), at
    )
    return schemas.ComplaintCounts(
        filed=counts.filed,
        answered=counts.answered,
        resolved=counts.resolved,
        disputed=counts.disputed,
        overdue=counts.overdue,
        answer_window_days=rules.answer_window_days(),
    )
