"""The communities a caller sees, as a page."""

from __future__ import annotations

from litestar import get
from litestar.response import Template

from service.auth.roles import AUDITOR, BUREAU, COMMITTEE, COMPANY, CONTRACTOR, allow
from service.http import ScopeDep
from service.registry.tables import Community
from service.web.render import page

LIST_LIMIT = 500


@get(
    "/communities",
    opt=allow(BUREAU, AUDITOR, COMPANY, COMMITTEE, CONTRACTOR),
    include_in_schema=False,
)
async def community_list(access: ScopeDep) -> Template:
    """可见的小区。"""
    rows = await (
        Community.select(
            Community.id,
            Community.name,
            Community.code,
            Community.built_year,
            Community.area.name.as_alias("area_name"),
        )
        .where(access.communities(Community.id, Community.district))
        .order_by(Community.code)
        .limit(LIST_LIMIT)
    )
    return page("communities.html", communities=rows)


PAGE_HANDLERS = [community_list]
