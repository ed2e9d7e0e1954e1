"""The pure complaint rules: states, the answer window's boundary, a period's counts."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.clock import DISTRICT_ZONE
from service.complaints import rules

FILED_AT = datetime(2026, 3, 2, 9, 30, tzinfo=DISTRICT_ZONE)
DUE = rules.answer_due(FILED_AT, 7)


def test_the_company_answers_and_the_complainant_confirms_or_disputes() -> None:
    assert rules.next_status("filed", "answer") == "answered"
    assert rules.next_status("answered", "resolve") == "resolved"
    assert rules.next_status("answered", "dispute") == "disputed"
    assert rules.next_status("disputed", "answer") == "answered"
    assert rules.party_of("answer") == rules.COMPANY
    assert rules.party_of("resolve") == rules.COMPLAINANT == rules.party_of("dispute")


@pytest.mark.parametrize(
    ("status", "action"),
    [
        ("filed", "resolve"),  # nothing to confirm before an answer
        ("filed", "dispute"),
        ("answered", "answer"),  # the complainant has not spoken yet
        ("resolved", "answer"),  # closed
        ("resolved", "dispute"),
        ("resolved", "resolve"),
        ("disputed", "resolve"),
    ],
)
def test_steps_out_of_turn_are_refused(status: str, action: str) -> None:
    with pytest.raises(rules.IllegalStep):
        rules.next_status(status, action)


def test_the_answer_is_due_seven_days_after_filing_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert rules.answer_window_days() == 7
    assert rules.answer_due(FILED_AT, 7) == datetime(2026, 3, 9, 9, 30, tzinfo=DISTRICT_ZONE)
    monkeypatch.setenv("CHANGXIAO_COMPLAINT_ANSWER_DAYS", "3")
    assert rules.answer_window_days() == 3
    monkeypatch.setenv("CHANGXIAO_COMPLAINT_ANSWER_DAYS", "zero")
    assert rules.answer_window_days() == 7


def test_an_answer_at_the_due_moment_is_in_time_and_a_microsecond_later_is_not() -> None:
    assert not rules.is_overdue(DUE, DUE, DUE + timedelta(days=30))
    assert rules.is_overdue(DUE, DUE + timedelta(microseconds=1), DUE)


def test_an_unanswered_complaint_is_overdue_only_once_the_due_moment_passed() -> None:
    assert not rules.is_overdue(DUE, None, DUE)
    assert rules.is_overdue(DUE, None, DUE + timedelta(microseconds=1))


def test_a_period_counts_filed_answered_resolved_disputed_and_overdue() -> None:
    complaints = [
        rules.Filed("resolved", DUE, DUE - timedelta(days=1)),
        rules.Filed("disputed", DUE, DUE + timedelta(hours=1)),  # answered late
        rules.Filed("filed", DUE, None),  # unanswered, past due at ``at``
        rules.Filed("filed", DUE + timedelta(days=9), None),  # unanswered, not yet due
    ]
    counts = rules.count_complaints(complaints, DUE + timedelta(days=1))
    assert counts == rules.Counts(filed=4, answered=2, resolved=1, disputed=1, overdue=2)


HOURS = st.integers(min_value=-24 * 10, max_value=24 * 10)


@st.composite
def filed(draw: st.DrawFn) -> rules.Filed:
    status = draw(st.sampled_from(rules.STATUSES))
    answered = None if status == "filed" else DUE + timedelta(hours=draw(HOURS))
    return rules.Filed(status, DUE, answered)


@given(st.lists(filed(), max_size=20), HOURS)
def test_counts_never_exceed_what_was_filed_or_answered(
    complaints: list[rules.Filed], hours: int
) -> None:
    counts = rules.count_complaints(complaints, DUE + timedelta(hours=hours))
    assert counts.filed == len(complaints)
    assert counts.resolved + counts.disputed <= counts.answered <= counts.filed
    assert counts.overdue <= counts.filed
    # Waiting longer never makes fewer complaints overdue.
    later = rules.count_complaints(complaints, DUE + timedelta(hours=hours + 1))
    assert later.overdue >= counts.overdue
