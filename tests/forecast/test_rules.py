"""The forecast's arithmetic, directly: hand-computed months to the fen, the crossing
month at its boundary, the schedule of renewals, and properties that hold for any input."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.forecast import rules
from service.forecast.rules import BuildingFacts, MonthFigures, Repair

# A small community by hand: first deposits 10,000.00 yuan (the line: 3,000.00), today's
# balance 4,000.00, interest 1.20% a year (0.1% a month), owners pay half of each call.
SMALL = {"opening_fen": 400_000, "threshold_fen": 300_000, "rate_bp": 120, "payment_bp": 5_000}


def test_a_small_community_without_repairs_earns_its_interest_month_by_month() -> None:
    months = rules.project(**SMALL, months=4, repairs={})
    assert months == (
        # 4000.00 × 0.1% = 4.00
        MonthFigures(1, 400, 0, 0, 0, 0, 400_400),
        # 4004.00 × 0.1% = 4.004 → 4.00
        MonthFigures(2, 400, 0, 0, 0, 0, 400_800),
        # 4008.00 × 0.1% = 4.008 → 4.01
        MonthFigures(3, 401, 0, 0, 0, 0, 401_201),
        # 4012.01 × 0.1% = 4.01201 → 4.01
        MonthFigures(4, 401, 0, 0, 0, 0, 401_602),
    )
    assert rules.first_below(months, 300_000) is None


def test_a_small_community_with_a_repair_in_month_three_calls_for_replenishment() -> None:
    months = rules.project(**SMALL, months=4, repairs={3: 150_000})
    assert months == (
        MonthFigures(1, 400, 0, 0, 0, 0, 400_400),
        MonthFigures(2, 400, 0, 0, 0, 0, 400_800),
        # 4012.01 - 1500.00 = 2512.01, below 3000.00: called 487.99, half paid = 243.995
        # → 244.00 (half up); 2756.01
        MonthFigures(3, 401, 150_000, 150_000, 0, 24_400, 275_601),
        # 2756.01 × 0.1% = 2.75601 → 2.76; 2758.77; called 241.23, half = 120.615 → 120.62
        MonthFigures(4, 276, 0, 0, 0, 12_062, 287_939),
    )
    assert rules.first_below(months, 300_000) == 3


def test_a_repair_larger_than_the_balance_leaves_zero_and_a_shortfall() -> None:
    (month,) = rules.project(
        opening_fen=10_000, threshold_fen=0, months=1, rate_bp=0, payment_bp=0, repairs={1: 25_000}
    )
    assert month == MonthFigures(1, 0, 25_000, 10_000, 15_000, 0, 0)


def test_full_replenishment_brings_the_balance_back_to_the_line() -> None:
    months = rules.project(
        opening_fen=400_000,
        threshold_fen=300_000,
        months=1,
        rate_bp=0,
        payment_bp=10_000,
        repairs={1: 150_000},
    )
    assert months[0].deposits_fen == 50_000
    assert months[0].balance_fen == 300_000


@pytest.mark.parametrize(("opening", "crossing"), [(450_000, None), (449_999, 1)])
def test_the_crossing_month_is_right_at_the_line_one_fen_either_side(
    opening: int, crossing: int | None
) -> None:
    # Exactly on the line (3000.00 after a 1500.00 repair) is not below it; one fen less is.
    months = rules.project(
        opening_fen=opening,
        threshold_fen=300_000,
        months=3,
        rate_bp=0,
        payment_bp=0,
        repairs={1: 150_000},
    )
    assert rules.first_below(months, 300_000) == crossing


def test_the_line_is_thirty_percent_of_the_first_deposits_rounded_up() -> None:
    # 30% of 10.01 yuan is 3.003: a balance of 3.00 is below it, 3.01 is not.
    result = rules.forecast(
        opening_fen=301,
        first_deposits_fen=1_001,
        area_hundredths=100,
        months=1,
        rate_bp=0,
        payment_bp=0,
        repairs={},
    )
    assert result.threshold_fen == 301
    assert result.first_below is None
    below = rules.forecast(
        opening_fen=300,
        first_deposits_fen=1_001,
        area_hundredths=100,
        months=1,
        rate_bp=0,
        payment_bp=0,
        repairs={},
    )
    assert below.first_below == 1


def test_the_replenishment_per_m2_is_the_least_that_keeps_the_line() -> None:
    # 100.00 m², no interest, balance 3,000.00 on a line of 3,000.00, a 1,000.00 repair in
    # month 2: owners must put in 1,000.00 now, 10.00 yuan per m².
    result = rules.forecast(
        opening_fen=300_000,
        first_deposits_fen=1_000_000,
        area_hundredths=10_000,
        months=3,
        rate_bp=0,
        payment_bp=0,
        repairs={2: 100_000},
    )
    assert result.first_below == 2
    assert result.replenish_fen_per_m2 == 1_000


def test_nothing_to_replenish_when_the_line_holds() -> None:
    result = rules.forecast(
        opening_fen=500_000,
        first_deposits_fen=1_000_000,
        area_hundredths=10_000,
        months=12,
        rate_bp=100,
        payment_bp=0,
        repairs={},
    )
    assert result.replenish_fen_per_m2 == 0


def test_an_overdue_renewal_falls_in_the_first_month_and_recurs_after_its_life() -> None:
    component = rules.COMPONENTS["waterproofing"]  # 15 years
    found = rules.renewals(
        component=component,
        last_renewed=date(2000, 5, 1),
        start=(2027, 1),
        months=240,
        cost_fen=100,
    )
    assert found == [Repair(1, "waterproofing", 100, True), Repair(181, "waterproofing", 100)]


def test_a_renewal_is_due_life_years_after_the_accepted_work() -> None:
    component = rules.COMPONENTS["pipes"]  # 20 years
    found = rules.renewals(
        component=component,
        last_renewed=date(2007, 3, 31),
        start=(2027, 1),
        months=120,
        cost_fen=100,
    )
    assert found == [Repair(3, "pipes", 100)]


def test_a_major_repair_brought_forward_replaces_the_scheduled_one() -> None:
    component = rules.COMPONENTS["pipes"]
    found = rules.renewals(
        component=component,
        last_renewed=date(2020, 1, 1),
        start=(2027, 1),
        months=120,
        cost_fen=100,
        forced_month=25,
    )
    assert found == [Repair(25, "pipes", 100)]


def test_a_building_renews_by_its_works_and_area_and_only_with_a_lift_its_lift() -> None:
    facts = BuildingFacts(
        area_hundredths=100_000,  # 1,000.00 m²
        has_lift=False,
        built_on=date(2020, 1, 1),
        accepted={"plumbing": date(2008, 2, 10)},
    )
    found = rules.building_repairs(facts, start=(2027, 1), months=24)
    # pipes 20 years after 2008-02 = 2028-02 (month 14), 30.00 × 1,000.00 m²
    assert found == [Repair(14, "pipes", 3_000_000)]
    with_lift = BuildingFacts(100_000, True, date(2012, 6, 1), {})
    keys = {r.component for r in rules.building_repairs(with_lift, start=(2027, 1), months=12)}
    assert keys == {"waterproofing", "lifts"}  # both 15 years: due 2027-06


def test_recent_rates() -> None:
    assert rules.recent_payment_bp(3, 1) == 7_500
    assert rules.recent_payment_bp(0, 0) is None
    # 120.00 yuan of interest over a steady 10,000.00 yuan: 1.20% a year
    assert rules.recent_interest_bp(12_000, [1_000_000] * 12) == 120
    assert rules.recent_interest_bp(0, [1_000_000] * 12) is None


# --- properties ----------------------------------------------------------------------

fen = st.integers(min_value=0, max_value=10**9)
repairs = st.dictionaries(st.integers(1, 36), st.integers(0, 10**8), max_size=6)
rates = st.integers(0, 1_000)


@given(opening=fen, threshold=fen, rate=rates, plan=repairs)
def test_no_replenishment_never_beats_full_replenishment(
    opening: int, threshold: int, rate: int, plan: dict[int, int]
) -> None:
    none = rules.project(
        opening_fen=opening,
        threshold_fen=threshold,
        months=36,
        rate_bp=rate,
        payment_bp=0,
        repairs=plan,
    )
    full = rules.project(
        opening_fen=opening,
        threshold_fen=threshold,
        months=36,
        rate_bp=rate,
        payment_bp=10_000,
        repairs=plan,
    )
    half = rules.project(
        opening_fen=opening,
        threshold_fen=threshold,
        months=36,
        rate_bp=rate,
        payment_bp=5_000,
        repairs=plan,
    )
    for n, h, f in zip(none, half, full, strict=True):
        assert n.balance_fen <= h.balance_fen <= f.balance_fen
    # Full replenishment never ends a month below the line.
    assert rules.first_below(full, threshold) is None


@given(
    opening=fen,
    extra=st.integers(0, 10**8),
    threshold=fen,
    rate=rates,
    plan=repairs,
    paid=st.integers(0, 10_000),
)
def test_more_money_today_never_lowers_any_month(
    opening: int, extra: int, threshold: int, rate: int, plan: dict[int, int], paid: int
) -> None:
    args = {
        "threshold_fen": threshold,
        "months": 36,
        "rate_bp": rate,
        "payment_bp": paid,
        "repairs": plan,
    }
    low = rules.project(opening_fen=opening, **args)  # type: ignore[arg-type]
    high = rules.project(opening_fen=opening + extra, **args)  # type: ignore[arg-type]
    assert all(a.balance_fen <= b.balance_fen for a, b in zip(low, high, strict=True))


@given(opening=fen, threshold=fen, rate=rates, plan=repairs, paid=st.integers(0, 10_000))
def test_every_fen_is_accounted_for_and_the_balance_never_goes_below_zero(
    opening: int, threshold: int, rate: int, plan: dict[int, int], paid: int
) -> None:
    months = rules.project(
        opening_fen=opening,
        threshold_fen=threshold,
        months=36,
        rate_bp=rate,
        payment_bp=paid,
        repairs=plan,
    )
    balance = opening
    for m in months:
        assert m.balance_fen >= 0
        assert m.paid_fen + m.shortfall_fen == m.repairs_fen == plan.get(m.month, 0)
        balance += m.interest_fen + m.deposits_fen - m.paid_fen
        assert balance == m.balance_fen


@given(
    opening=st.integers(0, 10**8),
    first=st.integers(0, 10**8),
    area=st.integers(1, 10**6),
    rate=rates,
    plan=st.dictionaries(st.integers(1, 24), st.integers(0, 10**8), max_size=4),
    paid=st.integers(0, 10_000),
)
def test_the_replenishment_per_m2_is_enough_and_one_fen_less_is_not(
    opening: int, first: int, area: int, rate: int, plan: dict[int, int], paid: int
) -> None:
    result = rules.forecast(
        opening_fen=opening,
        first_deposits_fen=first,
        area_hundredths=area,
        months=24,
        rate_bp=rate,
        payment_bp=paid,
        repairs=plan,
    )
    per_m2 = result.replenish_fen_per_m2
    assert per_m2 is not None
    assert (per_m2 == 0) == (result.first_below is None)

    def crossing(amount: int) -> int | None:
        months = rules.project(
            opening_fen=opening + rules.by_area(amount, area),
            threshold_fen=result.threshold_fen,
            months=24,
            rate_bp=rate,
            payment_bp=paid,
            repairs=plan,
        )
        return rules.first_below(months, result.threshold_fen)

    assert crossing(per_m2) is None
    if per_m2 > 0:
        assert crossing(per_m2 - 1) is not None
