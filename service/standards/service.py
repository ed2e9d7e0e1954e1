"""Standards use cases: the district's catalogue, inspections, and the life of the
rectification tasks they open. Each write runs in one transaction with its audit entry."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from litestar.exceptions import NotFoundException, PermissionDeniedException
from piccolo.columns import Column
from piccolo.columns.combination import WhereRaw
from piccolo.custom_types import Combinable

from service.audit.service import record
from service.auth.roles import AUDITOR, BUREAU, COMMITTEE, COMPANY, CONTRACTOR, STREET, Caller
from service.auth.scope import Scope, as_uuid
from service.clock import now, today
from service.db import is_integrity_error, is_postgres, read_json, transaction
from service.errors import Conflict, InputError, InputErrors
from service.registry.tables import Area, Community, Organization
from service.standards import rules, schemas
from service.standards.tables import (
    Inspection,
    InspectionResult,
    Rectification,
    StandardCatalogue,
)
from service.warranty.rules import Operator
from service.warranty.service import candidates, live_company
from service.warranty.workdays import load_calendar

EARLIEST_INSPECTION = date(2000, 1, 1)
TASK_NOT_FOUND = "整改任务不存在，或不在您的权限范围内。"
INSPECTION_NOT_FOUND = "检查记录不存在，或不在您的权限范围内。"

TASK_COLUMNS = (
    *Rectification.all_columns(),
    Rectification.responsible_org._.name.as_alias("responsible_org_name"),
    Rectification.community._.name.as_alias("community_name"),
    Rectification.area._.name.as_alias("area_name"),
)


# --- catalogue ---------------------------------------------------------------------------


async def current_catalogue(district_id: UUID) -> dict[str, Any]:
    """The latest catalogue version of the district; the seed's items become version 1
    on first use."""
    latest = (
        await StandardCatalogue.select()
        .where(StandardCatalogue.district == district_id)
        .order_by(StandardCatalogue.version, ascending=False)
        .first()
    )
    if latest is not None:
        return latest
    try:
        async with transaction():
            await StandardCatalogue.insert(
                StandardCatalogue(
                    district=district_id,
                    version=1,
                    items=list(rules.DEFAULT_ITEMS),
                    created_at=now(),
                )
            )
    except Exception as exc:  # another request seeded it first
        if not is_integrity_error(exc):
            raise
    return await current_catalogue(district_id)


def items_of(catalogue: dict[str, Any]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = read_json(catalogue["items"]) or []
    return items


async def add_item(caller: Caller, data: schemas.StandardItemIn) -> dict[str, Any]:
    """A district's own item: a new catalogue version with the item added; earlier
    inspections keep the version they used."""
    item = {
        "code": data.code,
        "name": data.name.strip(),
        "level": data.level,
        "group": data.group.strip(),
        "check": data.check.strip(),
        "utility": data.utility,
        "warranty_category": data.warranty_category,
        "fallback": data.fallback,
        "workdays": data.workdays,
        "rating_item": data.rating_item,
        "district_own": True,
    }
    previous = await current_catalogue(caller.district_id)
    problems = rules.item_problems(item, [i["code"] for i in items_of(previous)])
    if problems:
        raise InputErrors(
            "；".join(f"{f}: {m}" for f, m in problems),
            [{"field": f, "message": m} for f, m in problems],
        )
    try:
        async with transaction():
            row = StandardCatalogue(
                district=caller.district_id,
                version=previous["version"] + 1,
                items=[*items_of(previous), item],
                created_by=caller.id,
                created_at=now(),
            )
            await row.save()
            await record(
                caller,
                "standard_catalogue.add_item",
                "standard_catalogue",
                row.id,
                after={"version": row.version, "item": item},
            )
    except Exception as exc:
        if is_integrity_error(exc):
            raise Conflict("目录刚被他人修改，请刷新后重试。") from None
        raise
    return await current_catalogue(caller.district_id)


# --- inspections -------------------------------------------------------------------------


async def _place(caller: Caller, access: Scope, data: schemas.InspectionIn) -> tuple[str, UUID]:
    if (data.community_id is None) == (data.area_id is None):
        raise InputError("community_id", "须且只能指定 community_id 或 area_id 之一")
    if data.community_id is not None:
        row = await access.community(data.community_id, Community.id)
        return rules.COMMUNITY, UUID(str(row["id"]))
    area = (
        await Area.select(Area.id)
        .where((Area.id == data.area_id) & (Area.district == caller.district_id))
        .first()
    )
    if area is None or (access.area_ids is not None and area["id"] not in access.area_ids):
        raise NotFoundException("片区不存在，或不在您的权限范围内。")
    return rules.AREA, UUID(str(area["id"]))


async def _org(caller: Caller, org_id: UUID | None, kind: str, field: str) -> dict[str, Any] | None:
    if org_id is None:
        return None
    row = (
        await Organization.select(Organization.id, Organization.name)
        .where(
            (Organization.id == org_id)
            & (Organization.district == caller.district_id)
            & (Organization.kind == kind)
        )
        .first()
    )
    if row is None:
        raise InputError(field, f"本区没有这个 {kind} 类组织")
    return row


async def _lock_place(level: str, place_id: UUID) -> None:
    """Serialise inspections of one place (SQLite's IMMEDIATE transaction already does)."""
    if is_postgres():
        table = Community if level == rules.COMMUNITY else Area
        await table.select(table.id).where(table.id == place_id).lock_rows()


def place_condition(level: str, place_id: UUID, table: Any) -> Combinable:
    column = table.community if level == rules.COMMUNITY else table.area
    condition: Combinable = column == place_id
    return condition


async def record_inspection(
    caller: Caller, access: Scope, data: schemas.InspectionIn
) -> dict[str, Any]:
    """Record an inspection item by item: a not-met item opens a rectification task for
    its responsible party (rules.route_rectification) due in working days, or keeps the
    one already open (an answered one goes back to open: the fix did not hold); a met
    item closes the place's unfinished task for it. Returns ids of the inspection, the
    tasks of its not-met items and the tasks it closed."""
    level, place_id = await _place(caller, access, data)
    inspected_on = data.inspected_on or today()
    if inspected_on > today():
        raise InputError("inspected_on", "检查日期不能晚于今天")
    if inspected_on < EARLIEST_INSPECTION:
        raise InputError("inspected_on", "检查日期不能早于 2000-01-01")
    catalogue = await current_catalogue(caller.district_id)
    by_code = {i["code"]: i for i in items_of(catalogue) if i["level"] == level}
    errors, seen = [], set()
    for n, given in enumerate(data.items):
        if given.code not in by_code:
            errors.append(
                {
                    "field": f"items[{n}].code",
                    "message": f"本区{rules.LEVEL_NAMES[level]}标准目录中没有此项",
                }
            )
        elif given.code in seen:
            errors.append({"field": f"items[{n}].code", "message": "同一检查中重复"})
        seen.add(given.code)
        for k, photo in enumerate(given.photos):
            if not photo.strip() or len(photo) > schemas.MAX_PHOTO_NAME:
                errors.append(
                    {"field": f"items[{n}].photos[{k}]", "message": "照片名称须为 1 至 500 个字符"}
                )
        if given.result not in rules.RESULTS:
            errors.append({"field": f"items[{n}].result", "message": "应为 met | not_met | na"})
        if given.operator_id is not None and not (by_code.get(given.code) or {}).get("utility"):
            errors.append(
                {
                    "field": f"items[{n}].operator_id",
                    "message": "只有专业经营单位管线类项目才指定经营单位",
                }
            )
    if errors:
        raise InputErrors("；".join(f"{e['field']}: {e['message']}" for e in errors), errors)
    street_id = data.street_office_id
    if caller.role == STREET:
        # A street office's user records for its own office.
        if street_id is not None and street_id != caller.org_id:
            raise InputError("street_office_id", "街道用户只能以本街道办事处的名义检查")
        street_id = caller.org_id
    street = await _org(caller, street_id, "street", "street_office_id")
    operators = {
        n: await _org(caller, given.operator_id, "operator", f"items[{n}].operator_id")
        for n, given in enumerate(data.items)
    }
    calendar = await load_calendar(caller.district_id)
    community_id = place_id if level == rules.COMMUNITY else None
    works = await candidates(place_id) if community_id else []
    company = await live_company(place_id) if community_id else None
    moment = now()
    counts = {r: sum(1 for i in data.items if i.result == r) for r in rules.RESULTS}
    opened: list[UUID] = []
    closed: list[UUID] = []
    async with transaction():
        await _lock_place(level, place_id)
        inspection = Inspection(
            district=caller.district_id,
            level=level,
            community=community_id,
            area=place_id if level == rules.AREA else None,
            catalogue=catalogue["id"],
            inspected_on=inspected_on,
            street_office=street["id"] if street else None,
            note=data.note.strip(),
            met=counts[rules.MET],
            not_met=counts[rules.NOT_MET],
            na=counts[rules.NA],
            created_by=caller.id,
            created_role=caller.role,
            created_at=moment,
        )
        await inspection.save()
        await InspectionResult.insert(
            *[
                InspectionResult(
                    inspection=inspection.id,
                    code=i.code,
                    result=i.result,
                    note=(i.note or "").strip(),
                    photos=list(i.photos),
                )
                for i in data.items
            ]
        )
        unfinished = {
            r["code"]: r
            for r in await Rectification.select().where(
                place_condition(level, place_id, Rectification)
                & Rectification.status.is_in(sorted(rules.UNFINISHED))
            )
        }
        for n, given in enumerate(data.items):
            task = unfinished.get(given.code)
            if given.result == rules.MET and task is not None:
                await Rectification.update(
                    {
                        Rectification.status: rules.CLOSED,
                        Rectification.closed_on: inspected_on,
                        Rectification.closed_by: caller.id,
                        Rectification.closed_by_inspection: inspection.id,
                        Rectification.close_note: "复查达标",
                        Rectification.updated_at: moment,
                    }
                ).where(Rectification.id == task["id"])
                closed.append(task["id"])
            elif given.result == rules.NOT_MET and task is not None:
                if task["status"] == rules.ANSWERED:
                    await Rectification.update(
                        {Rectification.status: rules.OPEN, Rectification.updated_at: moment}
                    ).where(Rectification.id == task["id"])
                opened.append(task["id"])
            elif given.result == rules.NOT_MET:
                item = by_code[given.code]
                operator = operators[n]
                who = rules.route_rectification(
                    item,
                    inspected_on,
                    works,
                    company,
                    operator=Operator(operator["id"], operator["name"]) if operator else None,
                    street=rules.StreetOffice(street["id"], street["name"]) if street else None,
                )
                row = Rectification(
                    district=caller.district_id,
                    level=level,
                    community=community_id,
                    area=place_id if level == rules.AREA else None,
                    code=given.code,
                    item_name=item["name"],
                    opened_by=inspection.id,
                    status=rules.OPEN,
                    responsible_kind=who.kind,
                    responsible_org=who.org_id,
                    work=who.work_id,
                    reason=who.reason,
                    opened_on=inspected_on,
                    due_on=rules.add_working_days(
                        inspected_on, int(item.get("workdays") or rules.DEFAULT_WORKDAYS), calendar
                    ),
                    created_at=moment,
                    updated_at=moment,
                )
                await row.save()
                opened.append(row.id)
        await record(
            caller,
            "standard_inspection.create",
            "standard_inspection",
            inspection.id,
            after={
                "level": level,
                "place": str(place_id),
                "inspected_on": inspected_on.isoformat(),
                **counts,
                "tasks": [str(t) for t in opened],
                "closed": [str(t) for t in closed],
            },
        )
    return {"id": inspection.id, "tasks": opened, "closed": closed}


def inspection_visibility(caller: Caller, access: Scope) -> Combinable:
    """Inspections a caller may see: the bureau and auditor the district's; a company or
    committee those of the communities in its scope (areas are the bureau's); a street
    office those it carried out."""
    condition: Combinable = Inspection.district == caller.district_id
    if caller.role in (BUREAU, AUDITOR):
        return condition
    if caller.role == STREET:
        return condition & (Inspection.street_office == caller.org_id)
    return access.communities(Inspection.community, Inspection.district)


async def visible_inspection(
    caller: Caller, access: Scope, inspection_id: UUID | str
) -> dict[str, Any]:
    row: dict[str, Any] | None = (
        await Inspection.select(
            *Inspection.all_columns(),
            Inspection.catalogue.version.as_alias("catalogue_version"),
            Inspection.community._.name.as_alias("community_name"),
            Inspection.area._.name.as_alias("area_name"),
        )
        .where((Inspection.id == as_uuid(inspection_id)) & inspection_visibility(caller, access))
        .first()
    )
    if row is None:
        raise NotFoundException(INSPECTION_NOT_FOUND)
    return row


# --- rectification tasks -----------------------------------------------------------------


def task_visibility(caller: Caller, access: Scope) -> Combinable:
    """Tasks a caller may see: the bureau and auditor the district's; a company those of
    its communities and those given to it; a committee its community's; a contractor
    and a street office those given to it."""
    in_district: Combinable = Rectification.district == caller.district_id
    if caller.role in (BUREAU, AUDITOR):
        return in_district
    mine: Combinable = in_district & (Rectification.responsible_org == caller.org_id)
    if caller.role in (CONTRACTOR, STREET):
        return mine
    visible = access.communities(Rectification.community, Rectification.district)
    return visible | mine if caller.role == COMPANY else visible


async def visible_task(caller: Caller, access: Scope, task_id: UUID | str) -> dict[str, Any]:
    row: dict[str, Any] | None = (
        await Rectification.select(*TASK_COLUMNS)
        .where((Rectification.id == as_uuid(task_id)) & task_visibility(caller, access))
        .first()
    )
    if row is None:
        raise NotFoundException(TASK_NOT_FOUND)
    return row


async def locked_task(caller: Caller, access: Scope, task_id: UUID | str) -> dict[str, Any]:
    """The visible task, locked until the transaction ends and read again after the lock
    (PostgreSQL; SQLite's IMMEDIATE transaction already holds the write lock)."""
    task = await visible_task(caller, access, task_id)
    if is_postgres():
        await (
            Rectification.select(Rectification.id).where(Rectification.id == task["id"]).lock_rows()
        )
        task = await visible_task(caller, access, task["id"])
    return task


def may_take(caller: Caller, task: dict[str, Any], action: str) -> bool:
    """``answer``: the responsible organisation (the bureau also for an operator, which
    has no users here, for a street office, whose users may not have been created, and
    for a task with no organisation); ``close`` and ``reopen``: the bureau."""
    if action == "answer":
        if caller.role in (COMPANY, CONTRACTOR, STREET):
            return bool(caller.org_id == task["responsible_org"])
        return caller.role == BUREAU and (
            task["responsible_org"] is None or task["responsible_kind"] in ("operator", "street")
        )
    return caller.role == BUREAU


async def transition(
    caller: Caller, access: Scope, task_id: UUID | str, data: schemas.TransitionIn
) -> UUID:
    """One step of a task's life (rules.TRANSITIONS), after locking and rereading it: of
    two competing steps exactly one wins, the other answers 409."""
    note = (data.note or "").strip()
    if data.action not in rules.ACTIONS:
        raise InputError("action", "应为 " + " | ".join(rules.ACTIONS))
    if data.action == "answer" and not note:
        raise InputError("note", "答复须说明整改情况")
    moment = now()
    async with transaction():
        task = await locked_task(caller, access, task_id)
        if caller.role == COMMITTEE or not may_take(caller, task, data.action):
            raise PermissionDeniedException("您不是此整改任务该步骤的责任方，不能执行此操作。")
        try:
            target = rules.next_status(task["status"], data.action)
        except rules.IllegalStep:
            raise Conflict(
                f"整改任务当前状态为{rules.status_named(task['status'])}，不能执行 {data.action}。"
            ) from None
        changes: dict[Column | str, Any] = {"status": target, "updated_at": moment}
        if data.action == "answer":
            changes.update(answer=note, answered_on=moment.date(), answered_by=caller.id)
        elif data.action == "close":
            changes.update(closed_on=moment.date(), closed_by=caller.id, close_note=note or None)
        await Rectification.update(changes).where(Rectification.id == task["id"])
        await record(
            caller,
            f"rectification.{data.action}",
            "standard_rectification",
            task["id"],
            before={"status": task["status"]},
            after={"note": note, **{str(k): v for k, v in changes.items()}},
        )
    result: UUID = task["id"]
    return result


def task_out(row: dict[str, Any], on_day: date | None = None) -> schemas.TaskOut:
    return schemas.TaskOut(
        id=row["id"],
        code=row["code"],
        item_name=row["item_name"],
        level=row["level"],
        community_id=row["community"],
        area_id=row["area"],
        place_name=row.get("community_name") or row.get("area_name"),
        status=row["status"],
        responsible_kind=row["responsible_kind"],
        responsible_org_id=row["responsible_org"],
        responsible_org_name=row.get("responsible_org_name"),
        reason=row["reason"],
        opened_on=row["opened_on"],
        due_on=row["due_on"],
        overdue=rules.is_overdue(
            row["status"], row["due_on"], row["answered_on"], on_day or today()
        ),
        inspection_id=row["opened_by"],
        answer=row["answer"],
        answered_on=row["answered_on"],
        closed_on=row["closed_on"],
        closed_by_inspection_id=row["closed_by_inspection"],
        close_note=row["close_note"],
    )


def task_list_query(
    caller: Caller,
    access: Scope,
    *,
    status: str | None = None,
    overdue: bool | None = None,
    community_id: UUID | None = None,
    area_id: UUID | None = None,
    responsible_kind: str | None = None,
) -> Any:
    query = Rectification.select(*TASK_COLUMNS).where(task_visibility(caller, access))
    if status is not None:
        if status not in rules.STATUSES:
            raise InputError("status", "应为 " + " | ".join(rules.STATUSES))
        query = query.where(Rectification.status == status)
    if overdue is not None:
        day = today()
        answered_late = WhereRaw(
            "standard_rectification.answered_on > standard_rectification.due_on"
        )
        answered_in_time = WhereRaw(
            "standard_rectification.answered_on <= standard_rectification.due_on"
        )
        late = (Rectification.due_on < day) & (
            (Rectification.status == rules.OPEN)
            | ((Rectification.status == rules.ANSWERED) & answered_late)
        )
        in_time = (
            (Rectification.status == rules.CLOSED)
            | (Rectification.due_on >= day)
            | ((Rectification.status == rules.ANSWERED) & answered_in_time)
        )
        query = query.where(late if overdue else in_time)
    if community_id is not None:
        query = query.where(Rectification.community == community_id)
    if area_id is not None:
        query = query.where(Rectification.area == area_id)
    if responsible_kind is not None:
        if responsible_kind not in rules.RESPONSIBLE_KINDS:
            raise InputError("responsible_kind", "应为 " + " | ".join(rules.RESPONSIBLE_KINDS))
        query = query.where(Rectification.responsible_kind == responsible_kind)
    return query
