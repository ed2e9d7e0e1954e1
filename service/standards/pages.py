"""The bureau's standards page: the district's matrix (communities and areas × items,
colour-coded) for a quarter, its history by quarter, the late rectification tasks, and
the PDF and Excel for the monthly meeting (月例会)."""

from __future__ import annotations

from litestar import Response, get
from litestar.params import FromQuery
from litestar.response import Template

from service.auth.roles import AUDITOR, BUREAU, allow
from service.clock import today
from service.http import CallerDep, ScopeDep
from service.standards import document, rules, service
from service.standards.routes import (
    chosen_quarter,
    matrix_pdf_response,
    matrix_xlsx_response,
)
from service.standards.tables import Rectification
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


PAGE_HANDLERS = [standards_page, matrix_pdf_download, matrix_xlsx_download]
