"""Lift retrofit API (API.md "Lift retrofits").

Who may call what: the bureau, or the committee of that community, creates a project,
closes consent and records its stages, documents, agreed shares, payments and upkeep;
an owner gives consent for their own flats and the committee records paper forms; the
bureau alone enters the accepted lift into the works register and records the subsidy
paid. Everyone reads within scope; an owner sees the projects of their own units.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from service.auth.roles import AUDITOR, BUREAU, COMMITTEE, COMPANY, OWNER, allow
from service.http import PROBLEMS, CallerDep, PagingDep, ScopeDep
from service.idempotency import IdempotencyKey, idempotent
from service.lifts import consent, payments, service, stages, views
from service.lifts.notice import notice_context, notice_workbook
from service.lifts.schemas import (
    AgreedShareIn,
    ConsentIn,
    ConsentOut,
    ConsentResultOut,
    DocumentIn,
    DocumentOut,
    HouseholdLiftOut,
    LiftProjectIn,
    LiftProjectOut,
    LiftSettingsIn,
    LiftSettingsOut,
    PaymentIn,
    PaymentOut,
    SubsidyIn,
    TransitionIn,
    UpkeepIn,
    UpkeepOut,
)
from service.lifts.tables import LiftProject
from service.pagination import Page, fetch_page
from service.registry.tables import Household
from service.reports.excel import XLSX
from service.reports.render import render_pdf
from service.reports.routes import PDF, ascii_name, pdf_response, xlsx_response
from service.units import format_factor, format_yuan

READERS = (BUREAU, AUDITOR, COMPANY, COMMITTEE, OWNER)
MANAGERS = (BUREAU, COMMITTEE)


def settings_out(settings: service.Settings) -> LiftSettingsOut:
    return LiftSettingsOut(
        coefficients={str(k): format_factor(v) for k, v in settings.coefficients.items()},
        subsidy_per_lift=format_yuan(settings.subsidy_fen),
        maintenance_fund_allowed=settings.maintenance_fund_allowed,
        defaults=settings.defaults,
    )


class LiftSettingsController(Controller):
    path = "/lift-settings"
    tags = ("加装电梯",)

    @get("/", opt=allow(*READERS), responses=PROBLEMS)
    async def read(self, caller: CallerDep) -> LiftSettingsOut:
        """本区加装电梯的默认楼层系数、每部电梯补贴额，以及是否允许用维修资金缴纳分摊款。"""
        return settings_out(await service.load_settings(caller.district_id))

    @put("/", opt=allow(BUREAU), responses=PROBLEMS)
    async def replace(self, caller: CallerDep, data: JSONBody[LiftSettingsIn]) -> LiftSettingsOut:
        """修改本区加装电梯数据；已建项目沿用其创建时的系数与补贴。"""
        return settings_out(await service.save_settings(caller, data))


class LiftProjectController(Controller):
    path = "/lift-projects"
    tags = ("加装电梯",)

    @post("/", opt=allow(*MANAGERS), responses=PROBLEMS, status_code=HTTP_201_CREATED)
    async def create(
        self, caller: CallerDep, access: ScopeDep, data: JSONBody[LiftProjectIn]
    ) -> LiftProjectOut:
        """为一个单元（unit_no 为空则整栋楼）建立加装电梯项目：房屋与楼层取自房屋登记；
        工程估算减去补贴后，按楼层系数、再按建筑面积分摊到户，精确到分，合计相等。"""
        project_id = await service.create_project(caller, access, data)
        return await views.project_out(await service.visible_project(access, project_id), access)

    @get("/", opt=allow(*READERS), responses=PROBLEMS)
    async def list_projects(
        self,
        access: ScopeDep,
        paging: PagingDep,
        community_id: FromQuery[UUID | None] = None,
        status: FromQuery[str | None] = None,
    ) -> Page[LiftProjectOut]:
        """可见的加装电梯项目（不含分摊明细、表决、文件与进度；业主只看到本人房屋所在单元的项目）。"""
        query = await views.listed_projects(access, community_id, status)
        rows, cursor = await fetch_page(query, LiftProject.id, paging)
        return Page(
            items=[await views.project_out(r, access, full=False) for r in rows],
            next_cursor=cursor,
        )

    @get("/{project_id:str}", opt=allow(*READERS), responses=PROBLEMS)
    async def read(self, access: ScopeDep, project_id: FromPath[str]) -> LiftProjectOut:
        """一个项目：分摊明细、表决情况（公布前为实时计票）、各阶段文件与进度、补贴、维保分摊。"""
        return await views.project_out(await service.visible_project(access, project_id), access)

    @post(
        "/{project_id:str}/consents",
        opt=allow(OWNER, COMMITTEE),
        responses=PROBLEMS,
        status_code=HTTP_201_CREATED,
    )
    async def give_consent(
        self,
        caller: CallerDep,
        access: ScopeDep,
        project_id: FromPath[str],
        data: JSONBody[ConsentIn],
    ) -> ConsentOut:
        """业主就自己的房屋表态；业委会代录纸质意见。反对须写明理由（随结果公示）。
        表决期内再次表态覆盖前一次。"""
        return await consent.cast_consent(caller, access, project_id, data)

    @get("/{project_id:str}/tally", opt=allow(*READERS), responses=PROBLEMS)
    async def tally(self, access: ScopeDep, project_id: FromPath[str]) -> ConsentResultOut:
        """表决情况：面积与人数均须三分之二以上参与，参与面积与人数均须四分之三以上同意（含本数）。"""
        project = await service.visible_project(access, project_id)
        return await consent.consent_result(project)

    @post(
        "/{project_id:str}/close-consent",
        opt=allow(*MANAGERS),
        responses=PROBLEMS,
        status_code=HTTP_200_OK,
    )
    async def close_consent(
        self, caller: CallerDep, access: ScopeDep, project_id: FromPath[str]
    ) -> ConsentResultOut:
        """结束表决并公布结果（含反对意见及理由）：通过则进入设计与审批，否则项目终止。"""
        return await consent.close_consent(caller, access, project_id)

    @post(
        "/{project_id:str}/agreed-shares",
        opt=allow(*MANAGERS),
        responses=PROBLEMS,
        status_code=HTTP_201_CREATED,
    )
    async def agree_share(
        self,
        caller: CallerDep,
        access: ScopeDep,
        project_id: FromPath[str],
        data: JSONBody[AgreedShareIn],
    ) -> LiftProjectOut:
        """登记某户经协商约定的分摊金额及理由；其余各户按楼层系数与面积重新分摊，合计不变。
        仅在表决期间。"""
        await service.agree_share(caller, access, project_id, data)
        return await views.project_out(await service.visible_project(access, project_id), access)

    @post(
        "/{project_id:str}/transitions",
        opt=allow(*MANAGERS),
        responses=PROBLEMS,
        status_code=HTTP_200_OK,
    )
    async def transition(
        self,
        caller: CallerDep,
        access: ScopeDep,
        project_id: FromPath[str],
        data: JSONBody[TransitionIn],
    ) -> LiftProjectOut:
        """推进项目阶段：design_approved → construction_done → accepted（区住建局，
        登入工程保修）→ registered（特种设备使用登记证编号与日期）；cancel 撤销。
        离开设计、施工、验收阶段前须登记该阶段文件。"""
        await stages.transition(caller, access, project_id, data)
        return await views.project_out(await service.visible_project(access, project_id), access)

    @post(
        "/{project_id:str}/documents",
        opt=allow(*MANAGERS),
        responses=PROBLEMS,
        status_code=HTTP_201_CREATED,
    )
    async def add_document(
        self,
        caller: CallerDep,
        access: ScopeDep,
        project_id: FromPath[str],
        data: JSONBody[DocumentIn],
    ) -> DocumentOut:
        """登记当前阶段的文件（批复、许可、验收报告、登记证等，含文号与日期）。"""
        return await stages.add_document(caller, access, project_id, data)

    @post(
        "/{project_id:str}/subsidy",
        opt=allow(*MANAGERS),
        responses=PROBLEMS,
        status_code=HTTP_200_OK,
    )
    async def subsidy(
        self,
        caller: CallerDep,
        access: ScopeDep,
        project_id: FromPath[str],
        data: JSONBody[SubsidyIn],
    ) -> LiftProjectOut:
        """补贴：claim 申请（电梯投入使用后）；paid 登记已拨付（区住建局）。"""
        await stages.subsidy_step(caller, access, project_id, data)
        return await views.project_out(await service.visible_project(access, project_id), access)

    @post(
        "/{project_id:str}/payments",
        opt=allow(*MANAGERS),
        responses=PROBLEMS,
        status_code=HTTP_201_CREATED,
    )
    async def pay(
        self,
        caller: CallerDep,
        access: ScopeDep,
        request: Request[Any, Any, Any],
        project_id: FromPath[str],
        data: JSONBody[PaymentIn],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[PaymentOut]:
        """登记一户的分摊款：direct 直接缴纳；provident_fund 公积金提取（reference 填业务编号）；
        maintenance_fund 从本户维修资金分户账支付（生成一项维修资金使用申请，
        经表决、审核、拨付后计入）。需 Idempotency-Key。"""
        return await idempotent(
            key=idempotency_key,
            caller=caller,
            request=request,
            body=data,
            operation=lambda key: payments.pay(caller, access, project_id, data, key=key),
        )

    @post(
        "/{project_id:str}/upkeep",
        opt=allow(*MANAGERS),
        responses=PROBLEMS,
        status_code=HTTP_201_CREATED,
    )
    async def add_upkeep(
        self,
        caller: CallerDep,
        access: ScopeDep,
        project_id: FromPath[str],
        data: JSONBody[UpkeepIn],
    ) -> UpkeepOut:
        """竣工验收后分摊某年度的电梯维护保养（maintenance）或定期检验（inspection）费用。"""
        return await payments.add_upkeep(caller, access, project_id, data)

    @get(
        "/{project_id:str}/notice.pdf",
        opt=allow(*READERS),
        responses=PROBLEMS,
        media_type=PDF,
    )
    async def notice(self, access: ScopeDep, project_id: FromPath[str]) -> Response[bytes]:
        """加装电梯公示（PDF）：表决结果、反对意见及理由、分摊方案；业主姓名只显示首尾字。"""
        project = await service.visible_project(access, project_id)
        context = await notice_context(project)
        content = await render_pdf("documents/lift_notice.html", {"n": context})
        return pdf_response(
            content,
            ascii_name(f"lift-notice-{project['id']}.pdf"),
            f"{context['community']}{context['place']}加装电梯公示.pdf",
        )

    @get(
        "/{project_id:str}/notice.xlsx",
        opt=allow(*READERS),
        responses=PROBLEMS,
        media_type=XLSX,
    )
    async def notice_xlsx(self, access: ScopeDep, project_id: FromPath[str]) -> Response[bytes]:
        """加装电梯公示的 Excel 版（同样的表格：概况、表决结果、反对意见、分摊方案）；
        业主姓名只显示首尾字。"""
        project = await service.visible_project(access, project_id)
        context = await notice_context(project)
        return xlsx_response(
            notice_workbook(context),
            ascii_name(f"lift-notice-{project['id']}.xlsx"),
            f"{context['community']}{context['place']}加装电梯公示.xlsx",
        )


class HouseholdLiftController(Controller):
    path = "/households"
    tags = ("加装电梯",)

    @get("/{household_id:str}/lift", opt=allow(*READERS), responses=PROBLEMS)
    async def household_lift(
        self, access: ScopeDep, paging: PagingDep, household_id: FromPath[str]
    ) -> Page[HouseholdLiftOut]:
        """一户在加装电梯项目中的分摊、约定、已缴（直接、公积金、维修资金）、待入账、尚欠及维保分摊。"""
        household = await access.household(household_id, Household.id)
        items, cursor = await views.household_lift_page(household["id"], paging)
        return Page(items=items, next_cursor=cursor)


ROUTE_HANDLERS = [LiftSettingsController, LiftProjectController, HouseholdLiftController]
