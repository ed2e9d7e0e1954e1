"""The bureau's standards page: the district's matrix (communities and areas × items,
colour-coded) for a quarter, its history by quarter, the late rectification tasks, and
the PDF and Excel for the monthly meeting (月例会). A street office's home: the areas it
covers, its inspections and the tasks given to it."""

from __future__ import annotations

from litestar import Response, get
from litestar.params import FromQuery
from litestar.response import Template

from service.auth.roles import AUDITOR, BUREAU, STREET, allow
from service.clock import today
from service.http import CallerDep, ScopeDep
from service.registry.tables import Area
from service.standards import document, rules, service, views
from service.standards.routes import (
    chosen_quarter,
    matrix_pdf_response,
    matrix_xlsx_response,
)
from service.standards.tables import Inspection, Rectification
from service.web.render import page

DISTRICT = (BUREAU, AUDITOR)


@get("/standards", opt=allow(*DISTRICT), include_in_schema=False)
async def standards_page(
    caller: CallerDep, access: ScopeDep, quarter: FromQuery[str | None] = None
) -> Template:
    """改造提质标准：本区达标矩阵、季度历史与逾期整改任务。"""
    chosen = chosen_quarter(quarter)
    context = await document.matrices(caller.district_id, chosen)
    late = await (
        service.task_list_query(caller, access, overdue=True)
        .order_by(Rectification.due_on)
        .limit(100)
    )
    return page(
        "standards.html",
        **context,
        late=[service.task_out(t) for t in late],
        responsible_names=rules.RESPONSIBLE_NAMES,
        quarters=rules.previous_quarters(rules.quarter_of(today()), 6),
    )


@get(
    "/standards/matrix.pdf",
    opt=allow(*DISTRICT),
    include_in_schema=False,
    media_type="application/pdf",
)
async def matrix_pdf_download(
    caller: CallerDep, quarter: FromQuery[str | None] = None
) -> Response[bytes]:
    """达标矩阵 PDF（月例会材料）。"""
    return await matrix_pdf_response(caller.district_id, quarter)


@get(
    "/standards/matrix.xlsx",
    opt=allow(*DISTRICT),
    include_in_schema=False,
    media_type=document.XLSX_MEDIA_TYPE,
)
async def matrix_xlsx_download(
    caller: CallerDep, quarter: FromQuery[str | None] = None
) -> Response[bytes]:
    """达标矩阵 Excel。"""
    return await matrix_xlsx_response(caller.district_id, quarter)


@get("/standards/street", opt=allow(STREET), include_in_schema=False)
async def street_page(caller: CallerDep, access: ScopeDep) -> Template:
    """街道办事处：负责的片区、本街道的检查记录与派给本街道的整改任务。"""
    areas = await (
        Area.select(Area.name)
        .where(Area.id.is_in(sorted(access.area_ids or [], key=str) or [None]))
        .order_by(Area.name)
    )
    inspections = await (
        Inspection.select(
            *Inspection.all_columns(),
            Inspection.catalogue.version.as_alias("catalogue_version"),
            Inspection.community._.name.as_alias("community_name"),
            Inspection.area._.name.as_alias("area_name"),
        )
        .where(service.inspection_visibility(caller, access))
        .order_by(Inspection.inspected_on, ascending=False)
        .limit(50)
    )
    tasks = await (
        service.task_list_query(caller, access)
        .order_by(Rectification.status, Rectification.due_on)
        .limit(100)
    )
    return page(
        "street.html",
        areas=[a["name"] for a in areas],
        inspections=[await views.inspection_out(i) for i in inspections],
        tasks=[service.task_out(t) for t in tasks],
    )


PAGE_HANDLERS = [standards_page, matrix_pdf_download, matrix_xlsx_download, street_page]
