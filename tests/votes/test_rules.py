"""The owners' vote at the law's boundaries (Civil Code arts. 278, 1259)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from service.votes.rules import Choice, Flat, Matter, VoteRule, tally_owner_vote

Y, N, A = Choice.YES, Choice.NO, Choice.ABSTAIN


def flats(*areas: int) -> list[Flat]:
    """One owner per flat, ids 0..n-1."""
    return [Flat(household_id=i, owner_id=f"o{i}", area=a) for i, a in enumerate(areas)]


def test_exactly_two_thirds_participation_by_area_and_owners_is_a_quorum() -> None:
    tally = tally_owner_vote(flats(100, 100, 100), {0: Y, 1: Y})
    assert (tally.voted_area, tally.eligible_area) == (200, 300)
    assert tally.quorum_met and tally.approved


def test_the_smallest_registered_area_less_than_two_thirds_is_not_a_quorum() -> None:
    # The register holds areas to 0.01 m² (100 cm²), its smallest unit: participation
    # falls short of exactly 2/3 by one such unit.
    tally = tally_owner_vote(flats(10000, 9999, 10001), {0: Y, 1: Y})
    assert 3 * tally.voted_area == 2 * tally.eligible_area - 3
    assert not tally.quorum_met and not tally.approved


def test_two_thirds_of_the_area_but_not_of_the_heads_is_no_quorum() -> None:
    tally = tally_owner_vote(flats(500, 10, 10, 10), {0: Y})
    assert 3 * tally.voted_area >= 2 * tally.eligible_area
    assert not tally.quorum_met


def test_exactly_half_yes_is_not_approval() -> None:
    tally = tally_owner_vote(flats(100, 100, 100, 100), {0: Y, 1: Y, 2: N, 3: N})
    assert tally.quorum_met
    assert 2 * tally.yes_area == tally.voted_area
    assert not tally.approved


def test_just_over_half_of_area_and_heads_is_approval() -> None:
    tally = tally_owner_vote(flats(100, 100, 100), {0: Y, 1: Y, 2: N})
    assert tally.approved


def test_more_than_half_of_heads_but_half_of_the_area_is_not_approval() -> None:
    tally = tally_owner_vote(flats(50, 50, 100), {0: Y, 1: Y, 2: N})
    assert tally.yes_owners == 2 and 2 * tally.yes_area == tally.voted_area
    assert not tally.approved


def test_raising_money_needs_three_quarters_inclusive() -> None:
    four = flats(100, 100, 100, 100)
    exactly = tally_owner_vote(four, {0: Y, 1: Y, 2: Y, 3: N}, matter=Matter.RAISE)
    assert exactly.approved
    short = tally_owner_vote(
        flats(100, 100, 100, 101), {0: Y, 1: Y, 2: Y, 3: N}, matter=Matter.RAISE
    )
    assert not short.approved
    using = tally_owner_vote(flats(100, 100, 100, 101), {0: Y, 1: Y, 2: Y, 3: N})
    assert using.approved


def test_an_owner_of_several_flats_counts_once_with_all_their_area() -> None:
    register = [
        Flat(household_id="h1", owner_id="p1", area=8640),
        Flat(household_id="h2", owner_id="p1", area=6000),
        Flat(household_id="h3", owner_id="p2", area=7215),
    ]
    tally = tally_owner_vote(register, {"h1": Y})
    assert tally.eligible_owners == 2
    assert tally.voted_owners == 1 and tally.voted_area == 14640
    assert tally.yes_area == 14640


def test_an_owner_whose_ballots_differ_takes_part_but_is_not_yes() -> None:
    register = [
        Flat(household_id="h1", owner_id="p1", area=100),
        Flat(household_id="h2", owner_id="p1", area=100),
        Flat(household_id="h3", owner_id="p2", area=100),
    ]
    tally = tally_owner_vote(register, {"h1": Y, "h2": N, "h3": Y})
    assert tally.voted_owners == 2 and tally.voted_area == 300
    assert tally.yes_owners == 1 and tally.yes_area == 100
    assert tally.no_owners == 0
    assert not tally.approved


def test_abstaining_counts_for_the_quorum_but_not_for_yes() -> None:
    tally = tally_owner_vote(flats(100, 100, 100), {0: Y, 1: A, 2: A})
    assert tally.quorum_met and not tally.approved


def test_the_stricter_2007_rule_needs_two_thirds_of_everyone() -> None:
    register = flats(100, 100, 100)
    assert tally_owner_vote(register, {0: Y, 1: Y}, rule=VoteRule.STRICT_2007).approved
    assert not tally_owner_vote(register, {0: Y}, rule=VoteRule.STRICT_2007).approved


def test_the_henan_objection_vote_fails_once_objectors_reach_a_third() -> None:
    register = flats(100, 100, 100)
    assert tally_owner_vote(register, {}, rule=VoteRule.HENAN_OBJECTION).approved
    assert not tally_owner_vote(register, {0: N}, rule=VoteRule.HENAN_OBJECTION).approved
    bigger = flats(100, 100, 100, 100)
    assert tally_owner_vote(bigger, {0: N}, rule=VoteRule.HENAN_OBJECTION).approved


def test_nobody_in_scope_approves_nothing() -> None:
    assert not tally_owner_vote([], {}).approved


register_strategy = st.lists(
    st.tuples(st.integers(0, 5), st.integers(1, 20000), st.sampled_from([None, Y, N, A])),
    min_size=1,
    max_size=25,
)


def build(rows: list[tuple[int, int, Choice | None]]) -> tuple[list[Flat], dict[int, Choice]]:
    register = [
        Flat(household_id=i, owner_id=owner, area=area) for i, (owner, area, _) in enumerate(rows)
    ]
    ballots = {i: c for i, (_, _, c) in enumerate(rows) if c is not None}
    return register, ballots


@given(register_strategy)
def test_counts_never_exceed_the_population(rows: list[tuple[int, int, Choice | None]]) -> None:
    register, ballots = build(rows)
    tally = tally_owner_vote(register, ballots)
    assert tally.eligible_owners == len({owner for owner, _, _ in rows})
    assert tally.eligible_area == sum(area for _, area, _ in rows)
    assert tally.yes_area + tally.no_area <= tally.voted_area <= tally.eligible_area
    assert tally.yes_owners + tally.no_owners <= tally.voted_owners <= tally.eligible_owners
    if tally.approved:
        assert tally.quorum_met


@given(register_strategy, st.integers(0, 24))
def test_turning_a_no_into_a_yes_never_loses_approval(
    rows: list[tuple[int, int, Choice | None]], index: int
) -> None:
    register, ballots = build(rows)
    before = tally_owner_vote(register, ballots)
    key = index % len(rows)
    if ballots.get(key) is not Choice.NO:
        return
    owner = rows[key][0]
    # Flip every ballot of that owner, so their position really changes to yes.
    flipped = {
        **ballots,
        **{i: Y for i, (o, _, c) in enumerate(rows) if o == owner and c is not None},
    }
    after = tally_owner_vote(register, flipped)
    assert after.approved or not before.approved


# --- Choosing, renewing or dismissing the company (art. 278 para 1 item 4) -----------

M = Matter.MANAGEMENT


def test_a_company_decision_at_exactly_two_thirds_taking_part_is_a_quorum() -> None:
    tally = tally_owner_vote(flats(100, 100, 100), {0: Y, 1: Y}, matter=M)
    assert tally.quorum_met and tally.approved


def test_a_company_decision_with_exactly_half_yes_fails() -> None:
    tally = tally_owner_vote(flats(100, 100, 100, 100), {0: Y, 1: Y, 2: N, 3: N}, matter=M)
    assert tally.quorum_met and not tally.approved


def test_a_company_decision_needs_more_than_half_of_the_heads_as_well_as_the_area() -> None:
    # 3 of 4 by area but only 1 of 2 owners say yes.
    tally = tally_owner_vote(flats(300, 100), {0: Y, 1: N}, matter=M)
    assert tally.quorum_met and not tally.approved
    majority = tally_owner_vote(flats(300, 100, 100), {0: Y, 1: Y, 2: N}, matter=M)
    assert majority.approved


@given(
    st.lists(st.integers(min_value=1, max_value=10_000), min_size=1, max_size=8),
    st.lists(st.sampled_from([Y, N, A, None]), min_size=8, max_size=8),
    st.sampled_from(list(VoteRule)),
)
def test_a_company_decision_always_follows_the_civil_code_whatever_the_community_rule(
    areas: list[int], choices: list[Choice | None], rule: VoteRule
) -> None:
    ballots = {i: c for i, c in enumerate(choices[: len(areas)]) if c is not None}
    assert tally_owner_vote(flats(*areas), ballots, matter=M, rule=rule) == tally_owner_vote(
        flats(*areas), ballots, matter=Matter.USE, rule=VoteRule.CIVIL_CODE
    )
