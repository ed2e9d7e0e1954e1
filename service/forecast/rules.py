"""The fund forecast's arithmetic (issue 17 item 5): pure functions, no I/O, integer fen.

A place (a building or a community) starts from today's balance and runs month by month:

1. interest on the month's opening balance at the yearly rate, ``rate_bp`` basis points
   (1/100 of a percent) a year, one twelfth a month, rounded half up to the fen;
2. the month's expected repairs are paid from the balance; the balance never goes below
   zero, what it cannot cover is a shortfall the owners fund themselves (自筹, DOMAIN
   "Special maintenance fund");
3. when the balance is then strictly below the replenishment line — 30% of the place's
   first deposits, rounded up (165号令 art. 17; ``service.funds.rules.replenish_threshold``)
   — the owners are called to bring it back to the line, and pay that call at the
   scenario's payment rate (basis points of the call, rounded half up).

The first month whose closing balance is strictly below the line is the crossing month.
The replenishment per m² that keeps the place above the line is the smallest whole-fen
amount per m² of floor area which, deposited by every owner now, keeps every month's
closing balance at or above the line.

Expected repairs come from a component life-cycle table (``LIFECYCLE``: life in years and
cost per m² of floor area, our defaults, as data): each component is renewed ``life``
years after its last renewal (the works register's acceptance date, else the building's
construction), an overdue one in the first month.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from service.funds.rules import replenish_threshold

BASIS_POINTS = 10_000
# Ours: used when the place has no interest credited in the last 12 months. A maintenance
# fund's money is mostly in demand and short fixed deposits; 1.00% a year is our guess.
DEFAULT_INTEREST_BP = 100
# Ours: used when no owner of the place was called to replenish in the last 12 months.
DEFAULT_PAYMENT_BP = 5_000
DEFAULT_YEARS = 10
MAX_YEARS = 30

SCENARIOS = ("expected", "none", "full", "major_repair")


@dataclass(frozen=True)
class Component:
    """A part of a building that the fund renews, with its life and cost (data).

    ``categories`` are the works register's categories whose accepted work renews it;
    ``lift_only`` components exist only in buildings with a lift."""

    key: str
    name: str
    life_years: int
    cost_fen_per_m2: int
    categories: tuple[str, ...]
    lift_only: bool = False


# Our defaults, not a published table: lives follow common design lives (roof waterproofing
# 10-25 years by grade, pipes and facades about 20, a lift's assessment after 15), costs
# are rough renewal costs per m² of the building's registered floor area.
LIFECYCLE: tuple[Component, ...] = (
    Component("roof", "屋面（保温层、面层、排水）", 30, 4_500, ("roofing",)),
    Component("waterproofing", "屋面及外墙防水层", 15, 2_500, ("roofing", "wet_rooms")),
    Component("pipes", "给排水管道", 20, 3_000, ("plumbing",)),
    Component("lifts", "电梯", 15, 6_000, ("equipment",), lift_only=True),
    Component("facades", "外立面（外墙面层与保温）", 20, 5_000, ("exterior_wall",)),
)
COMPONENTS = {c.key: c for c in LIFECYCLE}


def lifecycle_with(own: Mapping[str, tuple[int, int]]) -> tuple[Component, ...]:
    """Our table with a district's own (life in years, cost in fen per m²) laid over it."""
    return tuple(
        Component(
            c.key,
            c.name,
            own[c.key][0],
            own[c.key][1],
            c.categories,
            c.lift_only,
        )
        if c.key in own
        else c
        for c in LIFECYCLE
    )


@dataclass(frozen=True)
class Repair:
    """An expected repair: in month ``month`` (1 = the first forecast month)."""

    month: int
    component: str
    amount_fen: int
    overdue: bool = False


@dataclass(frozen=True)
class MonthFigures:
    """One forecast month: what came in and went out, and the closing balance."""

    month: int
    interest_fen: int
    repairs_fen: int
    paid_fen: int
    shortfall_fen: int
    deposits_fen: int
    balance_fen: int


@dataclass(frozen=True)
class Forecast:
    months: tuple[MonthFigures, ...]
    threshold_fen: int
    first_below: int | None
    replenish_fen_per_m2: int | None


def _half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half up (both >= 0, denominator > 0)."""
    return (2 * numerator + denominator) // (2 * denominator)


def by_area(rate_fen_per_m2: int, area_hundredths: int) -> int:
    """A rate per m² times a floor area, to the fen, half up (the first deposit's rounding)."""
    return _half_up(rate_fen_per_m2 * area_hundredths, 100)


def monthly_interest(balance_fen: int, rate_bp: int) -> int:
    """A month's interest on ``balance_fen`` at ``rate_bp`` a year: balance × rate / 12,
    half up to the fen."""
    return _half_up(balance_fen * rate_bp, BASIS_POINTS * 12)


def add_months(year: int, month: int, count: int) -> tuple[int, int]:
    """(year, month) ``count`` months later."""
    index = year * 12 + (month - 1) + count
    return index // 12, index % 12 + 1


def project(
    *,
    opening_fen: int,
    threshold_fen: int,
    months: int,
    rate_bp: int,
    payment_bp: int,
    repairs: Mapping[int, int],
) -> tuple[MonthFigures, ...]:
    """The balance month by month (see the module's three steps). ``repairs`` maps a month
    (1-based) to its expected repair cost; ``payment_bp`` is the share of a replenishment
    call the owners pay (0: none, 10000: all)."""
    return tuple(_months(opening_fen, threshold_fen, months, rate_bp, payment_bp, repairs))


def _months(
    opening_fen: int,
    threshold_fen: int,
    months: int,
    rate_bp: int,
    payment_bp: int,
    repairs: Mapping[int, int],
) -> Iterator[MonthFigures]:
    """:func:`project`'s months one at a time (a caller may stop at the first below)."""
    if opening_fen < 0 or threshold_fen < 0 or rate_bp < 0 or months < 0:
        raise ValueError("balances, threshold, rate and months must not be negative")
    if not 0 <= payment_bp <= BASIS_POINTS:
        raise ValueError("payment rate is between 0 and 10000 basis points")
    if any(cost < 0 for cost in repairs.values()):
        raise ValueError("repair costs must not be negative")
    balance = opening_fen
    for month in range(1, months + 1):
        interest = monthly_interest(balance, rate_bp)
        balance += interest
        cost = repairs.get(month, 0)
        paid = min(balance, cost)
        balance -= paid
        deposits = 0
        if balance < threshold_fen:
            deposits = _half_up((threshold_fen - balance) * payment_bp, BASIS_POINTS)
            balance += deposits
        yield MonthFigures(month, interest, cost, paid, cost - paid, deposits, balance)


@dataclass(frozen=True)
class YearFigures:
    """Twelve forecast months summed (year 1 = months 1-12), with the closing balance."""

    year: int
    first_month: int
    last_month: int
    interest_fen: int
    repairs_fen: int
    shortfall_fen: int
    deposits_fen: int
    balance_fen: int


def by_year(figures: Sequence[MonthFigures]) -> list[YearFigures]:
    """The months in years of twelve (a last, shorter year if the months do not divide)."""
    years = []
    for start in range(0, len(figures), 12):
        chunk = figures[start : start + 12]
        years.append(
            YearFigures(
                year=start // 12 + 1,
                first_month=chunk[0].month,
                last_month=chunk[-1].month,
                interest_fen=sum(m.interest_fen for m in chunk),
                repairs_fen=sum(m.repairs_fen for m in chunk),
                shortfall_fen=sum(m.shortfall_fen for m in chunk),
                deposits_fen=sum(m.deposits_fen for m in chunk),
                balance_fen=chunk[-1].balance_fen,
            )
        )
    return years


def first_below(figures: Iterable[MonthFigures], threshold_fen: int) -> int | None:
    """The first month whose closing balance is strictly below the line (exactly on the
    line is not below: 不足 30%)."""
    for figure in figures:
        if figure.balance_fen < threshold_fen:
            return figure.month
    return None


def replenish_per_m2(
    *,
    opening_fen: int,
    threshold_fen: int,
    area_hundredths: int,
    months: int,
    rate_bp: int,
    payment_bp: int,
    repairs: Mapping[int, int],
) -> int | None:
    """The smallest whole fen per m² which, deposited now by every owner (rate × floor
    area, half up), keeps every month at or above the line; 0 when nothing is needed,
    None when the place has no floor area. The path only rises with the opening balance,
    so a bisection finds the least amount."""

    def holds(per_m2: int) -> bool:
        opening = opening_fen + by_area(per_m2, area_hundredths)
        figures = _months(opening, threshold_fen, months, rate_bp, payment_bp, repairs)
        return first_below(figures, threshold_fen) is None  # stops at the first below

    if holds(0):
        return 0
    if area_hundredths <= 0:
        return None
    # Enough to pay every repair and still hold the line without any interest.
    need = threshold_fen + sum(repairs.get(m, 0) for m in range(1, months + 1))
    high = -(-need * 100 // area_hundredths) + 1
    low = 0  # fails
    while high - low > 1:
        middle = (low + high) // 2
        if holds(middle):
            high = middle
        else:
            low = middle
    return high


def forecast(
    *,
    opening_fen: int,
    first_deposits_fen: int,
    area_hundredths: int,
    months: int,
    rate_bp: int,
    payment_bp: int,
    repairs: Mapping[int, int],
) -> Forecast:
    """The whole forecast of a place: months, the line, the crossing month and the
    replenishment per m² that would keep the place above the line."""
    threshold = replenish_threshold(first_deposits_fen)
    figures = project(
        opening_fen=opening_fen,
        threshold_fen=threshold,
        months=months,
        rate_bp=rate_bp,
        payment_bp=payment_bp,
        repairs=repairs,
    )
    return Forecast(
        months=figures,
        threshold_fen=threshold,
        first_below=first_below(figures, threshold),
        replenish_fen_per_m2=replenish_per_m2(
            opening_fen=opening_fen,
            threshold_fen=threshold,
            area_hundredths=area_hundredths,
            months=months,
            rate_bp=rate_bp,
            payment_bp=payment_bp,
            repairs=repairs,
        ),
    )


def months_between(start: tuple[int, int], day: date) -> int:
    """How many months ``day``'s month lies after ``start`` (negative before it)."""
    return (day.year * 12 + day.month) - (start[0] * 12 + start[1])


def renewals(
    *,
    component: Component,
    last_renewed: date,
    start: tuple[int, int],
    months: int,
    cost_fen: int,
    forced_month: int | None = None,
) -> list[Repair]:
    """When ``component`` is renewed within the horizon: ``life`` years after its last
    renewal and every ``life`` years after that; an overdue renewal falls in month 1.
    ``forced_month`` brings a major repair forward (or back) to that month, the later
    renewals counted from it."""
    life = component.life_years * 12
    if forced_month is not None:
        due, overdue = forced_month, False
    else:
        due = months_between(start, _add_years(last_renewed, component.life_years)) + 1
        overdue = due < 1
        due = max(due, 1)
    found = []
    while due <= months:
        found.append(Repair(due, component.key, cost_fen, overdue))
        due, overdue = due + life, False
    return found


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True)
class BuildingFacts:
    """What the schedule needs of a building: floor area, lift, when it was built, and
    the works register's latest acceptance per category covering it."""

    area_hundredths: int
    has_lift: bool
    built_on: date
    accepted: Mapping[str, date]


def building_repairs(
    building: BuildingFacts,
    *,
    start: tuple[int, int],
    months: int,
    table: Sequence[Component] = LIFECYCLE,
    forced: Mapping[str, int] | None = None,
) -> list[Repair]:
    """A building's expected renewals: each component of ``table`` (lifts only with a
    lift) renewed from its latest accepted work, else from construction; cost = the
    component's cost per m² × the building's floor area."""
    found: list[Repair] = []
    for component in table:
        if component.lift_only and not building.has_lift:
            continue
        dates = [building.accepted[c] for c in component.categories if c in building.accepted]
        found.extend(
            renewals(
                component=component,
                last_renewed=max(dates) if dates else building.built_on,
                start=start,
                months=months,
                cost_fen=by_area(component.cost_fen_per_m2, building.area_hundredths),
                forced_month=(forced or {}).get(component.key),
            )
        )
    return found


def repairs_by_month(repairs: Iterable[Repair]) -> dict[int, int]:
    """Total expected repair cost per month."""
    totals: dict[int, int] = {}
    for repair in repairs:
        totals[repair.month] = totals.get(repair.month, 0) + repair.amount_fen
    return totals


def scenario_payment_bp(scenario: str, recent_bp: int) -> int:
    """The share of a call the owners pay in a scenario: none, all, or the recent rate
    (expected, and a major repair brought forward)."""
    if scenario == "none":
        return 0
    if scenario == "full":
        return BASIS_POINTS
    return recent_bp


def recent_payment_bp(paid_heads: int, still_below_heads: int) -> int | None:
    """The recent payment rate: of the households called in the last 12 months, the share
    that replenished and are no longer below the line (basis points, half up); None when
    nobody was called."""
    called = paid_heads + still_below_heads
    if called <= 0:
        return None
    return _half_up(paid_heads * BASIS_POINTS, called)


def recent_interest_bp(interest_fen: int, month_end_balances: Sequence[int]) -> int | None:
    """The recent yearly rate: interest credited over the months of ``month_end_balances``
    (the last 12) over their average month-end balance, for a year (basis points, half
    up); None without interest or balance."""
    # interest / (total / n) over n months, times 12 / n for a year: interest × 12 / total.
    total = sum(month_end_balances)
    if interest_fen <= 0 or total <= 0:
        return None
    return _half_up(interest_fen * BASIS_POINTS * 12, total)
