"""parse_niss: National Register and BIS numbers, through python-stdnum."""

from __future__ import annotations

import datetime as dt

import pytest

from carrefour.errors import InvalidNiss
from carrefour.identification.niss import Gender, NissKind, parse_niss


def test_a_register_number_gives_its_birth_date_and_gender() -> None:
    niss = parse_niss("85073003328")
    assert niss.kind is NissKind.REGISTER
    assert niss.birth_date == dt.date(1985, 7, 30)
    assert niss.gender is Gender.MALE


def test_a_number_of_a_person_born_from_2000_uses_the_2000_check_digits() -> None:
    niss = parse_niss("00010100105")
    assert niss.birth_date == dt.date(2000, 1, 1)
    assert parse_niss("05031212360").birth_year == 2005
    assert parse_niss("05031212331").birth_year == 1905


def test_an_unknown_day_is_allowed_and_gives_no_full_birth_date() -> None:
    niss = parse_niss("85070003355")
    assert niss.birth_date is None
    assert niss.birth_year == 1985


def test_an_unknown_month_is_allowed() -> None:
    niss = parse_niss("85000003306")
    assert niss.birth_date is None
    assert niss.birth_year == 1985


def test_a_bis_number_with_month_plus_20_does_not_encode_the_gender() -> None:
    niss = parse_niss("85273003371")
    assert niss.kind is NissKind.BIS
    assert niss.gender is Gender.UNKNOWN
    assert niss.birth_date == dt.date(1985, 7, 30)


def test_a_bis_number_with_month_plus_40_encodes_the_gender_in_the_serial() -> None:
    assert parse_niss("85473003317").gender is Gender.MALE
    assert parse_niss("85473003416").gender is Gender.FEMALE
    assert parse_niss("85473003317").kind is NissKind.BIS


def test_formatted_input_with_dots_dashes_and_spaces_is_accepted() -> None:
    assert parse_niss("85.07.30-033.28").value == "85073003328"
    assert parse_niss(" 85 07 30 033 28 ").value == "85073003328"
    assert parse_niss("85073003328").formatted == "85.07.30-033.28"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("85073003329", "wrong check digits"),
        ("05031212361", "wrong check digits"),
        ("8507300332", "exactly 11 digits"),
        ("850730033288", "exactly 11 digits"),
        ("", "NISS"),
        ("85O73003328", "only digits"),
        ("abcdefghijk", "only digits"),
        ("85133003370", "possible birth date"),
        ("85613003318", "possible birth date"),
    ],
)
def test_an_invalid_number_is_refused_with_the_reason(raw: str, reason: str) -> None:
    with pytest.raises(InvalidNiss, match=reason) as raised:
        parse_niss(raw)
    assert raised.value.code == "invalid-niss"


def test_a_number_that_is_not_a_string_is_refused() -> None:
    with pytest.raises(InvalidNiss, match="string"):
        parse_niss(85073003328)  # type: ignore[arg-type]
