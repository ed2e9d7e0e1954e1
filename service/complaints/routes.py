"""Complaints API: owners or the committee file against the community's property
company, the company answers, the complainant confirms or disputes."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, get, post
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from service.auth.roles import AUDITOR, BUREAU, COMMITTEE, COMPANY, OWNER, allow
from service.clock import now
from service.complaints import rules, schemas, service
from service.complaints.tables import Complaint
from service.errors import InputError
from service.http import PROBLEMS, CallerDep, PagingDep, ScopeDep
from service.pagination import Page, fetch_page

READERS = (BUREAU, AUDITOR, COMPANY, COMMITTEE, OWNER)
COMPLAINANTS = (OWNER, COMMITTEE)


def _status(status: str | None) -> str | None:
    if status is not None and status not in rules.STATUSES:
        raise InputError("status", "应为 " + " | ".join(rules.STATUSES))
    return status


class CommunityComplaintController(Controller):
    path = "/communities"
    tags = ("投诉",)

    @post(
        "/{community_id:str}/complaints",
        opt=allow(*COMPLAINANTS),
        responses=PROBLEMS,
        status_code=HTTP_201_CREATED,
    )
    async def file(
        self,
        caller: CallerDep,
        access: ScopeDep,
        community_id: FromPath[str],
        data: JSONBody[schemas.ComplaintIn],
    ) -> schemas.ComplaintOut:
        """业主（就本人房屋或共有部分）或业委会投诉小区的物业服务企业：类别、部位
        （household 房屋 / building 楼栋共有部分 / community 小区共有部分）、照片、说明。
        企业须在答复时限内答复。"""
        complaint_id = await service.file(caller, access, community_id, data)
        return service.complaint_out(await service.visible(caller, complaint_id), now())

    @get("/{community_id:str}/complaints", opt=allow(*READERS), responses=PROBLEMS)
    async def list_community(
        self,
        caller: CallerDep,
        access: ScopeDep,
        paging: PagingDep,
        community_id: FromPath[str],
        status: FromQuery[str | None] = None,
    ) -> Page[schemas.ComplaintOut]:
        """小区的投诉：业主只见本人提出的，企业只见针对本企业的。"""
        community = await access.community(community_id)
        query = Complaint.select().where(
            (Complaint.community == community["id"]) & service.visibility(caller)
        )
        if _status(status) is not None:
            query = query.where(Complaint.status == status)
        rows, cursor = await fetch_page(query, Complaint.id, paging)
        at = now()
        return Page(items=[service.complaint_out(r, at) for r in rows], next_cursor=cursor)


class ComplaintController(Controller):
    path = "/complaints"
    tags = ("投诉",)

    @get("/", opt=allow(*READERS), responses=PROBLEMS)
    async def list_all(
        self,
        caller: CallerDep,
        paging: PagingDep,
        status: FromQuery[str | None] = None,
        community_id: FromQuery[UUID | None] = None,
    ) -> Page[schemas.ComplaintOut]:
        """可见的投诉（业主：本人提出的；业委会：本小区的；企业：针对本企业的；区住建局：全区）。"""
        query = Complaint.select().where(service.visibility(caller))
        if _status(status) is not None:
            query = query.where(Complaint.status == status)
        if community_id is not None:
            query = query.where(Complaint.community == community_id)
        rows, cursor = await fetch_page(query, Complaint.id, paging)
        at = now()
        return Page(items=[service.complaint_out(r, at) for r in rows], next_cursor=cursor)

    @get("/{complaint_id:str}", opt=allow(*READERS), responses=PROBLEMS)
    async def read(self, caller: CallerDep, complaint_id: FromPath[str]) -> schemas.ComplaintOut:
        """一件投诉及其答复与确认。"""
        return service.complaint_out(await service.visible(caller, complaint_id), now())

    @post(
        "/{complaint_id:str}/answer",
        opt=allow(COMPANY),
        responses=PROBLEMS,
        status_code=HTTP_200_OK,
    )
    async def answer(
        self, caller: CallerDep, complaint_id: FromPath[str], data: JSONBody[schemas.AnswerIn]
    ) -> schemas.ComplaintOut:
        """被投诉的物业服务企业答复（新投诉，或投诉人有异议后再次答复）；
        已答复待确认或已解决 → 409。"""
        cid = await service.answer(caller, complaint_id, data)
        return service.complaint_out(await service.visible(caller, cid), now())

    @post(
        "/{complaint_id:str}/confirm",
        opt=allow(*COMPLAINANTS),
        responses=PROBLEMS,
        status_code=HTTP_200_OK,
    )
    async def confirm(
        self, caller: CallerDep, complaint_id: FromPath[str], data: JSONBody[schemas.ConfirmIn]
    ) -> schemas.ComplaintOut:
        """投诉人确认答复：resolved=true 已解决；false 有异议（须说明理由），企业须再次答复。
        尚未答复或已确认 → 409。"""
        cid = await service.confirm(caller, complaint_id, data)
        return service.complaint_out(await service.visible(caller, cid), now())


ROUTE_HANDLERS = [CommunityComplaintController, ComplaintController]
