"""Pure fund rules: first deposit, the 30% line, largest-remainder allocation, the hash."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.funds.rules import (
    GENESIS_HASH,
    allocate_by_weight,
    canonical_entry,
    entry_hash,
    first_deposit,
    lines_balance,
    needs_replenishment,
    owed_to_threshold,
    replenish_threshold,
)


def test_first_deposit_is_rate_times_area_to_the_fen() -> None:
    assert first_deposit(4500, 8640) == 388800  # 45.00 × 86.40 = 3888.00
    assert first_deposit(4500, 7215) == 324675  # 45.00 × 72.15 = 3246.75


def test_first_deposit_rounds_half_up_to_the_fen() -> None:
    assert first_deposit(4501, 150) == 6752  # 67.515 yuan → 67.52
    assert first_deposit(4501, 110) == 4951  # 49.511 yuan → 49.51


def test_the_threshold_is_thirty_percent_rounded_up() -> None:
    assert replenish_threshold(388800) == 116640
    assert replenish_threshold(388801) == 116641  # 1166.403 → 1166.41


def test_exactly_thirty_percent_does_not_need_replenishment() -> None:
    assert not needs_replenishment(116640, 388800)
    assert needs_replenishment(116639, 388800)


def test_a_balance_below_the_unrounded_thirty_percent_needs_replenishment() -> None:
    # 30% of 3888.01 is 1166.403: 1166.40 is below it.
    assert needs_replenishment(116640, 388801)


def test_a_household_without_a_first_deposit_is_not_replenishing() -> None:
    assert not needs_replenishment(0, None)
    assert owed_to_threshold(0, None) == 0


def test_owed_is_what_brings_the_balance_back_to_the_threshold() -> None:
    assert owed_to_threshold(100000, 388800) == 16640
    assert owed_to_threshold(200000, 388800) == 0


@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=0, max_value=10**12))
def test_needs_replenishment_is_exactly_below_thirty_percent(balance: int, first: int) -> None:
    assert needs_replenishment(balance, first) == (Fraction(balance) < Fraction(first * 3, 10))


def test_interest_of_1234_56_over_three_balances_sums_exactly() -> None:
    weights = {"a": 100000, "b": 200000, "c": 300001}
    shares = allocate_by_weight(123456, weights)
    assert sum(shares.values()) == 123456
    total = sum(weights.values())
    for key, weight in weights.items():
        assert abs(shares[key] - Fraction(123456 * weight, total)) < 1
    assert shares == {"a": 20576, "b": 41152, "c": 61728}


def test_ties_go_to_the_smallest_id_whatever_the_input_order() -> None:
    assert allocate_by_weight(1, {"b": 1, "a": 1}) == {"a": 1, "b": 0}
    assert allocate_by_weight(2, {"c": 1, "b": 1, "a": 1}) == {"a": 1, "b": 1, "c": 0}


def test_zero_total_weight_is_refused() -> None:
    with pytest.raises(ValueError):
        allocate_by_weight(100, {"a": 0, "b": 0})
    with pytest.raises(ValueError):
        allocate_by_weight(100, {})


def test_zero_weights_get_nothing() -> None:
    assert allocate_by_weight(100, {"a": 0, "b": 3}) == {"a": 0, "b": 100}


@given(
    st.integers(min_value=0, max_value=10**13),
    st.dictionaries(
        st.text(min_size=1, max_size=6),
        st.integers(min_value=0, max_value=10**12),
        min_size=1,
        max_size=40,
    ).filter(lambda w: sum(w.values()) > 0),
)
def test_allocations_sum_exactly_and_stay_within_a_fen(total: int, weights: dict[str, int]) -> None:
    shares = allocate_by_weight(total, weights)
    assert sum(shares.values()) == total
    whole = sum(weights.values())
    for key, weight in weights.items():
        assert abs(shares[key] - Fraction(total * weight, whole)) < 1
        assert shares[key] >= 0


@given(st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=10))
def test_allocation_does_not_depend_on_input_order(weights: list[int]) -> None:
    if not sum(weights):
        return
    forward = {f"k{i:03d}": w for i, w in enumerate(weights)}
    backward = dict(reversed(list(forward.items())))
    assert allocate_by_weight(997, forward) == allocate_by_weight(997, backward)


def _largest_remainder(total_fen: int, weights: dict[str, int]) -> dict[str, int]:
    """The rule as written first: every key's remainder ranked with its string."""
    total_weight = sum(weights.values())
    shares = {key: total_fen * weight // total_weight for key, weight in weights.items()}
    ranked = sorted(weights, key=lambda key: (-(total_fen * weights[key] % total_weight), key))
    for key in ranked[: total_fen - sum(shares.values())]:
        shares[key] += 1
    return shares


@given(
    total=st.integers(0, 10**9),
    weights=st.dictionaries(st.text(max_size=3), st.integers(0, 50), min_size=1, max_size=40),
)
def test_the_fen_left_over_go_to_the_largest_remainders_ties_by_key(
    total: int, weights: dict[str, int]
) -> None:
    """Small weights make many remainders tie at the cut: the tie-break by key string
    must pick the same keys as ranking every key."""
    if not sum(weights.values()):
        return
    assert allocate_by_weight(total, weights) == _largest_remainder(total, weights)


def test_the_hash_covers_the_previous_hash_and_every_field() -> None:
    lines = [{"account": "b", "delta": -5}, {"account": "a", "delta": 5}]
    text = canonical_entry({"seq": 1, "kind": "x"}, lines)
    assert text == canonical_entry({"kind": "x", "seq": 1}, list(reversed(lines)))
    first = entry_hash(GENESIS_HASH, text)
    assert len(first) == 64
    assert first != entry_hash("1" * 64, text)
    assert first != entry_hash(GENESIS_HASH, canonical_entry({"seq": 1, "kind": "y"}, lines))


_VALUES = st.one_of(st.none(), st.booleans(), st.integers(-(2**63), 2**63 - 1), st.text())
_LINES = st.lists(
    st.fixed_dictionaries(
        {
            "account": st.text(),
            "household": st.one_of(st.none(), st.text()),
            "owner": st.one_of(st.none(), st.text()),
            "principal_delta": st.integers(-(2**53), 2**53),
            "interest_delta": st.integers(-(2**53), 2**53),
        }
    ),
    max_size=5,
)


@given(entry=st.dictionaries(st.text(), _VALUES, max_size=8), lines=_LINES)
def test_the_canonical_text_is_the_sorted_compact_json_every_stored_hash_was_made_with(
    entry: dict, lines: list[dict]
) -> None:
    """Entries hashed before the text was made by msgspec must still verify: the text is
    json.dumps' sorted, compact, unescaped form for any text (control characters,
    quotes, CJK, characters beyond the BMP) and any key."""
    ordered = sorted(lines, key=lambda line: (str(line["account"]), str(line.get("household"))))
    expected = json.dumps(
        {"entry": entry, "lines": ordered},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    assert canonical_entry(entry, lines) == expected


# The hash of this entry as json.dumps made its text before msgspec did.
PINNED = "171212bb8b9b893e5c67322ec631cfd331c0fcdbdcb70b04dca63bc94fb186ce"


def test_a_stored_entrys_hash_is_pinned() -> None:
    entry = {
        "id": "7d0b5c1e-4f7a-4a39-9c55-0f1f3f6f8a10",
        "seq": 3,
        "kind": "interest",
        "memo": '2026 利息 "年度"\n\t',
        "amount": 12_345,
        "period": None,
    }
    lines = [
        {
            "account": "b",
            "household": "h",
            "owner": None,
            "principal_delta": 0,
            "interest_delta": 5,
        },
        {
            "account": "a",
            "household": None,
            "owner": None,
            "principal_delta": 0,
            "interest_delta": -5,
        },
    ]
    text = canonical_entry(entry, lines)
    assert text.startswith('{"entry":{"amount":12345,"id":"7d0b5c1e')
    assert entry_hash(GENESIS_HASH, text) == PINNED


def test_a_deposit_and_its_custody_line_balance() -> None:
    assert lines_balance([(100_00, 0), (-100_00, 0)])
    assert lines_balance([(0, 3), (0, 2), (0, -5)])


def test_one_fen_off_on_either_sub_account_does_not_balance() -> None:
    assert not lines_balance([(100_00, 0), (-99_99, 0)])
    assert not lines_balance([(0, 1), (0, 0)])
    # Sums per sub-account: principal moved against interest is not double entry.
    assert not lines_balance([(1, 0), (0, -1)])


@given(
    st.lists(
        st.tuples(st.integers(-(10**12), 10**12), st.integers(-(10**12), 10**12)), max_size=50
    ),
    st.integers(-(10**12), 10**12),
)
def test_lines_plus_their_counter_line_balance_and_any_change_breaks_it(
    lines: list[tuple[int, int]], nudge: int
) -> None:
    counter = (-sum(p for p, _ in lines), -sum(i for _, i in lines))
    assert lines_balance([*lines, counter])
    if nudge:
        assert not lines_balance([*lines, (counter[0] + nudge, counter[1])])
        assert not lines_balance([*lines, (counter[0], counter[1] + nudge)])
