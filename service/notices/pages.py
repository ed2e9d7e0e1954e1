"""The inbox page: the caller's and its organisation's notices, newest first, each
linking to its object; marking one read."""

from __future__ import annotations

from typing import Any

from litestar import Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from service.auth.roles import ALL_ROLES, allow
from service.clock import DISTRICT_ZONE
from service.http import CallerDep
from service.notices import service
from service.notices.routes import attachment_path
from service.pagination import DEFAULT_LIMIT, Paging, decode_cursor
from service.web.render import page, see_other

KIND_NAMES = {
    "replenishment": "续交提醒",
    "replenishment_summary": "续交汇总",
    "first_deposit": "首期交存提醒",
    "first_deposit_summary": "首期交存汇总",
    "warranty_end": "保修期届满",
    "repair_overdue": "维修超期",
    "contract_end": "合同到期",
    "contract_handover": "合同交接",
    "rating_open": "评价期开始",
    "rating_close": "评价期结束",
    "rating_appeal": "申诉待答复",
    "fund_statement": "年度公布",
    "ledger_drift": "账簿校验异常",
    "vote_closed": "表决结束",
}


def _local(moment: Any) -> str:
    return moment.astimezone(DISTRICT_ZONE).strftime("%Y-%m-%d %H:%M") if moment else ""


@get("/notices", opt=allow(*ALL_ROLES), include_in_schema=False)
async def notice_list(
    caller: CallerDep, unread: FromQuery[bool] = False, cursor: FromQuery[str | None] = None
) -> Template:
    """通知：本人及本单位收到的提醒，最新在前。"""
    paging = Paging(limit=DEFAULT_LIMIT, after=decode_cursor(cursor) if cursor else None)
    rows, next_cursor = await service.inbox(caller, paging, unread)
    return page(
        "notices.html",
        notices=rows,
        unread=unread,
        next_cursor=next_cursor,
        unread_count=await service.unread_count(caller),
        kind_names=KIND_NAMES,
        local=_local,
    )


@post("/notices/{notice_id:str}/read", opt=allow(*ALL_ROLES), include_in_schema=False)
async def notice_read(caller: CallerDep, notice_id: FromPath[str]) -> Response[Any]:
    notice = await service.mark_read(caller, notice_id)
    return see_other(str(notice["link"]) if notice["link"] else "/notices")


@get("/notices/{notice_id:str}/attachment", opt=allow(*ALL_ROLES), include_in_schema=False)
async def notice_file(caller: CallerDep, notice_id: FromPath[str]) -> Response[bytes]:
    path = attachment_path(await service.visible_notice(caller, notice_id))
    return Response(
        path.read_bytes(),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{path.name}"'},
    )


PAGE_HANDLERS = [notice_list, notice_read, notice_file]
