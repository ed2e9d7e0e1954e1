"""Standards API (API.md "Standards and forecast": the catalogue and inspections; the
tasks, the matrix and its documents are ours, in the same style).

Who may call what: the bureau keeps the catalogue and records inspections and closes
tasks; a street office's user records inspections of the areas the bureau named for it
and their communities; the responsible company, contractor or street office answers its
tasks (the bureau answers for operators, which have no users here, and may for street
offices); the company sees its communities' inspections and tasks, the committee its
community's, a contractor the tasks given to it, a street office its own inspections and
the tasks given to it; the matrix and its documents are the bureau's (and the auditor's).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Response, get, post
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from service.auth.roles import AUDITOR, BUREAU, COMMITTEE, COMPANY, CONTRACTOR, STREET, allow
from service.clock import today
from service.errors import InputError
from service.http import PROBLEMS, CallerDep, PagingDep, ScopeDep
from service.pagination import Page, fetch_page
from service.reports.routes import PDF, ascii_name, pdf_response
from service.standards import document, rules, schemas, service, views
from service.standards.tables import Inspection, Rectification

CATALOGUE_READERS = (BUREAU, AUDITOR, COMPANY, COMMITTEE, CONTRACTOR, STREET)
INSPECTORS = (BUREAU, STREET)
INSPECTION_READERS = (BUREAU, AUDITOR, COMPANY, COMMITTEE, STREET)
TASK_READERS = (BUREAU, AUDITOR, COMPANY, COMMITTEE, CONTRACTOR, STREET)
DISTRICT = (BUREAU, AUDITOR)


def catalogue_out(row: dict[str, Any]) -> schemas.CatalogueOut:
    return schemas.CatalogueOut(
        id=row["id"],
        version=int(row["version"]),
        items=[
            schemas.StandardItemOut(
                code=i["code"],
                name=i["name"],
                level=i["level"],
                group=i["group"],
                group_name=rules.group_name(i["group"]),
                check=i.get("check") or "",
                utility=i.get("utility"),
                warranty_category=i.get("warranty_category"),
                fallback=i.get("fallback") or "company",
                workdays=int(i.get("workdays") or rules.DEFAULT_WORKDAYS),
                rating_item=i.get("rating_item"),
                district_own=bool(i.get("district_own")),
            )
            for i in service.items_of(row)
        ],
        created_at=row["created_at"],
    )


def chosen_level(level: str | None) -> str:
    if level is None:
        return rules.COMMUNITY
    if level not in rules.LEVELS:
        raise InputError("level", "应为 community 或 area")
    return level


def chosen_quarter(quarter: str | None) -> str:
    if quarter is None:
        return rules.quarter_of(today())
    if not rules.quarter_allowed(quarter):
        raise InputError("quarter", "季度格式应为 YYYYQn（2000 至 2100 年），如 2026Q4")
    return quarter


async def matrix_pdf_response(district_id: UUID, quarter: str | None) -> Response[bytes]:
    """The matrix PDF as an answer (API and page)."""
    chosen = chosen_quarter(quarter)
    content = await document.matrix_pdf(district_id, chosen)
    return pdf_response(
        content, ascii_name(f"standards-{chosen}.pdf"), f"改造提质标准达标矩阵{chosen}.pdf"
    )


async def matrix_xlsx_response(district_id: UUID, quarter: str | None) -> Response[bytes]:
    """The matrix workbook as an answer (API and page)."""
    chosen = chosen_quarter(quarter)
    content = await document.matrix_xlsx(district_id, chosen)
    return Response(
        content,
        media_type=document.XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="standards-{chosen}.xlsx"'},
    )


class StandardsController(Controller):
    path = "/standards"
    tags = ("改造提质标准",)

    @get("/", opt=allow(*CATALOGUE_READERS), responses=PROBLEMS)
    async def catalogue(self, caller: CallerDep) -> schemas.CatalogueOut:
        """本区现行标准目录：小区（三入、四通、四有、两整）与片区（三合、三整、九有）各项，
        含检查方法、整改责任路由与整改期限（工作日）。"""
        return catalogue_out(await service.current_catalogue(caller.district_id))

    @post("/items", opt=allow(BUREAU), responses=PROBLEMS, status_code=HTTP_201_CREATED)
    async def add_item(
        self, caller: CallerDep, data: JSONBody[schemas.StandardItemIn]
    ) -> schemas.CatalogueOut:
        """新增本区自定标准项，生成新版本目录；已有检查沿用其当时的版本。"""
        return catalogue_out(await service.add_item(caller, data))

    @get("/matrix", opt=allow(*DISTRICT), responses=PROBLEMS)
    async def matrix(
        self,
        caller: CallerDep,
        level: FromQuery[str | None] = None,
        quarter: FromQuery[str | None] = None,
    ) -> schemas.MatrixOut:
        """本区标准达标矩阵（小区或片区 × 标准项，一个季度）：每格为本季度最近一次检查结论，
        未达标且整改逾期的标为 overdue。level=community|area，quarter=YYYYQn（默认本季度）。"""
        return await views.matrix(caller.district_id, chosen_level(level), chosen_quarter(quarter))

    @get("/history", opt=allow(*DISTRICT), responses=PROBLEMS)
    async def history(
        self,
        caller: CallerDep,
        level: FromQuery[str | None] = None,
        quarter: FromQuery[str | None] = None,
        quarters: FromQuery[int] = 4,
    ) -> schemas.HistoryOut:
        """截至 quarter（默认本季度）的最近 quarters 个季度（1 至 12）的达标与整改情况。"""
        if not 1 <= quarters <= 12:
            raise InputError("quarters", "应为 1 至 12")
        labels = rules.previous_quarters(chosen_quarter(quarter), quarters)
        return await views.history(caller.district_id, chosen_level(level), labels)

    @get("/matrix.pdf", opt=allow(*DISTRICT), responses=PROBLEMS, media_type=PDF)
    async def matrix_pdf(
        self, caller: CallerDep, quarter: FromQuery[str | None] = None
    ) -> Response[bytes]:
        """标准达标矩阵（PDF，供月例会使用）：小区与片区两张矩阵，附最近四个季度的历史。"""
        return await matrix_pdf_response(caller.district_id, quarter)

    @get(
        "/matrix.xlsx",
        opt=allow(*DISTRICT),
        responses=PROBLEMS,
        media_type=document.XLSX_MEDIA_TYPE,
    )
    async def matrix_xlsx(
        self, caller: CallerDep, quarter: FromQuery[str | None] = None
    ) -> Response[bytes]:
        """标准达标矩阵的 Excel 版（小区、片区、季度历史三张表）。"""
        return await matrix_xlsx_response(caller.district_id, quarter)


class InspectionController(Controller):
    path = "/inspections"
    tags = ("改造提质标准",)

    @post("/", opt=allow(*INSPECTORS), responses=PROBLEMS, status_code=HTTP_201_CREATED)
    async def create(
        self, caller: CallerDep, access: ScopeDep, data: JSONBody[schemas.InspectionIn]
    ) -> schemas.InspectionOut:
        """记录一次小区或片区的标准检查（逐项 met / not_met / na，可附照片与说明）：
        每个未达标项开出整改任务（按责任路由：专业经营单位、保修期内的施工单位、物业服务企业或
        街道办事处），期限按工作日计算；复查达标即关闭该项的整改任务。街道用户只能检查区住建局
        指定给本街道的片区及其小区，检查记在本街道名下。"""
        made = await service.record_inspection(caller, access, data)
        return await views.inspection_out(
            await service.visible_inspection(caller, access, made["id"])
        )

    @get("/", opt=allow(*INSPECTION_READERS), responses=PROBLEMS)
    async def list_inspections(
        self,
        caller: CallerDep,
        access: ScopeDep,
        paging: PagingDep,
        community_id: FromQuery[UUID | None] = None,
        area_id: FromQuery[UUID | None] = None,
    ) -> Page[schemas.InspectionOut]:
        """可见的标准检查记录（物业服务企业与业主委员会只看到其小区的）。"""
        query = Inspection.select(
            *Inspection.all_columns(),
            Inspection.catalogue.version.as_alias("catalogue_version"),
            Inspection.community._.name.as_alias("community_name"),
            Inspection.area._.name.as_alias("area_name"),
        ).where(service.inspection_visibility(caller, access))
        if community_id is not None:
            query = query.where(Inspection.community == community_id)
        if area_id is not None:
            query = query.where(Inspection.area == area_id)
        rows, cursor = await fetch_page(query, Inspection.id, paging)
        return Page(items=[await views.inspection_out(r) for r in rows], next_cursor=cursor)

    @get("/{inspection_id:str}", opt=allow(*INSPECTION_READERS), responses=PROBLEMS)
    async def read(
        self, caller: CallerDep, access: ScopeDep, inspection_id: FromPath[str]
    ) -> schemas.InspectionOut:
        """一次检查的逐项结论、照片、开出与关闭的整改任务。"""
        return await views.inspection_out(
            await service.visible_inspection(caller, access, inspection_id)
        )


class RectificationController(Controller):
    path = "/rectifications"
    tags = ("改造提质标准",)

    @get("/", opt=allow(*TASK_READERS), responses=PROBLEMS)
    async def list_tasks(
        self,
        caller: CallerDep,
        access: ScopeDep,
        paging: PagingDep,
        status: FromQuery[str | None] = None,
        overdue: FromQuery[bool | None] = None,
        community_id: FromQuery[UUID | None] = None,
        area_id: FromQuery[UUID | None] = None,
        responsible_kind: FromQuery[str | None] = None,
    ) -> Page[schemas.TaskOut]:
        """可见的整改任务；status=open|answered|closed，overdue=true 只列逾期未完成的。"""
        query = service.task_list_query(
            caller,
            access,
            status=status,
            overdue=overdue,
            community_id=community_id,
            area_id=area_id,
            responsible_kind=responsible_kind,
        )
        rows, cursor = await fetch_page(query, Rectification.id, paging)
        return Page(items=[service.task_out(r) for r in rows], next_cursor=cursor)

    @get("/{task_id:str}", opt=allow(*TASK_READERS), responses=PROBLEMS)
    async def read(
        self, caller: CallerDep, access: ScopeDep, task_id: FromPath[str]
    ) -> schemas.TaskOut:
        """一项整改任务：责任方及理由、期限、是否逾期、答复与关闭情况。"""
        return service.task_out(await service.visible_task(caller, access, task_id))

    @post(
        "/{task_id:str}/transitions",
        opt=allow(BUREAU, COMPANY, CONTRACTOR, STREET),
        responses=PROBLEMS,
        status_code=HTTP_200_OK,
    )
    async def transition(
        self,
        caller: CallerDep,
        access: ScopeDep,
        task_id: FromPath[str],
        data: JSONBody[schemas.TransitionIn],
    ) -> schemas.TaskOut:
        """answer：责任方答复整改情况（专业经营单位的由区住建局代为登记，街道办事处的可由其用户
        或区住建局登记）；
        close：区住建局现场确认后关闭；reopen：区住建局认为答复不实，退回整改。"""
        done = await service.transition(caller, access, task_id, data)
        return service.task_out(await service.visible_task(caller, access, done))


ROUTE_HANDLERS = [StandardsController, InspectionController, RectificationController]
