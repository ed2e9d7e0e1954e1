"""Pure rules of a fund use: its state machine and how a payment draws on an account."""

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.fund_uses.rules import (
    IllegalTransition,
    Part,
    UseAction,
    UseStatus,
    draw_from_account,
    next_status,
    payable,
    places_to_guard,
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


# --- Drafts opened by repair tickets ---------------------------------------------------


def test_a_draft_is_submitted_to_the_vote_or_in_an_emergency_to_approval() -> None:
    assert next_status(UseStatus.DRAFT, UseAction.SUBMIT) is UseStatus.VOTING
    assert next_status(UseStatus.DRAFT, UseAction.SUBMIT_EMERGENCY) is UseStatus.PENDING_APPROVAL
    assert next_status(UseStatus.DRAFT, UseAction.CANCEL) is UseStatus.CANCELLED


@pytest.mark.parametrize(
    "action",
    [
        UseAction.CLOSE_VOTE_APPROVED,
        UseAction.CLOSE_VOTE_REJECTED,
        UseAction.APPROVE,
        UseAction.PAY,
        UseAction.PAY_FINAL,
    ],
)
def test_a_draft_is_neither_voted_approved_nor_paid(action: UseAction) -> None:
    with pytest.raises(IllegalTransition):
        next_status(UseStatus.DRAFT, action)


@given(st.sampled_from(list(UseStatus)))
def test_only_a_draft_can_be_submitted(status: UseStatus) -> None:
    for action in (UseAction.SUBMIT, UseAction.SUBMIT_EMERGENCY):
        if status is UseStatus.DRAFT:
            continue
        with pytest.raises(IllegalTransition):
            next_status(status, action)


# --- The parts the warranty guard checks (165号令 art. 18) ------------------------------

B1, B2, B3 = (uuid.UUID(int=n) for n in (1, 2, 3))


def test_the_guard_checks_the_component_over_the_charged_buildings() -> None:
    assert places_to_guard("roofing", [], [B1]) == [("roofing", frozenset({B1}))]


def test_a_part_on_another_building_widens_every_check() -> None:
    checked = places_to_guard("plumbing", [Part("roofing", frozenset({B2}))], [B1])
    assert checked == [("plumbing", frozenset({B1, B2})), ("roofing", frozenset({B1, B2}))]


def test_a_category_named_twice_is_checked_once() -> None:
    checked = places_to_guard("roofing", [Part("roofing", frozenset({B3}))], [B1])
    assert checked == [("roofing", frozenset({B1, B3}))]


@given(
    st.sampled_from(["roofing", "plumbing", "exterior_wall"]),
    st.lists(
        st.builds(
            Part,
            st.sampled_from(["roofing", "plumbing", "exterior_wall", "equipment"]),
            st.frozensets(st.sampled_from([B1, B2, B3])),
        ),
        max_size=5,
    ),
    st.frozensets(st.sampled_from([B1, B2, B3])),
)
def test_every_named_category_is_checked_over_every_building_charged_or_named(
    component: str, parts: list[Part], charged: frozenset[uuid.UUID]
) -> None:
    checked = dict(places_to_guard(component, parts, charged))
    named = {component, *(p.category for p in parts)}
    assert set(checked) == named
    everywhere = charged.union(*(p.building_ids for p in parts))
    assert all(places == everywhere for places in checked.values())
