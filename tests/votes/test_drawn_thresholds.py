"""The bars the pages draw for a vote are the tally's own thresholds."""

from hypothesis import given
from hypothesis import strategies as st

from service.votes.rules import Choice, Flat, Matter, VoteRule, drawn_thresholds, tally_owner_vote

flats = st.lists(
    st.tuples(st.integers(0, 5), st.integers(1, 20_000), st.sampled_from([*Choice, None])),
    min_size=0,
    max_size=12,
)


@given(flats, st.sampled_from(list(VoteRule)), st.sampled_from(list(Matter)))
def test_a_vote_is_approved_exactly_when_every_drawn_bar_is_met(
    rows: list[tuple[int, int, Choice | None]], rule: VoteRule, matter: Matter
) -> None:
    households = [Flat(household_id=i, owner_id=o, area=a) for i, (o, a, _) in enumerate(rows)]
    ballots = {i: c for i, (_, _, c) in enumerate(rows) if c is not None}
    tally = tally_owner_vote(households, ballots, matter=matter, rule=rule)
    bars = drawn_thresholds(rule, matter)
    assert tally.approved == (tally.eligible_owners > 0 and all(b.met(tally) for b in bars))


def test_exactly_two_thirds_participation_meets_the_drawn_quorum_bar() -> None:
    households = [Flat(household_id=i, owner_id=i, area=100) for i in range(3)]
    tally = tally_owner_vote(households, {0: Choice.YES, 1: Choice.YES})
    quorum = drawn_thresholds(VoteRule.CIVIL_CODE)[0]
    assert quorum.amounts(tally) == (200, 300)
    assert quorum.met(tally)
