"""Search criteria: parsing request parameters, the birth date range, matching a record."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from carrefour.errors import InvalidInput
from carrefour.identification.niss import Gender
from carrefour.identification.search import (
    IncompleteDate,
    SearchCriteria,
    birth_date_range,
    matches,
    parse_search_criteria,
)


def test_parameters_given_as_strings_are_parsed() -> None:
    criteria = parse_search_criteria(
        {
            "last_name": " Peeters ",
            "first_name": "Jan",
            "birth_date": "1985-07-00",
            "tolerance": "2",
            "tolerance_unit": "Months",
            "gender": "f",
            "max_results": "5",
        }
    )
    assert criteria == SearchCriteria(
        last_name="Peeters",
        first_name="Jan",
        birth_date=IncompleteDate(year=1985, month=7),
        tolerance=2,
        tolerance_unit="months",
        gender=Gender.FEMALE,
        max_results=5,
    )


def test_only_the_last_name_is_required() -> None:
    criteria = parse_search_criteria({"last_name": "Dupont", "first_name": "", "unknown": 1})
    assert criteria == SearchCriteria(last_name="Dupont")
    assert criteria.max_results == 20
    assert birth_date_range(criteria) is None


@pytest.mark.parametrize(
    ("parameters", "parameter"),
    [
        ({}, "last_name"),
        ({"last_name": "  "}, "last_name"),
        ({"last_name": "123"}, "last_name"),
        ({"last_name": 42}, "last_name"),
        ({"last_name": "x", "first_name": ["Jan"]}, "first_name"),
        ({"last_name": "x", "birth_date": "30/07/1985"}, "birth_date"),
        ({"last_name": "x", "birth_date": "1985-02-30"}, "birth_date"),
        ({"last_name": "x", "tolerance": "-1"}, "tolerance"),
        ({"last_name": "x", "tolerance": "two"}, "tolerance"),
        ({"last_name": "x", "tolerance": 1.5}, "tolerance"),
        ({"last_name": "x", "tolerance": 21, "tolerance_unit": "years"}, "tolerance"),
        ({"last_name": "x", "tolerance_unit": "weeks"}, "tolerance_unit"),
        ({"last_name": "x", "gender": "X"}, "gender"),
        ({"last_name": "x", "gender": "U"}, "gender"),
        ({"last_name": "x", "max_results": 0}, "max_results"),
        ({"last_name": "x", "max_results": "101"}, "max_results"),
        ({"last_name": "x", "max_results": True}, "max_results"),
    ],
)
def test_every_bad_parameter_is_refused_naming_it(
    parameters: dict[str, Any], parameter: str
) -> None:
    with pytest.raises(InvalidInput, match=f"parameter {parameter}"):
        parse_search_criteria(parameters)


def _range(birth_date: str, tolerance: int = 0, unit: str = "days") -> tuple[dt.date, dt.date]:
    criteria = parse_search_criteria(
        {"last_name": "x", "birth_date": birth_date, "tolerance": tolerance, "tolerance_unit": unit}
    )
    found = birth_date_range(criteria)
    assert found is not None
    return found


def test_a_full_birth_date_without_tolerance_is_one_day() -> None:
    assert _range("1985-07-30") == (dt.date(1985, 7, 30), dt.date(1985, 7, 30))


def test_an_incomplete_birth_date_is_widened_to_its_month_or_year() -> None:
    assert _range("1985-07-00") == (dt.date(1985, 7, 1), dt.date(1985, 7, 31))
    assert _range("1985") == (dt.date(1985, 1, 1), dt.date(1985, 12, 31))


def test_a_tolerance_in_days_widens_the_range_on_both_sides() -> None:
    assert _range("1985-07-30", 3) == (dt.date(1985, 7, 27), dt.date(1985, 8, 2))
    assert _range("1985-07", 1) == (dt.date(1985, 6, 30), dt.date(1985, 8, 1))


def test_a_tolerance_in_months_keeps_whole_months() -> None:
    assert _range("1985-07", 1, "months") == (dt.date(1985, 6, 1), dt.date(1985, 8, 31))
    assert _range("1985-06", 1, "months") == (dt.date(1985, 5, 1), dt.date(1985, 7, 31))
    assert _range("1985-01-31", 1, "months") == (dt.date(1984, 12, 31), dt.date(1985, 2, 28))


def test_a_tolerance_in_years_keeps_whole_years() -> None:
    assert _range("1985", 2, "years") == (dt.date(1983, 1, 1), dt.date(1987, 12, 31))
    assert _range("1984-02-29", 1, "years") == (dt.date(1983, 2, 28), dt.date(1985, 2, 28))


def _matches(criteria: SearchCriteria, **record: Any) -> bool:
    person: dict[str, Any] = {
        "last_name": "Peeters",
        "first_names": ["Jan", "Frans"],
        "birth_date": dt.date(1985, 7, 30),
        "gender": "M",
        **record,
    }
    return matches(criteria, **person)


def test_a_record_matches_on_a_phonetic_last_name() -> None:
    assert _matches(SearchCriteria(last_name="Peters"))
    assert not _matches(SearchCriteria(last_name="Janssens"))


def test_a_first_name_matches_any_first_name_by_sound_prefix_or_initial() -> None:
    assert _matches(SearchCriteria(last_name="Peeters", first_name="Frans"))
    assert _matches(SearchCriteria(last_name="Peeters", first_name="Fran"))
    assert _matches(SearchCriteria(last_name="Peeters", first_name="F."))
    assert _matches(SearchCriteria(last_name="Peeters", first_name="jan frans"))
    assert _matches(
        SearchCriteria(last_name="Peeters", first_name="Jean-Pierre"), first_names=["Jean Pierre"]
    )
    assert not _matches(SearchCriteria(last_name="Peeters", first_name="Marc"))
    assert not _matches(SearchCriteria(last_name="Peeters", first_name="M"))
    assert not _matches(SearchCriteria(last_name="Peeters", first_name="Jan"), first_names=[])


def test_a_record_matches_a_birth_date_in_the_range() -> None:
    near = SearchCriteria(
        last_name="Peeters", birth_date=IncompleteDate(year=1985, month=8, day=2), tolerance=3
    )
    assert _matches(near)
    assert not _matches(near, birth_date=dt.date(1985, 7, 29))


def test_an_incomplete_birth_date_of_a_record_matches_when_its_span_overlaps() -> None:
    criteria = SearchCriteria(last_name="Peeters", birth_date=IncompleteDate(year=1985, month=3))
    assert _matches(criteria, birth_date=IncompleteDate(year=1985))
    assert not _matches(criteria, birth_date=IncompleteDate(year=1985, month=4))


def test_unknown_data_of_a_record_never_excludes_it() -> None:
    criteria = SearchCriteria(
        last_name="Peeters", birth_date=IncompleteDate(year=1960), gender=Gender.FEMALE
    )
    assert _matches(criteria, birth_date=None, gender="U")
    assert not _matches(criteria, birth_date=None, gender="M")


def test_a_record_of_the_other_gender_does_not_match() -> None:
    assert _matches(SearchCriteria(last_name="Peeters", gender=Gender.MALE))
    assert not _matches(SearchCriteria(last_name="Peeters", gender=Gender.FEMALE))
