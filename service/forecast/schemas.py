"""Response bodies of the fund forecast (API.md "Standards and forecast")."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

import msgspec

from service.registry.schemas import Input
from service.units import PositiveMoney

Scenario = Literal["expected", "none", "full", "major_repair"]
ComponentKey = Literal["roof", "waterproofing", "pipes", "lifts", "facades"]
RateSource = Literal["recent", "default"]


class ForecastMonthOut(msgspec.Struct):
    month: str
    balance: str
    deposits: str
    interest: str
    repairs: str
    # What the balance could not cover: the owners fund it themselves (自筹).
    shortfall: str


class ForecastYearOut(msgspec.Struct):
    year: int
    first_month: str
    last_month: str
    balance: str
    deposits: str
    interest: str
    repairs: str
    shortfall: str


class ForecastRepairOut(msgspec.Struct):
    month: str
    component: ComponentKey
    name: str
    building_id: UUID
    amount: str
    overdue: bool


class LifecycleOut(msgspec.Struct):
    component: ComponentKey
    name: str
    life_years: int
    cost_per_m2: str
    # default: our value; district: the district's own (PUT /fund/forecast-settings).
    source: Literal["default", "district"]


class ForecastOut(msgspec.Struct):
    community_id: UUID
    building_id: UUID | None
    scenario: Scenario
    years: int
    start: str
    opening_balance: str
    first_deposits: str
    floor_area: str
    threshold: str
    first_below: str | None
    replenish_per_m2: str | None
    interest_rate_percent: str
    interest_rate_source: RateSource
    payment_rate_percent: str
    payment_rate_source: RateSource
    months: list[ForecastMonthOut]
    by_year: list[ForecastYearOut]
    repairs: list[ForecastRepairOut]
    lifecycle: list[LifecycleOut]


class LifecycleIn(Input):
    component: ComponentKey
    life_years: Annotated[int, msgspec.Meta(ge=1, le=100)]
    cost_per_m2: PositiveMoney


class ForecastSettingsIn(Input):
    """The district's own life-cycle data; components not listed go back to our defaults."""

    lifecycle: Annotated[list[LifecycleIn], msgspec.Meta(max_length=20)]


class ForecastSettingsOut(msgspec.Struct):
    lifecycle: list[LifecycleOut]
