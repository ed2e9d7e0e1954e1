"""Interest by balance-days (积数, DOMAIN.md "Interest", issue 10 item 8): each account's
share is in proportion to the sum of its daily balances over the period, each journal
line counted from its value date; to the fen, largest remainder, ties by id."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.funds.rules import (
    balance_days,
    days_counted,
    interest_period,
    interest_shares,
)

Y2026 = (date(2026, 1, 1), date(2026, 12, 31))


def test_interest_periods_are_years_halves_quarters_and_months() -> None:
    assert interest_period("2026") == Y2026
    assert interest_period("2026-H1") == (date(2026, 1, 1), date(2026, 6, 30))
    assert interest_period("2026-H2") == (date(2026, 7, 1), date(2026, 12, 31))
    assert interest_period("2026-Q1") == (date(2026, 1, 1), date(2026, 3, 31))
    assert interest_period("2026-Q4") == (date(2026, 10, 1), date(2026, 12, 31))
    assert interest_period("2024-02") == (date(2024, 2, 1), date(2024, 2, 29))
    assert interest_period("2026-12") == (date(2026, 12, 1), date(2026, 12, 31))
    for bad in ("2026-13", "2026-Q5", "2026-H3", "26", "S1", "2026-00", ""):
        with pytest.raises(ValueError):
            interest_period(bad)


def test_a_line_counts_from_its_value_date_to_the_periods_end() -> None:
    start, end = Y2026
    assert days_counted(date(2020, 5, 1), start, end) == 365  # before: every day
    assert days_counted(date(2026, 1, 1), start, end) == 365  # on the first day
    assert days_counted(date(2026, 12, 31), start, end) == 1  # on the last day: one day
    assert days_counted(date(2026, 12, 30), start, end) == 2
    assert days_counted(date(2027, 1, 1), start, end) == 0  # after: none
    leap = interest_period("2024-Q1")
    assert days_counted(date(2024, 2, 29), *leap) == 32  # 29 Feb to 31 Mar


def test_balance_days_are_the_sum_of_the_daily_balances() -> None:
    start, end = interest_period("2026-01")  # 31 days
    lines = [(date(2025, 12, 1), 100_00), (date(2026, 1, 11), 50_00), (date(2026, 1, 21), -30_00)]
    # 1-10 Jan: 100.00; 11-20: 150.00; 21-31: 120.00
    expected = 10 * 100_00 + 10 * 150_00 + 11 * 120_00
    assert balance_days(lines, start, end) == expected
    daily = sum(sum(a for v, a in lines if v <= start + timedelta(days=d)) for d in range(31))
    assert balance_days(lines, start, end) == daily


def test_a_deposit_the_day_before_the_allocation_earns_about_one_days_worth() -> None:
    """Issue 10 item 8: 10,000.00 held all year against 10,000.00 deposited on the year's
    last day: 365 to 1, not half each."""
    start, end = Y2026
    weights = {
        "all-year": balance_days([(date(2025, 6, 1), 1_000_000)], start, end),
        "last-day": balance_days([(date(2026, 12, 31), 1_000_000)], start, end),
    }
    assert weights == {"all-year": 365 * 1_000_000, "last-day": 1_000_000}
    shares = interest_shares(366_00, weights)
    assert shares == {"all-year": 365_00, "last-day": 1_00}


def test_money_used_mid_period_still_earned_until_it_left() -> None:
    start, end = interest_period("2026-Q1")  # 90 days
    used = balance_days([(date(2025, 1, 1), 900_00), (date(2026, 2, 15), -900_00)], start, end)
    assert used == 45 * 900_00  # 1 Jan - 14 Feb
    kept = balance_days([(date(2025, 1, 1), 900_00)], start, end)
    assert interest_shares(3_00, {"used": used, "kept": kept}) == {"used": 1_00, "kept": 2_00}


def test_accounts_without_positive_balance_days_share_nothing() -> None:
    start, end = Y2026
    empty = balance_days([(date(2027, 1, 1), 500_00)], start, end)  # after the period
    assert empty == 0
    assert interest_shares(100, {"a": empty, "b": 7, "c": -3}) == {"b": 100}
    with pytest.raises(ValueError):
        interest_shares(100, {"a": 0, "b": -1})


def test_equal_balance_days_tie_by_id() -> None:
    assert interest_shares(1, {"b": 5, "a": 5}) == {"a": 1, "b": 0}


# ---- properties ------------------------------------------------------------------------

periods = st.sampled_from(
    ["2024", "2025", "2026-H1", "2026-H2", "2024-Q1", "2026-Q3", "2024-02", "2026-12"]
)
value_dates = st.dates(date(2023, 1, 1), date(2027, 12, 31))
deposits = st.lists(st.tuples(value_dates, st.integers(1, 10**9)), min_size=1, max_size=6)


@given(
    periods,
    st.dictionaries(st.uuids().map(str), deposits, min_size=1, max_size=12),
    st.integers(0, 10**10),
)
def test_shares_sum_exactly_to_the_interest_and_stay_within_a_fen(
    period: str, accounts: dict[str, list[tuple[date, int]]], total: int
) -> None:
    start, end = interest_period(period)
    weights = {k: balance_days(lines, start, end) for k, lines in accounts.items()}
    if not any(w > 0 for w in weights.values()):
        with pytest.raises(ValueError):
            interest_shares(total, weights)
        return
    shares = interest_shares(total, weights)
    assert sum(shares.values()) == total
    whole = sum(w for w in weights.values() if w > 0)
    for key, share in shares.items():
        assert abs(share * whole - total * weights[key]) < whole  # within one fen
        assert share >= 0


@given(periods, deposits, st.integers(0, 10**9), st.integers(2, 8))
def test_equal_balance_days_get_equal_shares_within_a_fen(
    period: str, lines: list[tuple[date, int]], total: int, copies: int
) -> None:
    start, end = interest_period(period)
    days = balance_days(lines, start, end)
    if days <= 0:
        return
    shares = interest_shares(total, {f"k{i}": days for i in range(copies)})
    assert max(shares.values()) - min(shares.values()) <= 1


@given(periods, value_dates, st.integers(1, 10**9), st.integers(1, 400))
def test_an_earlier_deposit_never_earns_less(
    period: str, paid_on: date, amount: int, earlier_by: int
) -> None:
    start, end = interest_period(period)
    later = balance_days([(paid_on, amount)], start, end)
    earlier = balance_days([(paid_on - timedelta(days=earlier_by), amount)], start, end)
    assert 0 <= later <= earlier <= amount * ((end - start).days + 1)


@given(periods, deposits)
def test_balance_days_add_up_day_by_day(period: str, lines: list[tuple[date, int]]) -> None:
    start, end = interest_period(period)
    daily, day = 0, start
    while day <= end:
        daily += sum(a for v, a in lines if v <= day)
        day += timedelta(days=1)
    assert balance_days(lines, start, end) == daily
