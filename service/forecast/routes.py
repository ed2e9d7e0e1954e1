"""Fund forecast API (API.md "Standards and forecast"): read by whoever reads the
community's fund, scoped the same way."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, put
from litestar.params import FromPath, FromQuery, JSONBody
from msgspec import Meta

from service.auth.roles import BUREAU, allow
from service.forecast import rules, schemas, service, settings
from service.funds.routes import FUND_READERS
from service.http import PROBLEMS, CallerDep, ScopeDep
from service.registry.tables import Building

Years = Annotated[int, Meta(ge=1, le=rules.MAX_YEARS)]


class CommunityForecastController(Controller):
    path = "/communities"
    tags = ("维修资金",)

    @get("/{community_id:str}/fund/forecast", opt=allow(*FUND_READERS), responses=PROBLEMS)
    async def community(
        self,
        access: ScopeDep,
        community_id: FromPath[str],
        years: FromQuery[Years] = rules.DEFAULT_YEARS,
        scenario: FromQuery[schemas.Scenario] = "expected",
        repair_year: FromQuery[Years | None] = None,
        component: FromQuery[schemas.ComponentKey | None] = None,
    ) -> schemas.ForecastOut:
        """小区维修资金逐月预测：余额、续交、利息与预计维修支出，首次低于首期交存额 30%
        的月份，以及保持在续交线以上每平方米需一次续筹的金额。情景：expected（按近期续交率）、
        none（不续交）、full（足额续交）、major_repair（第 repair_year 年大修 component）。"""
        community = await access.community(community_id)
        return await service.forecast(
            community["id"],
            scenario=scenario,
            years=years,
            repair_year=repair_year,
            component=component,
        )


class BuildingForecastController(Controller):
    path = "/buildings"
    tags = ("维修资金",)

    @get("/{building_id:str}/fund/forecast", opt=allow(*FUND_READERS), responses=PROBLEMS)
    async def building(
        self,
        access: ScopeDep,
        building_id: FromPath[str],
        years: FromQuery[Years] = rules.DEFAULT_YEARS,
        scenario: FromQuery[schemas.Scenario] = "expected",
        repair_year: FromQuery[Years | None] = None,
        component: FromQuery[schemas.ComponentKey | None] = None,
    ) -> schemas.ForecastOut:
        """楼栋维修资金逐月预测（该楼各户分户账之和，维修按本楼面积计）。参数同小区预测。"""
        building = await access.building(building_id, Building.id, Building.community)
        return await service.forecast(
            building["community"],
            building["id"],
            scenario=scenario,
            years=years,
            repair_year=repair_year,
            component=component,
        )


class ForecastSettingsController(Controller):
    path = "/fund/forecast-settings"
    tags = ("维修资金",)

    @get("/", opt=allow(*FUND_READERS), responses=PROBLEMS)
    async def read(self, caller: CallerDep) -> schemas.ForecastSettingsOut:
        """本区预测所用的部件寿命与更新单价（source：default 为我们设定的默认值，
        district 为本区数据）。"""
        table, own = await settings.lifecycle(caller.district_id)
        return schemas.ForecastSettingsOut(lifecycle=settings.lifecycle_out(table, own))

    @put("/", opt=allow(BUREAU), responses=PROBLEMS)
    async def replace(
        self, caller: CallerDep, data: JSONBody[schemas.ForecastSettingsIn]
    ) -> schemas.ForecastSettingsOut:
        """替换本区的部件寿命与更新单价；未列出的部件恢复默认值。"""
        await settings.replace_lifecycle(caller, data)
        table, own = await settings.lifecycle(caller.district_id)
        return schemas.ForecastSettingsOut(lifecycle=settings.lifecycle_out(table, own))


ROUTE_HANDLERS = [
    CommunityForecastController,
    BuildingForecastController,
    ForecastSettingsController,
]
