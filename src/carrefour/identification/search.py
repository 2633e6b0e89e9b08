"""Search of a person by name, (incomplete) birth date and gender: the rules shared by the hub's
BIS register and the National Register.

A search names a last name (matched phonetically), optionally a first name (phonetically, or as
a prefix or an initial of any first name), a birth date that may be incomplete (widened to its
month or year) with a tolerance, and a gender. Data a person's record does not know (gender
``U``, no birth date) never excludes that person.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from carrefour.errors import InvalidInput
from carrefour.identification.dates import (
    IncompleteDate,
    add_months,
    parse_incomplete_date,
)
from carrefour.identification.niss import Gender
from carrefour.identification.phonetic import names_match, normalise, strip_accents

__all__ = [
    "IncompleteDate",
    "SearchCriteria",
    "ToleranceUnit",
    "birth_date_range",
    "matches",
    "parse_incomplete_date",
    "parse_search_criteria",
]

ToleranceUnit = Literal["days", "months", "years"]

MAX_TOLERANCE: dict[str, int] = {"days": 3660, "months": 240, "years": 20}
MAX_RESULTS = 100

_UNITS: dict[str, ToleranceUnit] = {"days": "days", "months": "months", "years": "years"}

_T = TypeVar("_T")


@dataclass(frozen=True, kw_only=True)
class SearchCriteria:
    last_name: str
    first_name: str | None = None
    birth_date: IncompleteDate | None = None
    tolerance: int = 0
    tolerance_unit: ToleranceUnit = "days"
    gender: Gender | None = None
    max_results: int = 20

    def __post_init__(self) -> None:
        if not normalise(self.last_name):
            raise InvalidInput("The parameter last_name must contain at least one letter.")
        if self.tolerance_unit not in MAX_TOLERANCE:
            raise InvalidInput("The parameter tolerance_unit must be days, months or years.")
        limit = MAX_TOLERANCE[self.tolerance_unit]
        if not 0 <= self.tolerance <= limit:
            raise InvalidInput(
                f"The parameter tolerance must be between 0 and {limit} {self.tolerance_unit}."
            )
        if not 1 <= self.max_results <= MAX_RESULTS:
            raise InvalidInput(f"The parameter max_results must be between 1 and {MAX_RESULTS}.")


def parse_search_criteria(parameters: Mapping[str, Any]) -> SearchCriteria:
    """Criteria from request parameters (strings or JSON values); unknown keys are ignored."""
    last_name = _given(parameters, "last_name", _text)
    if last_name is None:
        raise InvalidInput("The parameter last_name is required.")
    return SearchCriteria(
        last_name=last_name,
        first_name=_given(parameters, "first_name", _text),
        birth_date=_given(parameters, "birth_date", _birth_date),
        tolerance=_given(parameters, "tolerance", _integer) or 0,
        tolerance_unit=_given(parameters, "tolerance_unit", _tolerance_unit) or "days",
        gender=_given(parameters, "gender", _gender),
        max_results=_or_default(_given(parameters, "max_results", _integer), 20),
    )


def birth_date_range(criteria: SearchCriteria) -> tuple[dt.date, dt.date] | None:
    """The days a matching person may be born on, or None when the search names no date."""
    if criteria.birth_date is None:
        return None
    first, last = criteria.birth_date.first_day, criteria.birth_date.last_day
    amount = criteria.tolerance
    if criteria.tolerance_unit == "days":
        return first - dt.timedelta(days=amount), last + dt.timedelta(days=amount)
    months = amount * 12 if criteria.tolerance_unit == "years" else amount
    return add_months(first, -months), add_months(last, months, keep_month_end=True)


def matches(
    criteria: SearchCriteria,
    *,
    last_name: str,
    first_names: Sequence[str],
    birth_date: dt.date | IncompleteDate | None,
    gender: str,
) -> bool:
    """True when a person's record answers the search."""
    return (
        _gender_matches(criteria.gender, gender)
        and _birth_date_matches(birth_date_range(criteria), birth_date)
        and names_match(criteria.last_name, last_name)
        and _first_name_matches(criteria.first_name, first_names)
    )


def _gender_matches(wanted: Gender | None, gender: str) -> bool:
    return wanted is None or gender in (wanted.value, Gender.UNKNOWN.value)


def _birth_date_matches(
    wanted: tuple[dt.date, dt.date] | None, birth_date: dt.date | IncompleteDate | None
) -> bool:
    if wanted is None or birth_date is None:
        return True
    if isinstance(birth_date, IncompleteDate):
        return birth_date.first_day <= wanted[1] and birth_date.last_day >= wanted[0]
    return wanted[0] <= birth_date <= wanted[1]


def _first_name_matches(wanted: str | None, first_names: Sequence[str]) -> bool:
    if wanted is None:
        return True
    given = _words(" ".join(first_names))
    return all(any(_first_name_word_matches(w, g) for g in given) for w in _words(wanted))


def _first_name_word_matches(wanted: str, given: str) -> bool:
    return given.startswith(wanted) or (len(wanted) > 1 and names_match(wanted, given))


def _words(names: str) -> list[str]:
    cleaned = "".join(c if c.isalpha() else " " for c in strip_accents(names).casefold())
    return cleaned.split()


# --- parameter parsing -----------------------------------------------------------------------
def _given(parameters: Mapping[str, Any], name: str, parse: Callable[[Any], _T]) -> _T | None:
    value = parameters.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return parse(value)
    except InvalidInput as error:
        raise InvalidInput(f"The parameter {name}: {error.detail}", parameter=name) from None


def _or_default(value: int | None, default: int) -> int:
    return default if value is None else value


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidInput("must be a string.")
    if len(value) > 200:
        raise InvalidInput("must have at most 200 characters.")
    return value.strip()


def _integer(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdecimal():
        return int(value.strip())
    raise InvalidInput(f"{value!r} is not a whole number.")


def _birth_date(value: Any) -> IncompleteDate:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return IncompleteDate.of(value)
    if not isinstance(value, str):
        raise InvalidInput("must be a date written YYYY-MM-DD, YYYY-MM or YYYY.")
    return parse_incomplete_date(value)


def _tolerance_unit(value: Any) -> ToleranceUnit:
    unit = _UNITS.get(value.strip().casefold()) if isinstance(value, str) else None
    if unit is None:
        raise InvalidInput(f"{value!r} is not one of days, months, years.")
    return unit


def _gender(value: Any) -> Gender:
    if isinstance(value, str) and value.strip().upper() in ("M", "F"):
        return Gender(value.strip().upper())
    raise InvalidInput(f"{value!r} is not M or F.")
