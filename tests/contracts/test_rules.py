"""Pure contract rules: overlapping terms, notice, back-dating of service records."""

from __future__ import annotations

from datetime import date, timedelta

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


# --- Civil Code art. 948 para 2: notice on a no-fixed-term contract -----------------


def test_notice_ends_the_contract_sixty_days_after_the_notice_day() -> None:
    assert rules.notice_end(date(2026, 1, 1), 60) == date(2026, 3, 2)
    # The notice day itself is not counted; the end is exactly the floor.
    end = rules.notice_end(date(2026, 1, 1), 60)
    assert rules.notice_is_sufficient(date(2026, 1, 1), end, 60)
    assert not rules.notice_is_sufficient(date(2026, 1, 1), end - timedelta(days=1), 60)


def test_a_notice_period_below_sixty_days_is_not_a_rule() -> None:
    with pytest.raises(ValueError):
        rules.notice_end(date(2026, 1, 1), 59)
    assert rules.notice_end(date(2026, 1, 1), 90) == date(2026, 4, 1)


@given(st.dates(max_value=date(9000, 1, 1)), st.integers(min_value=60, max_value=400))
def test_the_notice_end_is_always_just_sufficient(notice: date, days: int) -> None:
    end = rules.notice_end(notice, days)
    assert rules.notice_is_sufficient(notice, end, days)
    assert not rules.notice_is_sufficient(notice, end - timedelta(days=1), days)


def test_a_company_cannot_end_a_fixed_term_but_may_end_a_no_fixed_term() -> None:
    assert rules.termination_problem("company", no_fixed_term=False, notice_pending=False)
    assert rules.termination_problem("company", no_fixed_term=True, notice_pending=False) is None
    assert rules.termination_problem("owners", no_fixed_term=False, notice_pending=False) is None
    assert rules.termination_problem("owners", no_fixed_term=True, notice_pending=False) is None


@given(st.sampled_from(["company", "owners"]), st.booleans())
def test_a_second_notice_while_one_runs_is_always_refused(party: str, open_ended: bool) -> None:
    assert rules.termination_problem(party, open_ended, notice_pending=True)


# --- arts. 949-950: hand-over --------------------------------------------------------


def test_service_in_hand_over_ends_the_day_before_the_successor_starts() -> None:
    assert rules.handover_end(date(2025, 6, 30), date(2026, 1, 1)) == date(2025, 12, 31)
    # A successor starting the day after the term: no hand-over days at all.
    assert rules.handover_end(date(2025, 6, 30), date(2025, 7, 1)) == date(2025, 6, 30)
    # Never before the term's own end, even for a back-dated successor.
    assert rules.handover_end(date(2025, 6, 30), date(2025, 5, 1)) == date(2025, 6, 30)


@given(st.dates(max_value=date(9000, 1, 1)), st.dates(min_value=date(1, 1, 2)))
def test_the_handover_end_never_precedes_the_term_nor_meets_the_successor(
    term_end: date, successor: date
) -> None:
    last = rules.handover_end(term_end, successor)
    assert last >= term_end
    assert last < successor or last == term_end


@given(st.booleans(), st.booleans(), st.booleans())
def test_hand_over_closes_only_with_a_started_successor_and_both_confirmations(
    started: bool, outgoing: bool, incoming: bool
) -> None:
    assert rules.handover_may_close(started, outgoing, incoming) == (
        started and outgoing and incoming
    )
