"""Document downloads from the pages: the same renderers as the API's documents."""

from __future__ import annotations

from litestar import Response, get
from litestar.params import FromPath, FromQuery

from service.auth.roles import allow
from service.http import ScopeDep
from service.reports.routes import STATEMENT_READERS, fund_statement_pdf


@get(
    "/communities/{community_id:str}/fund/statement.pdf",
    opt=allow(*STATEMENT_READERS),
    include_in_schema=False,
    media_type="application/pdf",
)
async def statement_download(
    access: ScopeDep, community_id: FromPath[str], year: FromQuery[str | None] = None
) -> Response[bytes]:
    """年度维修资金收支公布表（业主只看到本人房屋的分户明细）。"""
    return await fund_statement_pdf(access, community_id, year, disposition="attachment")


PAGE_HANDLERS = [statement_download]
