"""Pure rules of a fund use: its state machine and how a payment draws on an account."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.fund_uses.rules import (
    IllegalTransition,
    UseAction,
    UseStatus,
    draw_from_account,
    next_status,
    payable,
)
from service.funds.rules import allocate_by_weight


def test_the_normal_path_runs_from_voting_to_settled() -> None:
    status = UseStatus.VOTING
    for action in (UseAction.CLOSE_VOTE_APPROVED, UseAction.APPROVE, UseAction.PAY, UseAction.PAY):
        status = next_status(status, action)
    assert status is UseStatus.PAYING
    assert next_status(status, UseAction.PAY_FINAL) is UseStatus.SETTLED


def test_an_emergency_goes_straight_to_approval() -> None:
    assert next_status(UseStatus.PENDING_APPROVAL, UseAction.APPROVE) is UseStatus.APPROVED


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (UseStatus.VOTING, UseAction.APPROVE),
        (UseStatus.VOTING, UseAction.PAY),
        (UseStatus.REJECTED, UseAction.APPROVE),
        (UseStatus.OWNERS_APPROVED, UseAction.PAY),
        (UseStatus.SETTLED, UseAction.PAY),
        (UseStatus.PAYING, UseAction.CANCEL),
        (UseStatus.CANCELLED, UseAction.APPROVE),
    ],
)
def test_illegal_transitions_are_refused(status: UseStatus, action: UseAction) -> None:
    with pytest.raises(IllegalTransition):
        next_status(status, action)


def test_interest_is_drawn_first_when_the_policy_says_so() -> None:
    draw = draw_from_account(want=1000, principal=5000, interest=300, interest_first=True)
    assert (draw.interest, draw.principal, draw.self_funded) == (300, 700, 0)
    draw = draw_from_account(want=1000, principal=5000, interest=300, interest_first=False)
    assert (draw.interest, draw.principal, draw.self_funded) == (0, 1000, 0)


def test_what_the_balance_cannot_cover_is_owed_never_a_negative_balance() -> None:
    draw = draw_from_account(want=1000, principal=600, interest=100, interest_first=True)
    assert (draw.interest, draw.principal, draw.self_funded) == (100, 600, 300)


@given(
    st.integers(0, 10**9),
    st.integers(0, 10**9),
    st.integers(0, 10**9),
    st.booleans(),
)
def test_a_draw_always_adds_up_and_never_overdraws(
    want: int, principal: int, interest: int, interest_first: bool
) -> None:
    draw = draw_from_account(want, principal, interest, interest_first)
    assert draw.principal + draw.interest + draw.self_funded == want
    assert 0 <= draw.principal <= principal and 0 <= draw.interest <= interest
    assert draw.self_funded == max(0, want - principal - interest)


def test_payments_never_exceed_the_approved_cost() -> None:
    assert payable(100_000, 60_000, 40_000)
    assert not payable(100_000, 60_000, 40_001)
    assert not payable(100_000, 0, 0)


@given(
    st.integers(1, 10**10),
    st.dictionaries(st.uuids(), st.integers(1, 50_000), min_size=1, max_size=60),
)
def test_shares_by_area_sum_to_the_cost_and_each_is_within_a_fen(
    cost: int, areas: dict[object, int]
) -> None:
    shares = allocate_by_weight(cost, areas)
    assert sum(shares.values()) == cost
    total = sum(areas.values())
    for key, area in areas.items():
        assert abs(shares[key] * total - cost * area) < total
