"""The pure rating and subsidy rules: bands, served days, base and amount to the fen."""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from service.ratings import rules

BANDS = [rules.Band(int(b["min_score"]), b["grade"], int(b["ratio"])) for b in rules.DEFAULT_BANDS]


def test_the_default_sheet_weighs_one_hundred_points() -> None:
    assert sum(i["max_score"] for i in rules.DEFAULT_ITEMS) == 100_00
    assert rules.scheme_problems(list(rules.DEFAULT_ITEMS), list(rules.DEFAULT_BANDS)) == []


def test_a_rating_of_89_99_lands_in_the_80_percent_band() -> None:
    band = rules.band_for(89_99, BANDS)
    assert (band.grade, band.ratio) == ("良好", 80)


def test_a_rating_of_90_00_lands_in_the_100_percent_band() -> None:
    band = rules.band_for(90_00, BANDS)
    assert (band.grade, band.ratio) == ("优秀", 100)


def test_band_edges_of_the_default_sheet() -> None:
    assert [
        rules.band_for(s, BANDS).ratio
        for s in (0, 59_99, 60_00, 69_99, 70_00, 79_99, 80_00, 100_00)
    ] == [
        0,
        0,
        30,
        30,
        60,
        60,
        80,
        100,
    ]


@given(st.integers(0, 100_00), st.integers(0, 100_00))
def test_a_higher_score_never_gets_a_lower_ratio(a: int, b: int) -> None:
    low, high = sorted((a, b))
    assert rules.band_for(low, BANDS).ratio <= rules.band_for(high, BANDS).ratio


def test_a_contract_from_17_may_serves_15_31_of_may_and_all_of_june() -> None:
    # Q2 2026: April not served, 17-31 May is 15 of May's 31 days, June whole.
    served = rules.served_days(date(2026, 5, 17), None, date(2026, 4, 1), date(2026, 6, 30))
    assert served == 45
    months = rules.months_served(date(2026, 5, 17), None, date(2026, 4, 1), date(2026, 6, 30))
    assert months == 1 + Fraction(15, 31)
    base = rules.subsidy_base(30, 150_00, months)
    # 0.30 yuan/m² × 150 m² = 45.00 yuan a month; × 46/31 = 66.774… yuan, rounded once.
    assert base == 6677
    assert rules.subsidy_amount(30, 150_00, months, 100) == 6677


def test_served_days_count_both_ends_and_stop_at_the_contract_end() -> None:
    quarter = (date(2026, 7, 1), date(2026, 9, 30))
    assert rules.served_days(date(2020, 1, 1), date(2030, 1, 1), *quarter) == 92
    assert rules.served_days(date(2020, 1, 1), date(2026, 7, 1), *quarter) == 1
    assert rules.served_days(date(2026, 10, 1), None, *quarter) == 0
    assert rules.served_days(date(2020, 1, 1), date(2026, 6, 30), *quarter) == 0


def test_periods_must_be_whole_calendar_months() -> None:
    assert rules.months_in_period(date(2026, 1, 1), date(2026, 12, 31)) == 12
    assert rules.months_in_period(date(2024, 2, 1), date(2024, 2, 29)) == 1
    assert rules.months_in_period(date(2026, 1, 2), date(2026, 3, 31)) is None
    assert rules.months_in_period(date(2026, 1, 1), date(2026, 3, 30)) is None


def test_amount_is_the_exact_base_times_ratio_rounded_half_up_once() -> None:
    one = Fraction(1)
    assert rules.subsidy_amount(12345, 100, one, 80) == 9876
    assert rules.subsidy_amount(1, 100, one, 50) == 1  # 0.5 fen rounds up
    assert rules.subsidy_amount(12345, 100, one, 0) == 0
    assert rules.subsidy_amount(12345, 100, one, 100) == 12345
    # base 0.5 fen → 1 fen, but 0.5 fen × 80% = 0.4 fen → 0: the ratio meets the exact
    # base, never the rounded one.
    assert rules.subsidy_base(1, 50, one) == 1
    assert rules.subsidy_amount(1, 50, one, 80) == 0


@given(st.dates(date(2000, 1, 1), date(2040, 1, 1)), st.integers(0, 400), st.integers(0, 400))
def test_served_days_never_exceed_the_period(start: date, _unused: int, length: int) -> None:
    period = (date(2026, 1, 1), date(2026, 3, 31))
    end = start + timedelta(days=length)
    served = rules.served_days(start, end, *period)
    assert 0 <= served <= 90
    assert served == len([d for d in range(90) if start <= period[0] + timedelta(days=d) <= end])


def test_a_sheet_that_does_not_sum_to_100_or_lacks_a_zero_band_is_refused() -> None:
    items = [{"code": "a", "max_score": 50_00}, {"code": "b", "max_score": 40_00}]
    bands = [{"min_score": 60_00, "grade": "合格", "ratio": 100}]
    problems = dict(rules.scheme_problems(items, bands))
    assert "items" in problems
    assert "bands" in problems


def test_ratios_may_not_fall_as_scores_rise() -> None:
    items = [{"code": "a", "max_score": 100_00}]
    bands = [
        {"min_score": 0, "grade": "差", "ratio": 50},
        {"min_score": 60_00, "grade": "好", "ratio": 20},
    ]
    assert ("bands", "分数越高，补贴比例不能越低") in rules.scheme_problems(items, bands)


def test_two_periods_in_a_row_below_60_flag_the_contract() -> None:
    assert rules.needs_review(59_99, 10_00)
    assert not rules.needs_review(60_00, 10_00)
    assert not rules.needs_review(None, 10_00)
    assert not rules.needs_review(10_00, 60_00)


def test_satisfaction_average_maps_to_the_items_points() -> None:
    assert rules.satisfaction_points(5_00, 20_00) == 20_00
    assert rules.satisfaction_points(4_00, 20_00) == 16_00
    assert rules.satisfaction_points(None, 20_00) is None
