"""BIS numbers built from an (incomplete) birth date, a gender and a serial."""

from __future__ import annotations

import datetime as dt

import pytest

from carrefour.errors import InvalidInput
from carrefour.identification.bis import bis_number, bis_prefix, serial_series
from carrefour.identification.dates import IncompleteDate
from carrefour.identification.niss import Gender, NissKind, parse_niss

DATES = [
    IncompleteDate(year=1970, month=5, day=12),
    IncompleteDate(year=1999, month=12, day=31),
    IncompleteDate(year=2000, month=1, day=1),
    IncompleteDate(year=2004, month=2, day=29),
    IncompleteDate(year=1985, month=7),
    IncompleteDate(year=2010),
    IncompleteDate(year=1900),
    IncompleteDate(year=2024, month=12, day=31),
]


@pytest.mark.parametrize("birth_date", DATES, ids=str)
@pytest.mark.parametrize("gender", list(Gender))
def test_a_bis_number_validates_and_encodes_birth_date_and_gender(
    birth_date: IncompleteDate, gender: Gender
) -> None:
    series = serial_series(gender)
    for serial in (series.first, series.first + series.step, series.last):
        niss = bis_number(birth_date, gender, serial)
        assert parse_niss(niss.value) == niss
        assert niss.kind is NissKind.BIS
        assert niss.gender is gender
        assert niss.birth_year == birth_date.year
        assert niss.birth_date == birth_date.complete
        assert int(niss.value[6:9]) == serial


def test_the_month_is_increased_by_40_when_the_gender_is_known_and_by_20_otherwise() -> None:
    birth = IncompleteDate(year=1985, month=7, day=30)
    assert bis_prefix(birth, Gender.MALE) == "854730"
    assert bis_prefix(birth, Gender.FEMALE) == "854730"
    assert bis_prefix(birth, Gender.UNKNOWN) == "852730"


def test_an_unknown_month_and_day_are_written_00_plus_the_offset() -> None:
    assert bis_prefix(IncompleteDate(year=1970), Gender.MALE) == "704000"
    assert bis_prefix(IncompleteDate(year=1970), Gender.UNKNOWN) == "702000"
    assert bis_prefix(IncompleteDate(year=1970, month=3), Gender.FEMALE) == "704300"


def test_the_check_digits_of_a_birth_from_2000_are_computed_with_a_leading_2() -> None:
    niss = bis_number(IncompleteDate(year=2003, month=4, day=5), Gender.MALE, 1)
    assert int(niss.value[9:]) == 97 - int("2" + niss.value[:9]) % 97
    assert niss.birth_date == dt.date(2003, 4, 5)


def test_men_get_odd_serials_women_even_ones_and_unknown_any() -> None:
    assert (serial_series(Gender.MALE).first, serial_series(Gender.MALE).last) == (1, 997)
    assert (serial_series(Gender.FEMALE).first, serial_series(Gender.FEMALE).last) == (2, 996)
    assert 2 in serial_series(Gender.UNKNOWN)
    assert 3 in serial_series(Gender.UNKNOWN)
    assert 2 not in serial_series(Gender.MALE)
    assert 3 not in serial_series(Gender.FEMALE)


@pytest.mark.parametrize(
    ("gender", "serial"),
    [(Gender.MALE, 2), (Gender.FEMALE, 1), (Gender.UNKNOWN, 0), (Gender.UNKNOWN, 998)],
)
def test_a_serial_outside_the_gender_series_is_refused(gender: Gender, serial: int) -> None:
    with pytest.raises(InvalidInput, match="serial"):
        bis_number(IncompleteDate(year=1970), gender, serial)


@pytest.mark.parametrize("year", [1899, dt.date.today().year + 1, 2100])
def test_a_birth_year_a_bis_number_cannot_encode_is_refused(year: int) -> None:
    with pytest.raises(InvalidInput, match="years 1900 to"):
        bis_prefix(IncompleteDate(year=year), Gender.MALE)
