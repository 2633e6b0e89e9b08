"""Incomplete dates: YYYY-MM-DD with 00 for an unknown month or day."""

from __future__ import annotations

import datetime as dt

import pytest

from carrefour.errors import InvalidInput
from carrefour.identification.dates import IncompleteDate, add_months
from carrefour.identification.search import parse_incomplete_date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1985-07-30", IncompleteDate(year=1985, month=7, day=30)),
        ("1985-07-00", IncompleteDate(year=1985, month=7)),
        ("1985-07", IncompleteDate(year=1985, month=7)),
        ("1985-00-00", IncompleteDate(year=1985)),
        ("1985-00", IncompleteDate(year=1985)),
        ("1985", IncompleteDate(year=1985)),
        (" 1985-07-30 ", IncompleteDate(year=1985, month=7, day=30)),
    ],
)
def test_every_written_form_of_an_incomplete_date_is_understood(
    text: str, expected: IncompleteDate
) -> None:
    assert parse_incomplete_date(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("30/07/1985", "YYYY-MM-DD"),
        ("1985-7-30", "YYYY-MM-DD"),
        ("85-07-30", "YYYY-MM-DD"),
        ("", "YYYY-MM-DD"),
        ("1985-13-01", "month 13"),
        ("1985-02-30", "day 30 does not exist"),
        ("1985-00-12", "unknown month"),
        ("1700-01-01", "year 1700"),
    ],
)
def test_a_wrong_date_is_refused_with_a_clear_message(text: str, reason: str) -> None:
    with pytest.raises(InvalidInput, match=reason):
        parse_incomplete_date(text)


def test_an_incomplete_date_spans_its_month_or_its_year() -> None:
    month = IncompleteDate(year=2024, month=2)
    year = IncompleteDate(year=1985)
    assert (month.first_day, month.last_day) == (dt.date(2024, 2, 1), dt.date(2024, 2, 29))
    assert (year.first_day, year.last_day) == (dt.date(1985, 1, 1), dt.date(1985, 12, 31))
    assert month.complete is None


def test_an_incomplete_date_is_written_with_00_for_its_unknown_parts() -> None:
    assert str(IncompleteDate(year=1970)) == "1970-00-00"
    assert str(IncompleteDate(year=1970, month=5)) == "1970-05-00"
    assert str(IncompleteDate.of(dt.date(1970, 5, 2))) == "1970-05-02"


def test_adding_months_clamps_to_the_end_of_a_shorter_month() -> None:
    assert add_months(dt.date(1985, 1, 31), 1) == dt.date(1985, 2, 28)
    assert add_months(dt.date(1985, 3, 15), -14) == dt.date(1984, 1, 15)
    assert add_months(dt.date(1985, 6, 30), 1, keep_month_end=True) == dt.date(1985, 7, 31)
