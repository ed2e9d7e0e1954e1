"""Fund pages: a community's fund at a glance (the committee's home), the household
lookup, each household's account with every journal line, and the ledger check."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from service.auth.roles import AUDITOR, BUREAU, COMMITTEE, COMPANY, allow
from service.clock import today
from service.funds import ledger, reads
from service.funds.routes import FUND_READERS, VERIFIERS
from service.http import ScopeDep
from service.lifts.rules import STAGE_NAMES as LIFT_STAGES
from service.lifts.tables import LiftProject
from service.lifts.views import household_lift
from service.pagination import Paging
from service.registry.places import flats
from service.registry.tables import Community, Household
from service.web.render import page

COMMUNITY_READERS = (BUREAU, AUDITOR, COMPANY, COMMITTEE)
KIND_NAMES = {
    "first_deposit": "首期交存",
    "replenish": "续交",
    "interest": "利息",
    "income": "公共收益",
    "use": "维修支出",
    "refund": "退还",
    "reversal": "冲正",
}
STATEMENT_LINES = 500


@get("/communities/{community_id:str}", opt=allow(*COMMUNITY_READERS), include_in_schema=False)
async def community_page(access: ScopeDep, community_id: FromPath[str]) -> Template:
    """小区维修资金概览：余额、本金、利息、24 个月余额走势、需续交房屋及应补金额、哈希链头。"""
    community = await access.community(
        community_id, Community.id, Community.name, Community.code, Community.built_year
    )
    fund = await reads.community_fund(community["id"])
    below, more = await reads.replenishment_list(community["id"], Paging(limit=100, after=None))
    return page(
        "community.html",
        community=community,
        fund=fund,
        below=below,
        more_below=more is not None,
        series=await reads.monthly_balances(community["id"], today()),
        year=today().year,
        lift_projects=await LiftProject.count().where(LiftProject.community == community["id"]),
    )


@get(
    "/communities/{community_id:str}/fund/verify",
    opt=allow(*VERIFIERS),
    include_in_schema=False,
)
async def verify_page(access: ScopeDep, community_id: FromPath[str]) -> Template:
    """从分录重算哈希链与每户余额（页面以 htmx 载入结果）。"""
    community = await access.community(community_id, Community.id, Community.name)
    return page("_verify.html", result=await ledger.verify(community["id"]), community=community)


@get(
    "/communities/{community_id:str}/households",
    opt=allow(*COMMUNITY_READERS),
    include_in_schema=False,
)
async def household_lookup(
    request: Request[Any, Any, Any],
    access: ScopeDep,
    community_id: FromPath[str],
    q: FromQuery[str] = "",
) -> Template:
    """房屋查询：按楼栋、房号或业主姓名查找，点开看分户账。"""
    community = await access.community(community_id, Community.id, Community.name)
    rows = await reads.household_lookup(community["id"], q[:50])
    partial = request.headers.get("HX-Request") == "true"
    return page(
        "_household_rows.html" if partial else "households_lookup.html",
        community=community,
        rows=rows,
        q=q,
    )


@get("/households/{household_id:str}", opt=allow(*FUND_READERS), include_in_schema=False)
async def household_page(access: ScopeDep, household_id: FromPath[str]) -> Template:
    """分户账：余额、应补金额、自筹欠款，以及每一笔记账（注明记账时的业主）。"""
    household = await access.household(household_id)
    (facts,) = await flats(Household.id == household["id"])
    entries, more = await reads.household_entries(
        household["id"], Paging(limit=STATEMENT_LINES, after=None)
    )
    return page(
        "household.html",
        household=household,
        label=facts["label"],
        facts=facts,
        fund=await reads.household_fund(household),
        entries=entries,
        more=more is not None,
        kind_names=KIND_NAMES,
        year=today().year,
        lifts=await household_lift(household["id"]),
        lift_stages={s.value: name for s, name in LIFT_STAGES.items()},
    )


PAGE_HANDLERS = [community_page, verify_page, household_lookup, household_page]
