"""Repair pages: tickets with their state, who must pay and why; reporting one with
photos; the steps a party of the ticket may take."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import HTTPException, ValidationException
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from service.auth.roles import ALL_ROLES, BUREAU, COMMITTEE, COMPANY, OWNER, Caller, allow
from service.auth.scope import Scope, resolve_scope
from service.clock import DISTRICT_ZONE, now
from service.errors import InputError
from service.http import CallerDep, ScopeDep
from service.registry.places import flats
from service.registry.rules import natural_key
from service.registry.tables import Building, Community
from service.warranty import rules, schemas
from service.warranty.photos import read_photo, store_photos, ticket_photos
from service.warranty.rules import STATUS_NAMES
from service.warranty.tables import RepairTicket
from service.warranty.tickets import (
    list_query,
    parties,
    report,
    ticket_events,
    transition,
    visible_ticket,
)
from service.web.render import ROLE_NAMES, caller_of, form_errors, page, see_other

REPORTERS = (BUREAU, COMPANY, COMMITTEE, OWNER)
LIST_LIMIT = 200
RESPONSIBLE_NAMES = {
    "contractor": "施工单位（保修期内，免费维修）",
    "company": "物业服务企业（日常维修养护）",
    "fund": "住宅专项维修资金（业主按面积分摊）",
    "owner": "业主自费",
    "operator": "专业经营单位",
    "bureau": "区住建局安排",
    "committee": "业主委员会（业主自治，日常维修养护）",
}
ACTION_NAMES = {
    "accept": "受理",
    "start": "开始维修",
    "finish": "完工",
    "verify": "验收通过",
    "reopen": "未修好，退回",
    "dispute": "提出异议（不属保修）",
    "decide_dispute": "裁决异议",
}


def _local(moment: Any) -> str:
    return moment.astimezone(DISTRICT_ZONE).strftime("%Y-%m-%d %H:%M") if moment else ""


@get("/repairs", opt=allow(*ALL_ROLES), include_in_schema=False)
async def repair_list(
    caller: CallerDep,
    access: ScopeDep,
    community_id: FromQuery[UUID | None] = None,
    status: FromQuery[str | None] = None,
) -> Template:
    """报修工单一览：状态、谁负责、为什么。"""
    moment = now()
    rows = (
        await list_query(caller, access, moment, status=status, community_id=community_id)
        .order_by(RepairTicket.reported_at, ascending=False)
        .limit(LIST_LIMIT)
    )
    return page(
        "repairs.html",
        tickets=rows,
        now=moment,
        status=status,
        community_id=community_id,
        status_names=STATUS_NAMES,
        responsible_names=RESPONSIBLE_NAMES,
        category_names=rules.CATEGORY_NAMES,
        local=_local,
        can_report=caller.role in REPORTERS,
    )


async def _places(caller: Caller, access: Scope) -> dict[str, Any]:
    """Where the caller may report a fault: an owner its flats, others the buildings of
    the communities they see (a committee its one community)."""
    if caller.role == OWNER:
        return {"flats": await flats(access.households()), "buildings": []}
    communities = (
        await Community.select(Community.id, Community.name)
        .where(access.communities(Community.id, Community.district))
        .limit(1)
    )
    buildings: list[dict[str, Any]] = []
    if communities:
        buildings = await Building.select(Building.id, Building.name, Building.community).where(
            Building.community == communities[0]["id"]
        )
        buildings.sort(key=lambda b: natural_key(b["name"]))
    return {
        "flats": [],
        "buildings": buildings,
        "community": communities[0] if communities else None,
    }


async def _new_form(
    caller: Caller, access: Scope, errors: list[str], values: dict[str, str], status: int = 200
) -> Template:
    return page(
        "repair_new.html",
        status_code=status,
        errors=errors,
        values=values,
        categories=rules.CATEGORIES,
        category_names=rules.CATEGORY_NAMES,
        **await _places(caller, access),
    )


@get("/repairs/new", opt=allow(*REPORTERS), include_in_schema=False)
async def repair_form(caller: CallerDep, access: ScopeDep) -> Template:
    """报修：说明位置、类别和情况，可附照片。"""
    return await _new_form(caller, access, [], {})


def _repair_in(
    caller: Caller, places: dict[str, Any], form: Any, photos: list[str]
) -> schemas.RepairIn:
    where = str(form.get("where") or "")
    category = str(form.get("category") or "")
    description = str(form.get("description") or "").strip()
    urgency = "emergency" if form.get("urgency") == "emergency" else "normal"
    if not description:
        raise InputError("description", "请描述故障情况")
    if caller.role == OWNER:
        kind, _, flat_id = where.partition(":")
        flat = next((f for f in places["flats"] if str(f["id"]) == flat_id), None)
        if flat is None:
            raise InputError("where", "请选择您的房屋")
        return schemas.RepairIn(
            community_id=flat["community"],
            category=category,
            description=description,
            urgency=urgency,
            household_id=flat["id"] if kind == "flat" else None,
            # The form's "户内" choice is the household's own part; the others are common.
            part="private" if kind == "flat" else None,
            building_id=flat["building"] if kind != "community" else None,
            photos=photos,
        )
    community = places.get("community")
    if community is None:
        raise InputError("where", "没有可报修的小区")
    building = next((b for b in places["buildings"] if str(b["id"]) == where), None)
    return schemas.RepairIn(
        community_id=community["id"],
        category=category,
        description=description,
        urgency=urgency,
        building_id=building["id"] if building else None,
        photos=photos,
    )


@post("/repairs", opt=allow(*REPORTERS), include_in_schema=False)
async def repair_report(
    request: Request[Any, Any, Any], caller: CallerDep, access: ScopeDep
) -> Response[Any]:
    form = await request.form()
    values = {k: str(form.get(k) or "") for k in ("where", "category", "description", "urgency")}
    places = await _places(caller, access)
    uploads = [u for u in form.getall("photos", []) if isinstance(u, UploadFile) and u.filename]
    try:
        photos = store_photos([await u.read() for u in uploads])
        ticket_id = await report(caller, access, _repair_in(caller, places, form, photos))
    except ValidationException as exc:
        return await _new_form(caller, access, form_errors(exc), values, 422)
    return see_other(f"/repairs/{ticket_id}?done=report")


async def _detail(
    request: Request[Any, Any, Any],
    ticket_id: str,
    errors: list[str] | None = None,
    status: int = 200,
) -> Template:
    caller = caller_of(request)
    access = await resolve_scope(caller)
    ticket = await visible_ticket(caller, access, ticket_id)
    mine = parties(caller, ticket)
    actions = [
        action
        for (state, action), (_, allowed) in rules.TRANSITIONS.items()
        if state == ticket["status"] and mine & allowed
    ]
    return page(
        "repair.html",
        status_code=status,
        t=ticket,
        photos=ticket_photos(ticket),
        overdue=ticket["status"] in rules.OPEN_STATUSES and ticket["due_at"] < now(),
        events=await ticket_events(ticket["id"]),
        actions=actions,
        errors=errors or [],
        done=request.query_params.get("done"),
        status_names=STATUS_NAMES,
        responsible_names=RESPONSIBLE_NAMES,
        category_names=rules.CATEGORY_NAMES,
        action_names=ACTION_NAMES,
        role_names=ROLE_NAMES,
        local=_local,
    )


@get("/repairs/{ticket_id:str}", opt=allow(*ALL_ROLES), include_in_schema=False)
async def repair_page(request: Request[Any, Any, Any], ticket_id: FromPath[str]) -> Template:
    """一张工单：状态、责任方与理由、保修期、期限、照片与处理记录。"""
    return await _detail(request, ticket_id)


@post("/repairs/{ticket_id:str}/transitions", opt=allow(*ALL_ROLES), include_in_schema=False)
async def repair_step(
    request: Request[Any, Any, Any], caller: CallerDep, access: ScopeDep, ticket_id: FromPath[str]
) -> Response[Any]:
    form = await request.form()
    decision = form.get("decision")
    try:
        await transition(
            caller,
            access,
            ticket_id,
            schemas.TransitionIn(
                action=str(form.get("action") or ""),
                note=str(form.get("note") or "").strip() or None,
                decision=str(decision) if decision else None,
            ),
        )
    except ValidationException as exc:
        return await _detail(request, ticket_id, form_errors(exc), 422)
    except HTTPException as exc:
        if exc.status_code not in (403, 409):
            raise
        return await _detail(request, ticket_id, [str(exc.detail)], exc.status_code)
    return see_other(f"/repairs/{ticket_id}")


@get("/repairs/{ticket_id:str}/photos/{index:int}", opt=allow(*ALL_ROLES), include_in_schema=False)
async def repair_photo(
    caller: CallerDep, access: ScopeDep, ticket_id: FromPath[str], index: FromPath[int]
) -> Response[bytes]:
    ticket = await visible_ticket(caller, access, ticket_id)
    media_type, content = read_photo(ticket, index)
    return Response(
        content, media_type=media_type, headers={"Cache-Control": "private, max-age=3600"}
    )


PAGE_HANDLERS = [repair_list, repair_form, repair_report, repair_page, repair_step, repair_photo]
