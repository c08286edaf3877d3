"""Identifier checks against known-good and known-bad values."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.common.identifiers import (
    check_cage,
    check_corporate_number,
    check_naics,
    check_uei,
    corporate_number_check_digit,
)


def test_known_corporate_number() -> None:
    # 7000012050002 is the National Tax Agency's published example.
    assert check_corporate_number("7000012050002") == "7000012050002"
    assert corporate_number_check_digit("000012050002") == 7


@given(st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_any_base_with_its_check_digit_is_valid(base: str) -> None:
    number = f"{corporate_number_check_digit(base)}{base}"
    assert check_corporate_number(number) == number
    wrong = f"{(corporate_number_check_digit(base) % 9) + 1}{base}"
    if wrong != number:
        with pytest.raises(ValueError, match="check digit"):
            check_corporate_number(wrong)


@pytest.mark.parametrize("value", ["ABCDEFGHJKLM", "K3LMNPQRST12", "z1x2c3v4b5n6"])
def test_good_uei(value: str) -> None:
    assert check_uei(value) == value.upper()


@pytest.mark.parametrize("value", ["0BCDEFGHJKLM", "ABCDEFGHIJKL", "ABCDEFGHJKLO", "ABC", ""])
def test_bad_uei(value: str) -> None:
    with pytest.raises(ValueError):
        check_uei(value)


def test_cage_and_naics() -> None:
    assert check_cage("1abc2") == "1ABC2"
    for bad in ("1ABO2", "12345X"):
        with pytest.raises(ValueError):
            check_cage(bad)
    for good in ("54", "541", "5417", "54171", "541715", "336414"):
        assert check_naics(good) == good
    for bad in ("5", "5417150", "54A7", "99"):
        with pytest.raises(ValueError):
            check_naics(bad)
