"""Pure rules: money and area parsing, identity numbers and their masking."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.errors import InputError
from service.registry.rules import id_digest, mask_id_no, normalise_id_no, resident_check_digit
from service.units import format_area, format_yuan, parse_area, parse_fen


def test_two_decimals_in_a_string_or_a_number_become_integer_fen() -> None:
    assert parse_fen("1234.50", "amount") == 123450
    assert parse_fen(Decimal("0.01"), "amount") == 1
    assert parse_fen(45, "amount") == 4500
    assert parse_area("86.4", "floor_area") == 8640


@pytest.mark.parametrize("bad", ["1.005", "NaN", "Infinity", "-0.01", "abc", "", True, 1.5, None])
def test_anything_but_a_plain_two_decimal_amount_is_refused_naming_the_field(bad: object) -> None:
    with pytest.raises(InputError) as raised:
        parse_fen(bad, "amount")
    assert raised.value.extra[0]["field"] == "amount"  # type: ignore[index]


def test_zero_is_refused_unless_allowed() -> None:
    with pytest.raises(InputError):
        parse_fen("0.00", "amount")
    assert parse_fen("0.00", "rate", allow_zero=True) == 0


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_formatting_round_trips_through_parsing(fen: int) -> None:
    text = format_yuan(fen)
    assert text.count(".") == 1 and len(text.split(".")[1]) == 2
    if fen > 0:
        assert parse_fen(text, "amount") == fen
    assert Decimal(text) * 100 == fen


def test_area_is_shown_with_two_decimals() -> None:
    assert format_area(8640) == "86.40"
    assert format_yuan(-5) == "-0.05"


def test_a_resident_number_with_its_check_digit_is_accepted() -> None:
    first17 = "11010519491231002"
    assert resident_check_digit(first17) == "X"
    assert normalise_id_no("11010519491231002x") == "11010519491231002X"
    assert normalise_id_no("110105194912310021") is None


def test_fifteen_digit_numbers_and_credit_codes_are_accepted() -> None:
    assert normalise_id_no("410302700101123") == "410302700101123"
    assert normalise_id_no("91410300MA44XXXX0Y") is not None
    assert normalise_id_no("12345") is None


def test_masking_keeps_the_first_and_last_four() -> None:
    assert mask_id_no("410302197001011234") == "4103**********1234"


@given(st.from_regex(r"\A\d{17}\Z"))
def test_every_valid_number_is_recognised_and_masked_without_its_middle(first17: str) -> None:
    number = first17 + resident_check_digit(first17)
    assert normalise_id_no(number) == number
    masked = mask_id_no(number)
    assert masked[:4] == number[:4] and masked[-4:] == number[-4:]
    assert set(masked[4:-4]) == {"*"}


def test_the_digest_recognises_one_owner_and_depends_on_the_pepper() -> None:
    number = "410302197001011234"
    assert id_digest(number, "a" * 32) == id_digest(number, "a" * 32)
    assert id_digest(number, "a" * 32) != id_digest(number, "b" * 32)
    assert number not in id_digest(number, "a" * 32)
