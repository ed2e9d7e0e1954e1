"""Works, warranty and repairs API (API.md "Renovation works, warranty and repairs")."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from litestar import Controller, delete, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_201_CREATED

from service.auth.roles import (
    ACCOUNT_ROLES,
    ALL_ROLES,
    AUDITOR,
    BUREAU,
    COMMITTEE,
    COMPANY,
    CONTRACTOR,
    OWNER,
    allow,
)
from service.auth.scope import as_uuid
from service.clock import now, today
from service.errors import InputError
from service.http import PROBLEMS, CallerDep, PagingDep, ScopeDep
from service.pagination import Page, fetch_page
from service.warranty import figures, policy, schemas, service, takeover, tickets, workdays
from service.warranty.tables import RepairTicket, Work

TICKET_ACTORS = (BUREAU, COMPANY, COMMITTEE, CONTRACTOR, OWNER)
AsOf = Annotated[
    datetime | None,
    QueryParameter(description="按此时刻判断是否逾期（默认现在），ISO 8601 带时区"),
]
OnDate = Annotated[date | None, QueryParameter(description="按此日期计算（默认今天）")]


def _instant(as_of: datetime | None) -> datetime:
    if as_of is None:
        return now()
    if as_of.tzinfo is None:
        raise InputError("as_of", "须带时区，如 2026-01-01T08:00:00+08:00")
    return as_of


class WorkController(Controller):
    path = "/works"
    tags = ("改造工程与保修",)

    @post("/", opt=allow(BUREAU), responses=PROBLEMS, status_code=HTTP_201_CREATED)
    async def create(
        self, caller: CallerDep, access: ScopeDep, data: JSONBody[schemas.WorkIn]
    ) -> schemas.WorkOut:
        """登记竣工验收的改造工程及各部位保修期（不得短于法定最低期限）。"""
        work_id = await service.create_work(caller, data)
        return (
            await service.works_out(
                [await service.visible_work(caller, access, work_id)], caller.district_id
            )
        )[0]

    @get("/", opt=allow(*ALL_ROLES), responses=PROBLEMS)
    async def list_all(
        self,
        caller: CallerDep,
        access: ScopeDep,
        paging: PagingDep,
        community_id: FromQuery[UUID | None] = None,
    ) -> Page[schemas.WorkOut]:
        """可见的改造工程：施工单位只见本单位的，其他角色见其小区的。"""
        query = Work.select(*service.WORK_COLUMNS).where(service.work_visibility(caller, access))
        if community_id is not None:
            query = query.where(Work.community == community_id)
        rows, cursor = await fetch_page(query, Work.id, paging, key_type=UUID)
        return Page(items=await service.works_out(rows, caller.district_id), next_cursor=cursor)

    @get("/{work_id:str}", opt=allow(*ALL_ROLES), responses=PROBLEMS)
    async def read(
        self, caller: CallerDep, access: ScopeDep, work_id: FromPath[str]
    ) -> schemas.WorkOut:
        """一项改造工程及其各部位保修期。"""
        return (
            await service.works_out(
                [await service.visible_work(caller, access, work_id)], caller.district_id
            )
        )[0]

    @get(
        "/{work_id:str}/retention",
        opt=allow(BUREAU, AUDITOR, COMPANY, COMMITTEE, CONTRACTOR),
        responses=PROBLEMS,
    )
    async def retention(
        self, caller: CallerDep, access: ScopeDep, work_id: FromPath[str], on: OnDate = None
    ) -> schemas.RetentionOut:
        """质量保证金：有未关闭的保修工单时冻结；缺陷责任期满且无未关闭工单时可退还。"""
        work = await service.visible_work(caller, access, work_id)
        return await service.retention(work, on or today(), caller.district_id)


class RepairController(Controller):
    path = "/repairs"
    tags = ("改造工程与保修",)

    @post(
        "/",
        opt=allow(BUREAU, COMPANY, COMMITTEE, OWNER),
        responses=PROBLEMS,
        status_code=HTTP_201_CREATED,
    )
    async def report(
        self, caller: CallerDep, access: ScopeDep, data: JSONBody[schemas.RepairIn]
    ) -> schemas.RepairOut:
        """报修：从房屋报修须说明故障部位（private 专有部分 / common 共有部分）。系统按保修期、
        部位、是否大修、是否专业经营单位管线决定由谁负责（施工单位、物业、维修资金草稿、
        业主自行承担、专业经营单位），并说明理由。"""
        ticket_id = await tickets.report(caller, access, data)
        row = await tickets.visible_ticket(caller, access, ticket_id)
        return tickets.ticket_out(row, now())

    @get("/", opt=allow(*ALL_ROLES), responses=PROBLEMS)
    async def list_all(
        self,
        caller: CallerDep,
        access: ScopeDep,
        paging: PagingDep,
        status: FromQuery[str | None] = None,
        overdue: FromQuery[bool | None] = None,
        community_id: FromQuery[UUID | None] = None,
        responsible_kind: FromQuery[str | None] = None,
        as_of: AsOf = None,
    ) -> Page[schemas.RepairOut]:
        """可见的报修工单；overdue=true 列出逾期未完成的工单（供区住建局督办）。"""
        at = _instant(as_of)
        query = tickets.list_query(
            caller, access, at, status, overdue, community_id, responsible_kind
        )
        rows, cursor = await fetch_page(query, RepairTicket.id, paging, key_type=UUID)
        return Page(items=[tickets.ticket_out(r, at) for r in rows], next_cursor=cursor)

    @get("/figures", opt=allow(BUREAU, AUDITOR), responses=PROBLEMS)
    async def repair_figures(
        self,
        caller: CallerDep,
        period_start: FromQuery[date],
        period_end: FromQuery[date],
        org_id: FromQuery[UUID | None] = None,
        as_of: AsOf = None,
    ) -> schemas.FiguresOut:
        """按物业企业、施工单位统计期间内的工单数、按时完成率、完成时长中位数、返修率。"""
        return await figures.figures(caller, period_start, period_end, org_id, _instant(as_of))

    @get("/{ticket_id:str}", opt=allow(*ALL_ROLES), responses=PROBLEMS)
    async def read(
        self, caller: CallerDep, access: ScopeDep, ticket_id: FromPath[str]
    ) -> schemas.RepairOut:
        """一张工单及其每一步（谁、何时）。"""
        row = await tickets.visible_ticket(caller, access, ticket_id)
        return tickets.ticket_out(row, now(), await tickets.ticket_events(row["id"]))

    @post(
        "/{ticket_id:str}/transitions",
        opt=allow(*TICKET_ACTORS),
        responses=PROBLEMS,
        status_code=HTTP_201_CREATED,
    )
    async def transition(
        self,
        caller: CallerDep,
        access: ScopeDep,
        ticket_id: FromPath[str],
        data: JSONBody[schemas.TransitionIn],
    ) -> schemas.RepairOut:
        """工单流转：accept、start、finish、verify、reopen、dispute、decide_dispute。"""
        tid = await tickets.transition(caller, access, ticket_id, data)
        row = await tickets.visible_ticket(caller, access, tid)
        return tickets.ticket_out(row, now(), await tickets.ticket_events(tid))

    @post(
        "/{ticket_id:str}/take-over",
        opt=allow(BUREAU),
        responses=PROBLEMS,
        status_code=HTTP_201_CREATED,
    )
    async def take_over(
        self,
        caller: CallerDep,
        access: ScopeDep,
        ticket_id: FromPath[str],
        data: JSONBody[schemas.TakeOverIn],
    ) -> schemas.RepairOut:
        """施工单位逾期未维修：区住建局收回保修工单，交由物业或其他维修单位维修，
        费用记由施工单位承担（从质量保证金中扣除并记入其信用记录）。时限未到 409。"""
        tid = await takeover.take_over(caller, access, ticket_id, data)
        row = await tickets.visible_ticket(caller, access, tid)
        return tickets.ticket_out(row, now(), await tickets.ticket_events(tid))


@get(
    "/communities/{community_id:str}/warranty-ends",
    opt=allow(*ALL_ROLES),
    responses=PROBLEMS,
    tags=["改造工程与保修"],
)
async def warranty_ends(
    caller: CallerDep,
    access: ScopeDep,
    community_id: FromPath[str],
    paging: PagingDep,
    within: Annotated[int, QueryParameter(ge=1, le=3650, description="天数，默认 90")] = 90,
    on: OnDate = None,
) -> Page[schemas.WarrantyEndOut]:
    """小区内即将到期的保修（within 天内，含 30 天内标记），到期早的在前，便于业委会到期前查验。"""
    community = await access.community(community_id)
    items, cursor = await service.warranty_ends(
        caller, community["id"], within, on or today(), paging
    )
    return Page(items=items, next_cursor=cursor)


class PolicyController(Controller):
    path = "/repair-policy"
    tags = ("改造工程与保修",)

    @get("/", opt=allow(*ALL_ROLES), responses=PROBLEMS)
    async def read(self, caller: CallerDep) -> schemas.PolicyOut:
        """本区的报修时限和采暖/供冷期设置。"""
        return await policy.policy_out(caller.district_id)

    @put("/", opt=allow(BUREAU), responses=PROBLEMS)
    async def update(
        self, caller: CallerDep, data: JSONBody[schemas.PolicyIn]
    ) -> schemas.PolicyOut:
        """设置报修时限（紧急/一般，小时）和采暖/供冷期（月-日）；已登记的保修期不变。"""
        await policy.set_policy(caller, data)
        return await policy.policy_out(caller.district_id)


@get(
    "/contractors/{org_id:str}/credit",
    opt=allow(BUREAU, AUDITOR, CONTRACTOR),
    responses=PROBLEMS,
    tags=["改造工程与保修"],
)
async def contractor_credit(caller: CallerDep, org_id: FromPath[str]) -> schemas.CreditOut:
    """施工单位的保修信用记录：保修工单数、逾期未完成数、被收回改派数及记由其承担的费用。
    施工单位只能查看本单位的。"""
    return await takeover.credit(caller, org_id)


class WorkdayController(Controller):
    path = "/workdays"
    tags = ("改造工程与保修",)

    # The district's calendar is every account's, a street office's too (its tasks are
    # due in working days).
    @get("/{day:date}", opt=allow(*ACCOUNT_ROLES), responses=PROBLEMS)
    async def read(self, caller: CallerDep, day: FromPath[date]) -> schemas.WorkdayOut:
        """某日是否为本区工作日（国务院放假安排含调休，加本区调整），以及期间最后一日
        为该日时期间于何日届满（《民法典》第二百零三条）。"""
        return await workdays.workday_out(caller.district_id, day)

    @get("/overrides", opt=allow(*ACCOUNT_ROLES), responses=PROBLEMS)
    async def overrides(
        self,
        caller: CallerDep,
        paging: PagingDep,
        year: Annotated[int | None, QueryParameter(ge=1950, le=2100)] = None,
    ) -> Page[schemas.WorkdayOverrideOut]:
        """本区对国家工作日安排的调整（按日期）。"""
        items, cursor = await workdays.list_overrides(caller.district_id, paging, year)
        return Page(items=items, next_cursor=cursor)

    @post("/overrides", opt=allow(BUREAU), responses=PROBLEMS, status_code=HTTP_201_CREATED)
    async def add_override(
        self, caller: CallerDep, data: JSONBody[schemas.WorkdayOverrideIn]
    ) -> schemas.WorkdayOverrideOut:
        """把某日定为本区的工作日或休息日（须说明依据）；受影响的保修期届满日随之调整。
        同一日已有调整 → 409。"""
        override_id = await workdays.set_override(caller, data)
        return await workdays.one_override(caller.district_id, override_id)

    @delete("/overrides/{override_id:str}", opt=allow(BUREAU), responses=PROBLEMS)
    async def remove_override(self, caller: CallerDep, override_id: FromPath[str]) -> None:
        """撤销本区的一条工作日调整；受影响的保修期届满日随之恢复。"""
        await workdays.remove_override(caller, as_uuid(override_id))


ROUTE_HANDLERS = [
    WorkController,
    RepairController,
    PolicyController,
    WorkdayController,
    warranty_ends,
    contractor_credit,
]
