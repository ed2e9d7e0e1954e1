"""The lift retrofit's arithmetic at its boundaries: consent by Civil Code art. 278
(2/3 take part, 3/4 of them agree, "以上" inclusive), shares by floor then area to the fen,
the subsidy, what a payment counts for, and the stages."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.lifts import rules
from service.lifts.rules import LiftAction, LiftStatus
from service.registry.rules import mask_name
from service.votes.rules import Choice, Flat

Y, N, A = Choice.YES, Choice.NO, Choice.ABSTAIN


def flats(*areas: int) -> list[Flat]:
    """One owner per flat, ids 0..n-1."""
    return [Flat(household_id=i, owner_id=f"o{i}", area=a) for i, a in enumerate(areas)]


# --- consent -------------------------------------------------------------------------


def test_the_default_coefficients_and_subsidy_are_domains() -> None:
    assert rules.DEFAULT_COEFFICIENTS == {1: 0, 2: 50, 3: 80, 4: 100, 5: 120, 6: 140, 7: 160}
    assert rules.DEFAULT_SUBSIDY_FEN == 100_000_00


def test_exactly_two_thirds_taking_part_and_three_quarters_agreeing_is_consent() -> None:
    # 12 flats of 60.00 m²: 8 take part (2/3 of heads and area), 6 agree (3/4 of both).
    forms = {i: Y for i in range(6)} | {6: N, 7: N}
    tally = rules.tally_consent(flats(*[6000] * 12), forms)
    assert (tally.voted_owners, tally.eligible_owners) == (8, 12)
    assert 3 * tally.voted_area == 2 * tally.eligible_area
    assert 4 * tally.yes_area == 3 * tally.voted_area and 4 * tally.yes_owners == 3 * 8
    assert tally.quorum_met and tally.approved


def test_one_hundredth_of_a_square_metre_below_three_quarters_is_no_consent() -> None:
    # The register's smallest unit is 0.01 m²: a yes flat 0.01 m² smaller, a no flat
    # 0.01 m² larger; heads and participation unchanged.
    areas = [5999] + [6000] * 5 + [6001, 6000] + [6000] * 4
    forms = {i: Y for i in range(6)} | {6: N, 7: N}
    tally = rules.tally_consent(flats(*areas), forms)
    assert tally.quorum_met
    assert 4 * tally.yes_area == 3 * tally.voted_area - 4
    assert not tally.approved


def test_one_owner_below_three_quarters_is_no_consent_whatever_the_area() -> None:
    # 8 take part, 5 agree (5/8 < 3/4) although the yes flats hold far more area.
    areas = [9000] * 5 + [3000] * 3 + [6000] * 4
    tally = rules.tally_consent(flats(*areas), {i: Y for i in range(5)} | {5: N, 6: N, 7: N})
    assert tally.quorum_met and 4 * tally.yes_area >= 3 * tally.voted_area
    assert not tally.approved


def test_one_owner_below_two_thirds_taking_part_is_no_quorum() -> None:
    areas = [9000] * 7 + [5000] * 5
    tally = rules.tally_consent(flats(*areas), {i: Y for i in range(7)})
    assert 3 * tally.voted_area >= 2 * tally.eligible_area and tally.voted_owners == 7
    assert not tally.quorum_met and not tally.approved


def test_an_owner_of_two_flats_counts_once_with_both_areas() -> None:
    two = [Flat(0, "o0", 6000), Flat(1, "o0", 6000), *flats(0, 0, 6000, 6000)[2:]]
    tally = rules.tally_consent(two, {0: Y, 1: Y, 2: Y})
    assert tally.eligible_owners == 3 and tally.yes_owners == 2
    assert tally.yes_area == 18000


def test_a_lift_needs_three_quarters_where_a_fund_use_needs_only_a_majority() -> None:
    # 2 yes out of 3 participants: a majority, not three quarters.
    tally = rules.tally_consent(flats(100, 100, 100), {0: Y, 1: Y, 2: N})
    assert tally.quorum_met and not tally.approved


@given(
    areas=st.lists(st.integers(1, 20_000), min_size=1, max_size=30),
    choices=st.lists(st.sampled_from([Y, N, A, None]), min_size=30, max_size=30),
)
def test_consent_is_exactly_the_fractions_of_article_278(
    areas: list[int], choices: list[Choice | None]
) -> None:
    forms = {i: c for i, c in enumerate(choices[: len(areas)]) if c is not None}
    tally = rules.tally_consent(flats(*areas), forms)
    voted = [i for i in forms]
    yes = [i for i in forms if forms[i] is Y]
    area = Fraction(sum(areas[i] for i in voted), sum(areas))
    heads = Fraction(len(voted), len(areas))
    quorum = area >= Fraction(2, 3) and heads >= Fraction(2, 3)
    assert tally.quorum_met == quorum
    if voted:
        agreed = Fraction(sum(areas[i] for i in yes), sum(areas[i] for i in voted)) >= Fraction(
            3, 4
        ) and Fraction(len(yes), len(voted)) >= Fraction(3, 4)
        assert tally.approved == (quorum and agreed)


# --- shares --------------------------------------------------------------------------


def unit(areas: list[int]) -> dict[int, tuple[int, int]]:
    """Flats 0..n-1, two a floor from the ground up."""
    return {i: (i // 2 + 1, area) for i, area in enumerate(areas)}


def test_the_ground_floor_pays_nothing_and_shares_rise_with_height() -> None:
    shares = rules.share_by_floor(200_000_00, unit([6000] * 12), rules.DEFAULT_COEFFICIENTS)
    assert sum(shares.values()) == 200_000_00
    assert shares[0] == shares[1] == 0
    by_floor = [shares[2 * f] for f in range(6)]
    assert by_floor == sorted(by_floor)
    # Coefficients 0.5 + 0.8 + 1.0 + 1.2 + 1.4 = 4.9: a second-floor flat of the same
    # area as the others carries 0.5 / (2 × 4.9) of the cost, the top floor 1.4 / 9.8.
    assert abs(shares[2] - Fraction(200_000_00 * 50, 2 * 490)) < 1
    assert abs(shares[11] - Fraction(200_000_00 * 140, 2 * 490)) < 1


def test_within_a_floor_the_cost_follows_the_area() -> None:
    shares = rules.share_by_floor(10_000_00, {0: (2, 4000), 1: (2, 6000)}, {2: 50})
    assert shares == {0: 4_000_00, 1: 6_000_00}


def test_a_floor_without_a_coefficient_is_refused() -> None:
    with pytest.raises(rules.SharingError):
        rules.share_by_floor(100, {0: (8, 6000)}, rules.DEFAULT_COEFFICIENTS)
    assert rules.missing_coefficients([1, 8, 9, 8], rules.DEFAULT_COEFFICIENTS) == [8, 9]


def test_an_agreed_share_is_kept_and_the_rest_shared_by_floor_and_area() -> None:
    flats_ = unit([6000] * 4)  # floors 1, 1, 2, 2
    shares = rules.share_by_floor(10_000_00, flats_, {1: 0, 2: 100}, agreed={0: 1_000_00})
    assert shares == {0: 1_000_00, 1: 0, 2: 4_500_00, 3: 4_500_00}


def test_agreed_shares_above_the_total_or_nobody_left_to_pay_are_refused() -> None:
    with pytest.raises(rules.SharingError) as above:
        rules.share_by_floor(100, unit([6000, 6000]), {1: 0}, agreed={0: 101})
    assert above.value.reason == "exceeds"
    with pytest.raises(rules.SharingError) as nobody:
        rules.share_by_floor(100, unit([6000, 6000]), {1: 0}, agreed={0: 50})
    assert nobody.value.reason == "nobody"
    assert rules.share_by_floor(100, unit([6000, 6000]), {1: 0}, agreed={0: 100}) == {0: 100, 1: 0}


@given(
    total=st.integers(0, 10**12),
    areas=st.lists(st.integers(1, 30_000), min_size=1, max_size=40),
    coefficients=st.lists(st.integers(0, 500), min_size=20, max_size=20),
)
def test_shares_sum_to_the_total_to_the_fen_and_each_is_within_a_fen_of_exact(
    total: int, areas: list[int], coefficients: list[int]
) -> None:
    factors = {floor: coefficients[floor - 1] for floor in range(1, 21)}
    factors[1] = max(factors[1], 1)  # somebody carries the cost
    shape = unit(areas)
    shares = rules.share_by_floor(total, shape, factors)
    assert sum(shares.values()) == total
    weights = {k: factors[f] * a for k, (f, a) in shape.items()}
    for key, share in shares.items():
        exact = Fraction(total * weights[key], sum(weights.values()))
        assert abs(share - exact) < 1


@pytest.mark.parametrize("total", [1, 7, 11, 100_000_01, 123_456_789, 200_000_00 - 1])
def test_awkward_amounts_share_exactly(total: int) -> None:
    areas = [5512, 7315, 6001, 8840, 5999, 7777, 6123, 9001, 4567, 6666, 7070, 8123]
    shares = rules.share_by_floor(total, unit(areas), rules.DEFAULT_COEFFICIENTS)
    assert sum(shares.values()) == total


def test_the_subsidy_never_exceeds_the_cost() -> None:
    assert rules.owners_cost(300_000_00, rules.DEFAULT_SUBSIDY_FEN) == 200_000_00
    assert rules.subsidy_applied(80_000_00, rules.DEFAULT_SUBSIDY_FEN) == 80_000_00
    assert rules.owners_cost(80_000_00, rules.DEFAULT_SUBSIDY_FEN) == 0


# --- payments ------------------------------------------------------------------------


def test_direct_and_provident_fund_payments_count_in_full() -> None:
    for method in ("direct", "provident_fund"):
        assert rules.counted_payment(500_00, method) == rules.Counted(500_00, 0, "paid")


def test_a_maintenance_fund_payment_counts_what_the_journal_posted() -> None:
    assert rules.counted_payment(500_00, "maintenance_fund", "voting") == rules.Counted(
        0, 500_00, "pending"
    )
    assert rules.counted_payment(500_00, "maintenance_fund", "settled", 500_00, 0).state == "paid"
    short = rules.counted_payment(500_00, "maintenance_fund", "settled", 500_00, 120_00)
    assert (short.paid, short.pending, short.state) == (380_00, 0, "part_paid")
    assert rules.counted_payment(500_00, "maintenance_fund", "rejected").state == "void"
    partly = rules.counted_payment(500_00, "maintenance_fund", "paying", 200_00, 0)
    assert (partly.paid, partly.pending) == (200_00, 300_00)


def test_what_is_owed_never_goes_below_zero() -> None:
    paid = [rules.Counted(300, 0, "paid"), rules.Counted(0, 200, "pending")]
    assert rules.outstanding(600, paid) == 100
    assert rules.outstanding(400, paid) == 0


# --- stages --------------------------------------------------------------------------


def test_the_stages_run_in_order_from_consent_to_use() -> None:
    status = LiftStatus.CONSENT
    for action in (
        LiftAction.CONSENT_GIVEN,
        LiftAction.DESIGN_APPROVED,
        LiftAction.CONSTRUCTION_DONE,
        LiftAction.ACCEPTED,
        LiftAction.REGISTERED,
    ):
        status = rules.next_status(status, action)
    assert status is LiftStatus.IN_USE


def test_no_stage_can_be_skipped_or_reopened() -> None:
    legal = set(rules.TRANSITIONS)
    for status in LiftStatus:
        for action in LiftAction:
            if (status, action) not in legal:
                with pytest.raises(rules.IllegalStep):
                    rules.next_status(status, action)
    with pytest.raises(rules.IllegalStep):
        rules.next_status(LiftStatus.CONSTRUCTION, LiftAction.CANCEL)


def test_a_documented_stage_is_left_only_with_a_document() -> None:
    assert not rules.may_leave("design", [])
    assert rules.may_leave("design", ["consent", "design"])
    assert rules.may_leave("registration", [])


def test_the_subsidy_is_claimed_then_paid() -> None:
    assert rules.next_subsidy_status("unclaimed", "claim") is rules.SubsidyStatus.CLAIMED
    assert rules.next_subsidy_status("claimed", "paid") is rules.SubsidyStatus.PAID
    with pytest.raises(rules.IllegalStep):
        rules.next_subsidy_status("unclaimed", "paid")


def test_published_names_keep_only_the_first_and_last_character() -> None:
    assert mask_name("张小明") == "张*明"
    assert mask_name("欧阳小明") == "欧**明"
    assert mask_name("张伟") == "张*"
    assert mask_name("张") == "*"
