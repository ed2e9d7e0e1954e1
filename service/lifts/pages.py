"""Lift retrofit pages: the projects the caller sees, and one project with its stage,
budget, documents, the consent tally drawn against art. 278's thresholds, the
objections and every household's share (an owner's own flats highlighted, with what
they paid, have pending and still owe)."""

from __future__ import annotations

from typing import Any

from litestar import get
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from service.auth.roles import AUDITOR, BUREAU, COMMITTEE, COMPANY, OWNER, allow
from service.fund_uses.pages import drawn_bars
from service.http import CallerDep, ScopeDep
from service.lifts import service, views
from service.lifts.consent import tally_of
from service.lifts.rules import STAGE_NAMES, LiftStatus
from service.lifts.tables import LiftProject
from service.registry.tables import Community, Household
from service.votes.rules import Matter
from service.web.render import page

READERS = (BUREAU, AUDITOR, COMPANY, COMMITTEE, OWNER)
SUBSIDY_NAMES = {"unclaimed": "未申请", "claimed": "已申请，待拨付", "paid": "已拨付"}
DOCUMENT_STAGE_NAMES = {s.value: name for s, name in STAGE_NAMES.items()}
UPKEEP_NAMES = {"maintenance": "维护保养", "inspection": "定期检验"}
ACTION_NAMES = {
    "create": "建立项目",
    "consent_given": "业主表决通过",
    "consent_refused": "业主表决未通过",
    "design_approved": "设计与审批完成",
    "construction_done": "施工完成",
    "accepted": "竣工验收",
    "registered": "特种设备使用登记",
    "cancel": "撤销",
    "claim": "申请补贴",
    "paid": "补贴拨付",
}


async def _community_names(ids: set[Any]) -> dict[Any, str]:
    if not ids:
        return {}
    rows = await Community.select(Community.id, Community.name).where(Community.id.is_in(list(ids)))
    return {r["id"]: r["name"] for r in rows}


@get("/lift-projects", opt=allow(*READERS), include_in_schema=False)
async def lift_project_list(
    access: ScopeDep, community_id: FromQuery[str | None] = None
) -> Template:
    """加装电梯项目一览（业主只看到本人房屋所在单元的项目；可按小区筛选）。"""
    community = None
    if community_id:
        community = await access.community(community_id, Community.id, Community.name)
    query = await views.listed_projects(access, community["id"] if community else None)
    rows = await query.order_by(LiftProject.created_at, ascending=False)
    projects = [await views.project_out(r, access, full=False) for r in rows]
    names = await _community_names({p.community_id for p in projects})
    return page(
        "lift_projects.html",
        projects=projects,
        community=community,
        community_names=names,
    )


@get("/lift-projects/{project_id:str}", opt=allow(*READERS), include_in_schema=False)
async def lift_project_page(
    caller: CallerDep, access: ScopeDep, project_id: FromPath[str]
) -> Template:
    """一个加装电梯项目：所处阶段、预算与补贴、各阶段文件、表决情况（对照《民法典》
    第二百七十八条的比例）、反对意见及理由、每户的楼层系数与分摊金额。"""
    project = await service.visible_project(access, project_id)
    out = await views.project_out(project, access)
    assert out.consent is not None
    names = await _community_names({out.community_id})
    mine: set[Any] = set()
    if caller.role == OWNER:
        mine = {
            h["id"]
            for h in await Household.select(Household.id).where(Household.owner == caller.owner_id)
        }
    return page(
        "lift_project.html",
        project=out,
        community_name=names.get(out.community_id, ""),
        tally=out.consent,
        bars=drawn_bars(tally_of(out.consent), "civil_code", Matter.ALTER),
        published=project["published_at"] is not None,
        consent_open=project["status"] == LiftStatus.CONSENT.value,
        mine=mine,
        subsidy_names=SUBSIDY_NAMES,
        stage_names=DOCUMENT_STAGE_NAMES,
        upkeep_names=UPKEEP_NAMES,
        action_names=ACTION_NAMES,
    )


PAGE_HANDLERS = [lift_project_list, lift_project_page]
