"""The publicity notice of a lift retrofit (加装电梯公示): the consent result with the
objections and their reasons, and the cost sharing by floor — owners' names masked
(张*明), no identity numbers and no phone numbers. The PDF and its Excel twin show the
same tables."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from service.errors import Conflict
from service.lifts import rules
from service.lifts.consent import consent_result, tally_of
from service.lifts.rules import LiftStatus
from service.lifts.service import factors_from_json, place_name
from service.lifts.tables import LiftShare
from service.registry.rules import mask_name
from service.registry.tables import Building, Community
from service.reports import excel
from service.units import format_area, format_factor, format_yuan
from service.votes.rules import Matter, VoteRule, drawn_thresholds


async def notice_context(project: dict[str, Any]) -> dict[str, Any]:
    """Everything the template ``documents/lift_notice.html`` shows; 409 before the
    consent result is published."""
    if project["published_at"] is None:
        raise Conflict("业主表决尚未结束，结果公布后方可生成公示。")
    community = (
        await Community.select(Community.name, Community.district.name.as_alias("district_name"))
        .where(Community.id == project["community"])
        .first()
    )
    building = (
        await Building.select(Building.name).where(Building.id == project["building"]).first()
    )
    assert community is not None and building is not None
    result = await consent_result(project)
    shares = await LiftShare.select(
        *LiftShare.all_columns(),
        LiftShare.household.room_no.as_alias("room_no"),
        LiftShare.household._.owner._.name.as_alias("owner_name"),
    ).where(LiftShare.project == project["id"])
    cost, subsidy = int(project["estimated_cost_fen"]), int(project["subsidy_fen"])
    return {
        "cost_fen": cost,
        "factors": list(factors_from_json(project["coefficients"]).items()),
        "subsidy_fen": subsidy,
        "community": community["name"],
        "district": community["district_name"],
        "place": place_name(building["name"], project["unit_no"]),
        "status": rules.STAGE_NAMES[LiftStatus(project["status"])],
        "cost": format_yuan(cost),
        "subsidy": format_yuan(subsidy),
        "owners_cost": format_yuan(rules.owners_cost(cost, subsidy)),
        "coefficients": [
            (floor, format_factor(value))
            for floor, value in factors_from_json(project["coefficients"]).items()
        ],
        "tally": result,
        "approved": result.approved,
        "published_at": project["published_at"].strftime("%Y-%m-%d %H:%M"),
        "shares": [
            {
                "room_no": s["room_no"],
                "floor": s["floor"],
                "area": format_area(int(s["floor_area"])),
                "coefficient": format_factor(int(s["coefficient"])),
                "owner": mask_name(s["owner_name"]),
                "share": format_yuan(int(s["share_fen"])),
                "agreed": s["agreed_fen"] is not None,
                "share_fen": int(s["share_fen"]),
                "area_hundredths": int(s["floor_area"]),
                "coefficient_hundredths": int(s["coefficient"]),
            }
            for s in sorted(shares, key=lambda s: (s["floor"], s["room_no"]))
        ],
    }


def _factor(hundredths: int) -> Decimal:
    return Decimal(hundredths).scaleb(-2)


def notice_workbook(n: dict[str, Any]) -> bytes:
    """The notice's tables as Excel (公示概况, 表决结果, 反对意见, 分摊方案): the same
    figures as the PDF, names masked."""
    issued = (
        f"{n['district']} · {n['community']} · {n['place']}；表决结果公布于 {n['published_at']}"
    )
    privacy = "为保护业主隐私，公示仅显示业主姓名的首尾字，不含身份证号和联系电话。"
    owners_fen = rules.owners_cost(n["cost_fen"], n["subsidy_fen"])
    total = sum(s["share_fen"] for s in n["shares"])
    t = n["tally"]
    summary = excel.Sheet(
        "公示概况",
        ["项目", "内容"],
        [
            ["小区", n["community"]],
            ["加装位置", n["place"]],
            ["项目阶段", n["status"]],
            ["表决结果", "同意加装电梯" if n["approved"] else "未获通过"],
            ["表决结果公布", n["published_at"]],
            ["工程估算（元）", excel.Money(n["cost_fen"])],
            ["政府补贴（元）", excel.Money(n["subsidy_fen"])],
            ["业主分摊合计（元）", excel.Money(owners_fen)],
            ["分摊户数", len(n["shares"])],
            *[[f"{floor} 层楼层系数", _factor(value)] for floor, value in n["factors"]],
        ],
        [issued],
    )
    tally = tally_of(t)
    votes = excel.Sheet(
        "表决结果",
        ["门槛", "实际", "基数", "要求", "是否达到"],
        [
            [
                bar.label,
                excel.Area(bar.amounts(tally)[0])
                if bar.measure == "area"
                else bar.amounts(tally)[0],
                excel.Area(bar.amounts(tally)[1])
                if bar.measure == "area"
                else bar.amounts(tally)[1],
                f"{'≥' if bar.comparison == '>=' else bar.comparison} {bar.num}/{bar.den}",
                bar.met(tally),
            ]
            for bar in drawn_thresholds(VoteRule.CIVIL_CODE, Matter.ALTER)
        ],
        [
            "《民法典》第二百七十八条：专有部分面积和人数均三分之二以上的业主参与表决，"
            "参与表决的面积和人数均四分之三以上同意。一人多套按一人计，面积合并计算。",
            issued,
        ],
    )
    objections = excel.Sheet(
        "反对意见",
        ["房号", "楼层", "业主", "理由"],
        [[o.room_no, o.floor, o.owner_name, o.reason or ""] for o in t.objections],
        [privacy],
    )
    shares = excel.Sheet(
        "分摊方案",
        ["房号", "楼层", "业主", "建筑面积（m²）", "楼层系数", "分摊金额（元）", "协商约定"],
        [
            [
                s["room_no"],
                s["floor"],
                s["owner"],
                excel.Area(s["area_hundredths"]),
                _factor(s["coefficient_hundredths"]),
                excel.Money(s["share_fen"]),
                s["agreed"],
            ]
            for s in n["shares"]
        ]
        + [
            [
                "合计",
                None,
                None,
                None,
                None,
                excel.Money(total),
                None,
            ]
        ],
        [
            "业主分摊合计 = 工程估算 − 政府补贴；先按楼层系数、再按建筑面积分摊，精确到分，"
            "尾差按最大余数法分配。约定金额的住户按约定金额承担。",
            privacy,
        ],
    )
    return excel.workbook([summary, votes, objections, shares])
