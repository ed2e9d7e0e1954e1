"""The publicity notice of a lift retrofit (加装电梯公示): the consent result with the
objections and their reasons, and the cost sharing by floor — owners' names masked
(张*明), no identity numbers and no phone numbers."""

from __future__ import annotations

from typing import Any

from service.errors import Conflict
from service.lifts import rules
from service.lifts.consent import consent_result
from service.lifts.rules import LiftStatus
from service.lifts.service import factors_from_json, place_name
from service.lifts.tables import LiftShare
from service.registry.rules import mask_name
from service.registry.tables import Building, Community
from service.units import format_area, format_factor, format_yuan


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
            }
            for s in sorted(shares, key=lambda s: (s["floor"], s["room_no"]))
        ],
    }
