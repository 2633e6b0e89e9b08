"""Incomplete dates: a birth date whose day, or day and month, is unknown (written ``00``).

The National Register and the BIS register both keep such dates (``1970-00-00``, ``1985-07-00``).
An incomplete date stands for the range of days it may be: a whole month or a whole year.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from carrefour.errors import InvalidInput

MIN_YEAR = 1800
MAX_YEAR = 2199

_PATTERN = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


@dataclass(frozen=True, kw_only=True)
class IncompleteDate:
    """A date of which the month and the day may be unknown (``None``)."""

    year: int
    month: int | None = None
    day: int | None = None

    def __post_init__(self) -> None:
        _check_parts(self.year, self.month, self.day)

    @classmethod
    def of(cls, day: dt.date) -> IncompleteDate:
        return cls(year=day.year, month=day.month, day=day.day)

    @property
    def complete(self) -> dt.date | None:
        """The date itself when day and month are known, else None."""
        if self.month is None or self.day is None:
            return None
        return dt.date(self.year, self.month, self.day)

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month or 1, self.day or 1)

    @property
    def last_day(self) -> dt.date:
        if self.month is None:
            return dt.date(self.year, 12, 31)
        return dt.date(self.year, self.month, self.day or _days_in(self.year, self.month))

    def __str__(self) -> str:
        """ISO form, with ``00`` for the unknown parts: ``1985-07-30``, ``1985-07-00``."""
        return f"{self.year:04d}-{self.month or 0:02d}-{self.day or 0:02d}"


def parse_incomplete_date(text: str) -> IncompleteDate:
    """Parse ``1985-07-30``, ``1985-07-00``, ``1985-07``, ``1985-00-00`` or ``1985``."""
    found = _PATTERN.fullmatch(text.strip()) if isinstance(text, str) else None
    if found is None:
        raise InvalidInput(
            f"The date {text!r} must be written YYYY-MM-DD, YYYY-MM or YYYY "
            "(00 for an unknown month or day)."
        )
    year, month, day = (int(part) if part else 0 for part in found.groups())
    return IncompleteDate(year=year, month=month or None, day=day or None)


def _check_parts(year: int, month: int | None, day: int | None) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidInput(f"The year {year} must be between {MIN_YEAR} and {MAX_YEAR}.")
    if month is None:
        if day is not None:
            raise InvalidInput("A date with an unknown month cannot have a known day.")
        return
    if not 1 <= month <= 12:
        raise InvalidInput(f"The month {month} must be between 1 and 12 (or 00 when unknown).")
    if day is not None and not 1 <= day <= _days_in(year, month):
        raise InvalidInput(f"The day {day} does not exist in {year:04d}-{month:02d}.")


def _days_in(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def add_months(day: dt.date, months: int, *, keep_month_end: bool = False) -> dt.date:
    """Shift a date by whole months, clamping to the month's last day (31 Jan + 1 = 28 Feb).

    With ``keep_month_end``, a last day of month stays a last day of month (30 Jun + 1 = 31 Jul).
    """
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = _days_in(year, month + 1)
    is_month_end = day.day == _days_in(day.year, day.month)
    return dt.date(year, month + 1, last if keep_month_end and is_month_end else min(day.day, last))
