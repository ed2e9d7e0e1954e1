"""Subsidies by calendar month (DOMAIN.md "Quality rating and subsidy", issue 10 item 6):
a whole calendar month served counts 1, a partial month its days over that month's days,
one half-up rounding to the fen at the end."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from service.ratings import rules

Q1 = (date(2026, 1, 1), date(2026, 3, 31))


def months(start: date, end: date | None, period: tuple[date, date] = Q1) -> Fraction:
    return rules.months_served(start, end, *period)


def test_a_contract_serving_exactly_january_of_a_quarter_gets_one_month_not_31_90() -> None:
    assert months(date(2025, 6, 1), date(2026, 1, 31)) == 1
    assert months(date(2026, 1, 1), date(2026, 1, 31)) == 1
    # 0.30 yuan/m² × 150.00 m² × 1 month = 45.00 yuan, where 31/90 of the quarter was 46.50
    assert rules.subsidy_base(30, 150_00, months(date(2026, 1, 1), date(2026, 1, 31))) == 4500


def test_a_contract_serving_exactly_february_gets_one_month_in_a_leap_year_too() -> None:
    leap_q1 = (date(2024, 1, 1), date(2024, 3, 31))
    assert months(date(2024, 2, 1), date(2024, 2, 29), leap_q1) == 1
    assert months(date(2024, 2, 1), date(2024, 2, 28), leap_q1) == Fraction(28, 29)
    assert months(date(2026, 2, 1), date(2026, 2, 28)) == 1
    assert months(date(2026, 2, 15), date(2026, 2, 28)) == Fraction(14, 28)
    assert months(date(2024, 2, 15), date(2024, 2, 29), leap_q1) == Fraction(15, 29)


def test_month_starts_and_ends() -> None:
    # the last day of a month alone, the first day alone
    assert months(date(2026, 1, 31), date(2026, 1, 31)) == Fraction(1, 31)
    assert months(date(2026, 3, 1), date(2026, 3, 1)) == Fraction(1, 31)
    # ends on the last day of February: January and February whole
    assert months(date(2020, 1, 1), date(2026, 2, 28)) == 2
    # ends on 1 March: one day of March
    assert months(date(2020, 1, 1), date(2026, 3, 1)) == 2 + Fraction(1, 31)
    # starts on the period's last day
    assert months(date(2026, 3, 31), None) == Fraction(1, 31)
    # a whole quarter, open-ended or ending after it
    assert months(date(2020, 1, 1), None) == 3
    assert months(date(2020, 1, 1), date(2030, 1, 1)) == 3


def test_a_contract_starting_mid_month() -> None:
    # 17 January to the end of the quarter: 15/31 of January, February, March
    assert months(date(2026, 1, 17), None) == 2 + Fraction(15, 31)
    # 16 to 15 of the next month: 16/31 of January and 15/28 of February
    assert months(date(2026, 1, 16), date(2026, 2, 15)) == Fraction(16, 31) + Fraction(15, 28)


def test_a_period_spanning_a_year_end() -> None:
    winter = (date(2025, 12, 1), date(2026, 2, 28))
    assert months(date(2020, 1, 1), None, winter) == 3
    assert months(date(2025, 12, 1), date(2025, 12, 31), winter) == 1
    assert months(date(2025, 12, 17), date(2026, 1, 10), winter) == Fraction(15, 31) + Fraction(
        10, 31
    )
    assert months(date(2026, 1, 1), None, winter) == 2


def test_no_overlap_is_zero_months() -> None:
    assert months(date(2026, 4, 1), None) == 0
    assert months(date(2020, 1, 1), date(2025, 12, 31)) == 0


def test_rounding_happens_once_at_the_end_not_per_month() -> None:
    # 0.01 yuan/m² × 0.50 m² = 0.5 fen a month: three whole months are 1.5 fen → 2 fen,
    # where rounding each month first (1 fen each) would give 3.
    assert rules.subsidy_base(1, 50, Fraction(3)) == 2
    # 17 Jan - 31 Mar: 0.5 fen × (15/31 + 2) = 1.2419… → 1 fen
    assert rules.subsidy_base(1, 50, months(date(2026, 1, 17), None)) == 1


def test_the_months_served_of_a_whole_period_are_its_calendar_months() -> None:
    year = (date(2026, 1, 1), date(2026, 12, 31))
    assert months(date(2000, 1, 1), None, year) == 12
    assert rules.months_in_period(*year) == 12


# ---- properties ---------------------------------------------------------------------------

month_starts = st.builds(date, st.integers(2019, 2030), st.integers(1, 12), st.just(1))


@st.composite
def periods(draw: st.DrawFn) -> tuple[date, date]:
    start = draw(month_starts)
    length = draw(st.integers(1, 14))
    year, month = divmod(start.month - 1 + length - 1, 12)
    end_year, end_month = start.year + year, month + 1
    end = date(end_year, end_month, calendar.monthrange(end_year, end_month)[1])
    return start, end


contract_dates = st.dates(date(2018, 1, 1), date(2032, 12, 31))


@given(periods(), contract_dates, st.integers(0, 800), st.integers(0, 800))
def test_more_days_served_never_means_fewer_months(
    period: tuple[date, date], start: date, length: int, extra: int
) -> None:
    shorter = rules.months_served(start, start + timedelta(days=length), *period)
    longer = rules.months_served(start, start + timedelta(days=length + extra), *period)
    earlier = rules.months_served(
        start - timedelta(days=extra), start + timedelta(days=length), *period
    )
    assert 0 <= shorter <= longer
    assert shorter <= earlier
    assert longer <= rules.months_in_period(*period)  # type: ignore[operator]


@given(periods(), st.integers(0, 100_000), st.integers(0, 10**8), st.integers(0, 100))
def test_the_whole_period_served_is_its_months_times_the_monthly_amount(
    period: tuple[date, date], rate: int, area: int, ratio: int
) -> None:
    whole = rules.months_served(period[0] - timedelta(days=40), None, *period)
    count = rules.months_in_period(*period)
    assert whole == count
    monthly = Fraction(rate * area, 100)
    base = rules.subsidy_base(rate, area, whole)
    assert base == rules.round_half_up(monthly * count)
    assert isinstance(base, int) and base >= 0


@given(
    periods(),
    contract_dates,
    st.integers(0, 800),
    st.integers(0, 100_000),
    st.integers(0, 10**8),
    st.integers(0, 100),
)
def test_base_and_amount_are_whole_fen_never_negative_and_within_half_a_fen(
    period: tuple[date, date], start: date, length: int, rate: int, area: int, ratio: int
) -> None:
    served = rules.months_served(start, start + timedelta(days=length), *period)
    base = rules.subsidy_base(rate, area, served)
    amount = rules.subsidy_amount(rate, area, served, ratio)
    assert type(base) is int and type(amount) is int
    exact = Fraction(rate * area, 100) * served
    assert 0 <= amount <= base
    assert abs(base - exact) <= Fraction(1, 2)
    assert abs(amount - exact * Fraction(ratio, 100)) <= Fraction(1, 2)


@given(periods(), contract_dates, st.integers(0, 800))
def test_months_served_add_up_day_by_day(
    period: tuple[date, date], start: date, length: int
) -> None:
    end = start + timedelta(days=length)
    total = Fraction(0)
    day = period[0]
    while day <= period[1]:
        if start <= day <= end:
            total += Fraction(1, calendar.monthrange(day.year, day.month)[1])
        day += timedelta(days=1)
    assert rules.months_served(start, end, *period) == total
