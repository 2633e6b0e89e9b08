"""A person of the BIS register, and the checking of the data institutions give about one.

Institutions send plain mappings (JSON bodies, SOAP fields); :func:`parse_person_data` and
:func:`parse_changes` turn them into typed values or raise :class:`InvalidInput` naming the field.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from carrefour.errors import InvalidCbeNumber, InvalidInput
from carrefour.identification.dates import IncompleteDate, parse_incomplete_date
from carrefour.identification.niss import Gender, Niss
from carrefour.identification.phonetic import normalise

MAX_FIRST_NAMES = 10


@dataclass(frozen=True, kw_only=True)
class PersonData:
    """What the register knows about a person (the legal data of a BIS person)."""

    last_name: str
    first_names: tuple[str, ...] = ()
    birth_date: IncompleteDate
    gender: Gender = Gender.UNKNOWN
    birth_place: str | None = None
    nationality: str | None = None
    civil_state: str | None = None
    address: dict[str, Any] | None = field(default=None, hash=False)
    death_date: IncompleteDate | None = None


@dataclass(frozen=True, kw_only=True)
class BisPerson:
    """A person registered by the hub, with who created the number and whether it was replaced."""

    niss: Niss
    data: PersonData
    created_by: str
    created_at: dt.datetime
    updated_at: dt.datetime
    replaced_by: Niss | None = None
    replaced_at: dt.datetime | None = None


def parse_person_data(raw: Mapping[str, Any]) -> PersonData:
    """The data of a new person; ``last_name`` and ``birth_date`` (maybe incomplete) required."""
    values = parse_changes(raw)
    missing = [name for name in ("last_name", "birth_date") if name not in values]
    if missing:
        raise InvalidInput(f"The field {missing[0]} is required.", field=missing[0])
    return PersonData(**values)


def parse_changes(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Checked values of the fields given; unknown fields are refused."""
    unknown = sorted(set(raw) - set(_FIELDS))
    if unknown:
        known = ", ".join(_FIELDS)
        raise InvalidInput(f"Unknown field {unknown[0]!r}; the fields are: {known}.")
    return {name: _parse_field(name, value) for name, value in raw.items()}


def check_consistency(data: PersonData, *, today: dt.date) -> None:
    """Refuse a birth in the future and a death before birth."""
    if data.birth_date.first_day > today:
        raise InvalidInput(f"The field birth_date: {data.birth_date} is in the future.")
    death = data.death_date
    if death is not None and death.last_day < data.birth_date.first_day:
        raise InvalidInput(f"The field death_date: {death} is before the birth date.")


def parse_cbe_number(raw: str) -> str:
    """The 10 digits of an enterprise (CBE/KBO) number; dots, spaces and ``BE`` allowed."""
    compact = re.sub(r"[\s.\-]", "", raw.upper()) if isinstance(raw, str) else ""
    compact = compact.removeprefix("BE")
    if not re.fullmatch(r"[01]\d{9}", compact):
        raise InvalidCbeNumber(f"The enterprise number {raw!r} must have 10 digits (0 or 1 first).")
    return compact


def _parse_field(name: str, value: Any) -> Any:
    try:
        return _FIELDS[name](value)
    except InvalidInput as error:
        raise InvalidInput(f"The field {name}: {error.detail}", field=name) from None


def _last_name(value: Any) -> str:
    name = _text(value, limit=200)
    if name is None or not normalise(name):
        raise InvalidInput("must contain at least one letter.")
    return name


def _first_names(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    names = value.split() if isinstance(value, str) else value
    if not isinstance(names, list | tuple) or len(names) > MAX_FIRST_NAMES:
        raise InvalidInput(f"must be a list of at most {MAX_FIRST_NAMES} names.")
    checked = tuple(_text(name, limit=100) for name in names)
    return tuple(name for name in checked if name)


def _birth_date(value: Any) -> IncompleteDate:
    date = _date(value)
    if date is None:
        raise InvalidInput("is required (YYYY-MM-DD, 00 for an unknown month or day).")
    return date


def _date(value: Any) -> IncompleteDate | None:
    if value is None:
        return None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return IncompleteDate.of(value)
    if not isinstance(value, str):
        raise InvalidInput("must be a date written YYYY-MM-DD (00 for an unknown month or day).")
    return parse_incomplete_date(value)


def _gender(value: Any) -> Gender:
    if value is None:
        return Gender.UNKNOWN
    if isinstance(value, str) and value.strip().upper() in {g.value for g in Gender}:
        return Gender(value.strip().upper())
    raise InvalidInput(f"{value!r} is not M, F or U.")


def _address(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping) or not all(isinstance(key, str) for key in value):
        raise InvalidInput("must be an object whose keys are strings.")
    return dict(value)


def _text(value: Any, *, limit: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput("must be a string.")
    if len(value.strip()) > limit:
        raise InvalidInput(f"must have at most {limit} characters.")
    return value.strip() or None


def _short_text(limit: int) -> Callable[[Any], str | None]:
    return lambda value: _text(value, limit=limit)


_FIELDS: dict[str, Callable[[Any], Any]] = {
    "last_name": _last_name,
    "first_names": _first_names,
    "birth_date": _birth_date,
    "gender": _gender,
    "birth_place": _short_text(200),
    "nationality": _short_text(50),
    "civil_state": _short_text(50),
    "address": _address,
    "death_date": _date,
}
