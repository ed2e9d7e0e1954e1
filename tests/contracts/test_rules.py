"""Pure contract rules: overlapping terms, notice, back-dating of service records."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.contracts import rules


def test_terms_sharing_one_day_overlap() -> None:
    assert rules.terms_overlap(date(2026, 1, 1), date(2026, 12, 31), date(2026, 12, 31), None)
    assert not rules.terms_overlap(
        date(2026, 1, 1), date(2026, 12, 31), date(2027, 1, 1), date(2027, 12, 31)
    )


def test_an_open_ended_term_overlaps_everything_after_its_start() -> None:
    assert rules.terms_overlap(date(2020, 1, 1), None, date(2090, 1, 1), date(2090, 2, 1))
    assert not rules.terms_overlap(date(2020, 1, 1), None, date(2019, 1, 1), date(2019, 12, 31))


@given(st.dates(), st.dates(), st.dates(), st.dates())
def test_overlap_is_symmetric(a: date, b: date, c: date, d: date) -> None:
    a, b = sorted((a, b))
    c, d = sorted((c, d))
    assert rules.terms_overlap(a, b, c, d) == rules.terms_overlap(c, d, a, b)


def test_sixty_days_notice_is_enough_and_fifty_nine_is_not() -> None:
    assert rules.notice_is_sufficient(date(2026, 1, 1), date(2026, 3, 2), 60)
    assert not rules.notice_is_sufficient(date(2026, 1, 1), date(2026, 3, 1), 60)


def test_the_notice_period_never_falls_below_sixty_days(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHANGXIAO_CONTRACT_NOTICE_DAYS", "30")
    assert rules.notice_days() == 60
    monkeypatch.setenv("CHANGXIAO_CONTRACT_NOTICE_DAYS", "90")
    assert rules.notice_days() == 90


def test_record_dates_are_limited_to_the_backdating_window_and_the_term() -> None:
    today = date(2026, 11, 26)
    start = date(2026, 1, 1)
    assert rules.record_date_problem(today, today, 7, start, None) is None
    assert rules.record_date_problem(date(2026, 11, 19), today, 7, start, None) is None
    assert rules.record_date_problem(date(2026, 11, 18), today, 7, start, None) is not None
    assert rules.record_date_problem(date(2026, 11, 27), today, 7, start, None) == "不能晚于今天"
    assert (
        rules.record_date_problem(date(2025, 12, 31), today, 400, start, None) == "不在合同期限内"
    )
