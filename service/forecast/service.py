"""The fund forecast of a community or a building (issue 17 item 5): reads today's
balances, the recent interest and payment rates, the buildings and the works register,
and hands them to the pure arithmetic in ``service.forecast.rules``. Reads only."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from service.clock import today
from service.db import fetch
from service.errors import InputError
from service.forecast import rules, schemas, settings
from service.funds.rules import needs_replenishment
from service.units import format_area, format_yuan

RECENT_MONTHS = 12


@dataclass(frozen=True)
class _Building:
    id: UUID
    area: int
    has_lift: bool


@dataclass
class _Place:
    """What a community's forecast reads, loaded for one community or a whole district."""

    id: UUID
    name: str
    district: UUID
    built_on: date
    buildings: list[_Building] = field(default_factory=list)
    # (work, accepted on, category) of each component of the community's works
    components: list[tuple[UUID, date, str]] = field(default_factory=list)
    accounts: list[dict[str, Any]] = field(default_factory=list)
    lines: list[dict[str, Any]] = field(default_factory=list)


def _day(value: Any) -> date:
    """A date column (SQLite hands dates back as ISO text)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _label(start: tuple[int, int], month: int) -> str:
    year, number = rules.add_months(start[0], start[1], month - 1)
    return f"{year:04d}-{number:02d}"


async def _load(condition: str, arg: UUID) -> tuple[dict[UUID, _Place], dict[UUID, set[UUID]]]:
    """The communities matching ``condition`` on ``community AS c`` (one community, or a
    district), in seven statements whatever their number; and which buildings each work
    names (a work naming none covers its whole community)."""
    places = {
        r["id"]: _Place(r["id"], str(r["name"]), r["district"], date(int(r["built_year"]), 1, 1))
        for r in await fetch(
            f"SELECT c.id, c.name, c.district, c.built_year FROM community AS c WHERE {condition}",
            arg,
        )
    }
    # A lift retrofit, once accepted, is a lift of its building like one built with it.
    lifted = {
        r["building"]
        for r in await fetch(
            "SELECT lp.building FROM lift_project AS lp JOIN community AS c"
            f" ON c.id = lp.community WHERE lp.work IS NOT NULL AND {condition}",
            arg,
        )
    }
    for r in await fetch(
        "SELECT b.id, b.community, b.has_elevator, COALESCE(SUM(h.floor_area), 0) AS area"
        " FROM building AS b JOIN community AS c ON c.id = b.community"
        " LEFT JOIN household AS h ON h.building = b.id"
        f" WHERE {condition} GROUP BY b.id, b.community, b.has_elevator",
        arg,
    ):
        places[r["community"]].buildings.append(
            _Building(r["id"], int(r["area"]), bool(r["has_elevator"]) or r["id"] in lifted)
        )
    for r in await fetch(
        "SELECT w.id AS work, w.community, w.accepted_on, wc.category FROM work_component AS wc"
        " JOIN work AS w ON w.id = wc.work JOIN community AS c ON c.id = w.community"
        f" WHERE {condition}",
        arg,
    ):
        places[r["community"]].components.append(
            (r["work"], _day(r["accepted_on"]), str(r["category"]))
        )
    named: dict[UUID, set[UUID]] = {}
    for r in await fetch(
        "SELECT wb.work, wb.building FROM work_building AS wb JOIN work AS w ON w.id = wb.work"
        f" JOIN community AS c ON c.id = w.community WHERE {condition}",
        arg,
    ):
        named.setdefault(r["work"], set()).add(r["building"])
    for r in await fetch(
        "SELECT a.community, a.household, h.building, a.principal_fen, a.interest_fen,"
        " a.first_deposit_fen, a.closed_at FROM fund_account AS a"
        " JOIN household AS h ON h.id = a.household JOIN community AS c ON c.id = a.community"
        f" WHERE a.kind = 'household' AND {condition}",
        arg,
    ):
        places[r["community"]].accounts.append(r)
    for r in await fetch(
        "SELECT e.community, l.household, h.building, e.value_date,"
        " COALESCE(o.kind, e.kind) AS kind, l.principal_delta + l.interest_delta AS amount"
        " FROM fund_line AS l JOIN fund_entry AS e ON e.id = l.entry"
        " JOIN household AS h ON h.id = l.household"
        " JOIN community AS c ON c.id = e.community"
        " LEFT JOIN fund_entry AS o ON o.id = e.reverses_entry"
        f" WHERE l.household IS NOT NULL AND {condition}",
        arg,
    ):
        places[r["community"]].lines.append(r)
    return places, named


def _accepted(
    place: _Place, buildings: Iterable[_Building], named: dict[UUID, set[UUID]]
) -> dict[UUID, dict[str, date]]:
    """Per building, the latest acceptance of each works-register category covering it."""
    accepted: dict[UUID, dict[str, date]] = {b.id: {} for b in buildings}
    for work, day, category in place.components:
        for building_id, categories in accepted.items():
            if work in named and building_id not in named[work]:
                continue
            if category not in categories or categories[category] < day:
                categories[category] = day
    return accepted


@dataclass(frozen=True)
class _Money:
    opening: int
    first_deposits: int
    interest_bp: int | None
    payment_bp: int | None


def _money(place: _Place, building_id: UUID | None, on: date) -> _Money:
    """Today's balance and first deposits, and the recent interest and payment rates, of
    the households' accounts of the place."""
    accounts = [a for a in place.accounts if building_id is None or a["building"] == building_id]
    opening = sum(int(a["principal_fen"]) + int(a["interest_fen"]) for a in accounts)
    open_accounts = [a for a in accounts if a["closed_at"] is None]
    first = sum(int(a["first_deposit_fen"] or 0) for a in open_accounts)
    below = {
        a["household"]
        for a in open_accounts
        if needs_replenishment(
            int(a["principal_fen"]) + int(a["interest_fen"]),
            None if a["first_deposit_fen"] is None else int(a["first_deposit_fen"]),
        )
    }
    # The last 12 months, this one included (its month end is today's balance): interest
    # is credited once or twice a year, often today's month.
    first_month = rules.add_months(on.year, on.month, 1 - RECENT_MONTHS)
    changes = [0] * RECENT_MONTHS
    before = interest = 0
    paid: set[Any] = set()
    a_year_ago = on - timedelta(days=365)
    for line in place.lines:
        if building_id is not None and line["building"] != building_id:
            continue
        day, amount = _day(line["value_date"]), int(line["amount"])
        if line["kind"] == "replenish" and day > a_year_ago and amount > 0:
            paid.add(line["household"])
        index = rules.months_between(first_month, day)
        if index < 0:
            before += amount
        else:  # value dates are never after today
            changes[min(index, RECENT_MONTHS - 1)] += amount
            if line["kind"] == "interest":
                interest += amount
    month_ends = []
    running = before
    for change in changes:
        running += change
        month_ends.append(running)
    return _Money(
        opening=opening,
        first_deposits=first,
        interest_bp=rules.recent_interest_bp(interest, month_ends),
        payment_bp=rules.recent_payment_bp(len(paid - below), len(below)),
    )


def _check(scenario: str, years: int, repair_year: int | None, component: str | None) -> None:
    if scenario not in rules.SCENARIOS:
        raise InputError("scenario", "情景应为 expected、none、full 或 major_repair")
    if not 1 <= years <= rules.MAX_YEARS:
        raise InputError("years", f"预测年数应在 1 到 {rules.MAX_YEARS} 之间")
    if repair_year is not None and not 1 <= repair_year <= years:
        raise InputError("repair_year", "大修年份应在预测年数之内（第 1 年起）")
    if component is not None and component not in rules.COMPONENTS:
        raise InputError("component", "未知的部件")


async def forecast(
    community_id: UUID,
    building_id: UUID | None = None,
    *,
    scenario: str = "expected",
    years: int = rules.DEFAULT_YEARS,
    repair_year: int | None = None,
    component: str | None = None,
) -> schemas.ForecastOut:
    """The forecast of a visible community (or one of its buildings), month by month from
    next month, under ``scenario``."""
    _check(scenario, years, repair_year, component)
    places, named = await _load("c.id = {}", community_id)
    place = places[community_id]
    table, own = await settings.lifecycle(place.district)
    return _forecast(
        place,
        named,
        building_id,
        table=table,
        own=own,
        on=today(),
        scenario=scenario,
        years=years,
        repair_year=repair_year,
        component=component,
    )


async def district_forecasts(
    district_id: UUID, scenario: str = "expected", years: int = rules.DEFAULT_YEARS
) -> list[tuple[str, schemas.ForecastOut]]:
    """Every community's forecast of a district with its name (the bureau's overview), by
    the first month below the line (soonest first; never last), then by name."""
    _check(scenario, years, None, None)
    places, named = await _load("c.district = {}", district_id)
    table, own = await settings.lifecycle(district_id)
    on = today()
    found = [
        (
            place.name,
            _forecast(
                place,
                named,
                None,
                table=table,
                own=own,
                on=on,
                scenario=scenario,
                years=years,
                repair_year=None,
                component=None,
            ),
        )
        for place in places.values()
    ]
    found.sort(key=lambda item: (item[1].first_below is None, item[1].first_below or "", item[0]))
    return found


def _forecast(
    place: _Place,
    named: dict[UUID, set[UUID]],
    building_id: UUID | None,
    *,
    table: tuple[rules.Component, ...],
    own: frozenset[str],
    on: date,
    scenario: str,
    years: int,
    repair_year: int | None,
    component: str | None,
) -> schemas.ForecastOut:
    start = rules.add_months(on.year, on.month, 1)
    months = years * 12
    buildings = [b for b in place.buildings if building_id is None or b.id == building_id]
    accepted = _accepted(place, buildings, named)
    forced: dict[str, int] = {}
    if scenario == "major_repair":
        key = component or _costliest(buildings, table)
        forced[key] = ((repair_year or 1) - 1) * 12 + 1
    names = {c.key: c.name for c in table}
    planned: list[tuple[UUID, rules.Repair]] = []
    for building in buildings:
        facts = rules.BuildingFacts(
            building.area, building.has_lift, place.built_on, accepted[building.id]
        )
        for repair in rules.building_repairs(
            facts, start=start, months=months, table=table, forced=forced
        ):
            planned.append((building.id, repair))
    money = _money(place, building_id, on)
    interest_bp = money.interest_bp if money.interest_bp is not None else rules.DEFAULT_INTEREST_BP
    recent_bp = money.payment_bp if money.payment_bp is not None else rules.DEFAULT_PAYMENT_BP
    area = sum(b.area for b in buildings)
    result = rules.forecast(
        opening_fen=money.opening,
        first_deposits_fen=money.first_deposits,
        area_hundredths=area,
        months=months,
        rate_bp=interest_bp,
        payment_bp=rules.scenario_payment_bp(scenario, recent_bp),
        repairs=rules.repairs_by_month(r for _, r in planned),
    )
    planned.sort(key=lambda item: (item[1].month, item[1].component, str(item[0])))
    return schemas.ForecastOut(
        community_id=place.id,
        building_id=building_id,
        scenario=scenario,  # type: ignore[arg-type]
        years=years,
        start=_label(start, 1),
        opening_balance=format_yuan(money.opening),
        first_deposits=format_yuan(money.first_deposits),
        floor_area=format_area(area),
        threshold=format_yuan(result.threshold_fen),
        first_below=None if result.first_below is None else _label(start, result.first_below),
        replenish_per_m2=(
            None
            if result.replenish_fen_per_m2 is None
            else format_yuan(result.replenish_fen_per_m2)
        ),
        interest_rate_percent=format_yuan(interest_bp),
        interest_rate_source="recent" if money.interest_bp is not None else "default",
        payment_rate_percent=format_yuan(recent_bp),
        payment_rate_source="recent" if money.payment_bp is not None else "default",
        months=[
            schemas.ForecastMonthOut(
                month=_label(start, m.month),
                balance=format_yuan(m.balance_fen),
                deposits=format_yuan(m.deposits_fen),
                interest=format_yuan(m.interest_fen),
                repairs=format_yuan(m.repairs_fen),
                shortfall=format_yuan(m.shortfall_fen),
            )
            for m in result.months
        ],
        by_year=[
            schemas.ForecastYearOut(
                year=y.year,
                first_month=_label(start, y.first_month),
                last_month=_label(start, y.last_month),
                balance=format_yuan(y.balance_fen),
                deposits=format_yuan(y.deposits_fen),
                interest=format_yuan(y.interest_fen),
                repairs=format_yuan(y.repairs_fen),
                shortfall=format_yuan(y.shortfall_fen),
            )
            for y in rules.by_year(result.months)
        ],
        repairs=[
            schemas.ForecastRepairOut(
                month=_label(start, r.month),
                component=r.component,  # type: ignore[arg-type]
                name=names[r.component],
                building_id=building,
                amount=format_yuan(r.amount_fen),
                overdue=r.overdue,
            )
            for building, r in planned
        ],
        lifecycle=settings.lifecycle_out(table, own),
    )


def _costliest(buildings: Iterable[_Building], table: Iterable[rules.Component]) -> str:
    """The default major repair: the costliest component per m² the place has."""
    has_lift = any(b.has_lift for b in buildings)
    usable = [c for c in table if has_lift or not c.lift_only]
    return max(usable, key=lambda c: (c.cost_fen_per_m2, c.key)).key
