"""Response bodies of the fund forecast (API.md "Standards and forecast")."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

import msgspec

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
    source: Literal["default"]


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
