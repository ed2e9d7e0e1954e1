"""The pure rating and subsidy rules: bands, served days, base and amount to the fen."""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction
from typing import Any

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


# --- two periods in a row: adjacent by dates ------------------------------------------

Q1 = (date(2025, 1, 1), date(2025, 3, 31))
Q2 = (date(2025, 4, 1), date(2025, 6, 30))
Q3 = (date(2025, 7, 1), date(2025, 9, 30))


def rated(
    rid: str, dates: tuple[date, date], total: int, party: str = "CA/co"
) -> rules.RatedPeriod:
    return rules.RatedPeriod(rid, party, dates[0], dates[1], total)


def test_periods_are_adjacent_when_the_later_starts_the_day_after_the_earlier_ends() -> None:
    assert rules.adjacent(date(2025, 3, 31), date(2025, 4, 1))
    assert not rules.adjacent(date(2025, 3, 31), date(2025, 4, 2))  # a one-day gap
    assert not rules.adjacent(date(2025, 3, 31), date(2025, 3, 31))  # an overlap
    assert not rules.adjacent(date(2025, 4, 30), date(2025, 4, 1))


def test_the_later_of_two_adjacent_periods_below_60_is_flagged() -> None:
    assert rules.flagged_for_review([rated("q1", Q1, 59_99), rated("q2", Q2, 59_99)]) == {"q2"}


def test_exactly_60_in_either_period_is_not_below_60() -> None:
    assert rules.flagged_for_review([rated("q1", Q1, 60_00), rated("q2", Q2, 10_00)]) == set()
    assert rules.flagged_for_review([rated("q1", Q1, 10_00), rated("q2", Q2, 60_00)]) == set()


def test_a_period_between_them_breaks_the_row_even_if_it_was_finalised_later() -> None:
    # Q1 and Q3 below 60 but Q2 (between them by date) passed: no flag, whatever the order.
    ratings = [rated("q3", Q3, 40_00), rated("q1", Q1, 40_00), rated("q2", Q2, 75_00)]
    assert rules.flagged_for_review(ratings) == set()


def test_a_gap_between_two_low_periods_is_not_a_row() -> None:
    assert rules.flagged_for_review([rated("q1", Q1, 40_00), rated("q3", Q3, 40_00)]) == set()


def test_another_company_or_community_does_not_continue_the_row() -> None:
    ratings = [rated("q1", Q1, 40_00, party="CA/old"), rated("q2", Q2, 40_00, party="CA/new")]
    assert rules.flagged_for_review(ratings) == set()


def test_three_low_periods_in_a_row_flag_the_second_and_the_third() -> None:
    ratings = [rated("q1", Q1, 40_00), rated("q2", Q2, 40_00), rated("q3", Q3, 40_00)]
    assert rules.flagged_for_review(ratings) == {"q2", "q3"}


MONTH_STARTS = [date(2024, m, 1) for m in range(1, 13)] + [date(2025, 1, 1)]


@st.composite
def rating_histories(draw: st.DrawFn) -> list[rules.RatedPeriod]:
    """Monthly periods of 2024 for two parties, some months unrated, totals near 60."""
    ratings = []
    for party in ("a", "b"):
        for month in range(12):
            if draw(st.booleans()):
                starts_on = MONTH_STARTS[month]
                ends_on = MONTH_STARTS[month + 1] - timedelta(days=1)
                total = draw(st.sampled_from([0, 59_99, 60_00, 60_01, 100_00]))
                ratings.append(
                    rules.RatedPeriod(f"{party}{month}", party, starts_on, ends_on, total)
                )
    return ratings


@given(rating_histories(), st.randoms(use_true_random=False))
def test_flags_do_not_depend_on_the_order_periods_were_finalised(
    ratings: list[rules.RatedPeriod], rnd: Any
) -> None:
    shuffled = list(ratings)
    rnd.shuffle(shuffled)
    assert rules.flagged_for_review(shuffled) == rules.flagged_for_review(ratings)


@given(rating_histories())
def test_a_flag_means_this_and_the_month_before_were_both_below_60(
    ratings: list[rules.RatedPeriod],
) -> None:
    by_key = {(r.party, r.starts_on): r for r in ratings}
    flagged = rules.flagged_for_review(ratings)
    for r in ratings:
        before = (
            MONTH_STARTS[MONTH_STARTS.index(r.starts_on) - 1] if r.starts_on.month > 1 else None
        )
        previous = by_key.get((r.party, before)) if before else None
        expected = previous is not None and previous.total < 60_00 and r.total < 60_00
        assert (r.rating_id in flagged) == expected
