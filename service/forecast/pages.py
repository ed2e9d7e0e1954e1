"""Forecast pages: a community's (or a building's) fund over the next years with a chart,
for the owners' committee and the bureau; the same service and scope as the API."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import get
from litestar.params import FromPath, FromQuery
from litestar.response import Template
from msgspec import Meta

from service.auth.roles import AUDITOR, BUREAU, COMMITTEE, COMPANY, allow
from service.forecast import rules, schemas, service
from service.http import CallerDep, ScopeDep
from service.registry.tables import Building, Community
from service.web.render import page

FORECAST_PAGE_READERS = (BUREAU, AUDITOR, COMPANY, COMMITTEE)
SCENARIO_NAMES = {
    "expected": "按近期续交率续交",
    "none": "不续交",
    "full": "足额续交",
    "major_repair": "提前大修",
}
Years = Annotated[int, Meta(ge=1, le=rules.MAX_YEARS)]


async def _render(
    place: dict[str, Any],
    community: dict[str, Any],
    result: schemas.ForecastOut,
    buildings: list[dict[str, Any]],
    repair_year: int | None,
    component: str | None,
) -> Template:
    return page(
        "forecast.html",
        place=place,
        community=community,
        forecast=result,
        buildings=buildings,
        building_names={str(b["id"]): b["name"] for b in buildings},
        scenario_names=SCENARIO_NAMES,
        components=rules.LIFECYCLE,
        repair_year=repair_year,
        component=component,
        max_years=rules.MAX_YEARS,
        chart={
            "months": [m.month for m in result.months],
            "balance": [m.balance for m in result.months],
            "repairs": [m.repairs for m in result.months],
            "threshold": result.threshold,
        },
    )


@get(
    "/communities/{community_id:str}/fund/forecast",
    opt=allow(*FORECAST_PAGE_READERS),
    include_in_schema=False,
)
async def community_forecast_page(
    access: ScopeDep,
    community_id: FromPath[str],
    years: FromQuery[Years] = rules.DEFAULT_YEARS,
    scenario: FromQuery[schemas.Scenario] = "expected",
    repair_year: FromQuery[Years | None] = None,
    component: FromQuery[schemas.ComponentKey | None] = None,
) -> Template:
    """小区维修资金预测：逐月余额走势图、首次低于续交线的月份、保持线上所需续筹、预计维修。"""
    community = await access.community(community_id, Community.id, Community.name)
    result = await service.forecast(
        community["id"],
        scenario=scenario,
        years=years,
        repair_year=repair_year,
        component=component,
    )
    buildings = await (
        Building.select(Building.id, Building.name)
        .where(Building.community == community["id"])
        .order_by(Building.name)
    )
    place = {"name": community["name"], "path": f"/communities/{community['id']}"}
    return await _render(place, community, result, buildings, repair_year, component)


@get(
    "/buildings/{building_id:str}/fund/forecast",
    opt=allow(*FORECAST_PAGE_READERS),
    include_in_schema=False,
)
async def building_forecast_page(
    access: ScopeDep,
    building_id: FromPath[str],
    years: FromQuery[Years] = rules.DEFAULT_YEARS,
    scenario: FromQuery[schemas.Scenario] = "expected",
    repair_year: FromQuery[Years | None] = None,
    component: FromQuery[schemas.ComponentKey | None] = None,
) -> Template:
    """楼栋维修资金预测（该楼各户分户账之和）。"""
    building = await access.building(
        building_id, Building.id, Building.name, Building.community, Building.community.name
    )
    result = await service.forecast(
        building["community"],
        building["id"],
        scenario=scenario,
        years=years,
        repair_year=repair_year,
        component=component,
    )
    community = {"id": building["community"], "name": building["community.name"]}
    place = {
        "name": f"{community['name']} {building['name']}",
        "path": f"/buildings/{building['id']}",
    }
    return await _render(place, community, result, [], repair_year, component)


@get("/fund/forecasts", opt=allow(BUREAU, AUDITOR), include_in_schema=False)
async def district_forecasts_page(
    caller: CallerDep,
    years: FromQuery[Years] = rules.DEFAULT_YEARS,
    scenario: FromQuery[schemas.Scenario] = "expected",
) -> Template:
    """全区各小区维修资金预测一览：按首次低于续交线的月份排序，最早的在前。"""
    rows = await service.district_forecasts(caller.district_id, scenario=scenario, years=years)
    return page(
        "forecasts.html",
        rows=rows,
        scenario=scenario,
        years=years,
        scenario_names={k: v for k, v in SCENARIO_NAMES.items() if k != "major_repair"},
        max_years=rules.MAX_YEARS,
        below=sum(1 for _, f in rows if f.first_below is not None),
    )


PAGE_HANDLERS = [community_forecast_page, building_forecast_page, district_forecasts_page]
