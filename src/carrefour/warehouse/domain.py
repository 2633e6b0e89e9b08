"""The data warehouse's rules. Pure: what a period of statistics is, how persons are grouped,
which journal entries are messages of the network and which exchanged a person's data."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum

from carrefour.errors import InvalidGrouping, InvalidPeriod, UnknownStatistics, problem_codes

# The channels of the network's messages (not operators' calls, the console or commands), and
# the journal entries that are not a message of their own (a push attempt before it is sent).
MESSAGE_CHANNELS = ("rest", "soap", "signal")
NOT_MESSAGES = ("send-mutation",)
OK = "ok"
UNKNOWN_KIND = "unknown"  # a client the directory does not know (any more)
ALL_RECIPIENTS = "*"
FIRST_YEAR, LAST_YEAR = 2000, 2100
MAX_DAYS = 366 * 10

_YEAR = re.compile(r"^\d{4}$")
_MONTH = re.compile(r"^\d{4}-\d{2}$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})/(\d{4}-\d{2}-\d{2})$")


def exchanged(*, channel: str, action: str, service: str | None, outcome: str) -> bool:
    """Whether an entry (naming a person) is an exchange of its datum (``service``: a service
    or a mutation type) with its client: a message of the network, carried out."""
    return (channel in MESSAGE_CHANNELS and action not in NOT_MESSAGES and service is not None
            and outcome == OK)


def refusal_codes() -> list[str]:
    """The outcomes that are refusals: the problem codes of the hub's errors. Every other
    outcome is an answer — ``ok``, ``partial``, a declaration ``accepted``, ``corrected``,
    ``cancelled`` or ``received`` — or a push that failed (``failed: ...``, ``dead-letter``),
    which the subscriber's endpoint, not the hub, refused."""
    return sorted(problem_codes())


class Grouping(StrEnum):
    INSTITUTION = "institution"  # per recipient institution (CBE number)
    KIND = "kind"  # per kind of recipient (cpas, regional-employment, ...)


class UsageTable(StrEnum):
    MESSAGES = "messages"  # per service, month and client kind
    REFUSALS = "refusals"  # per refusal code and month
    LATENCY = "latency"  # percentiles per service and month


@dataclass(frozen=True, slots=True)
class Period:
    """From ``start`` (included) to ``end`` (excluded), in UTC, as asked (``label``)."""

    label: str
    start: dt.datetime
    end: dt.datetime

    @property
    def span(self) -> tuple[dt.datetime, dt.datetime]:
        return self.start, self.end


def parse_period(text: str) -> Period:
    """A year (``2026``), a month (``2026-11``) or a range of days, both included
    (``2026-09-01/2026-11-30``); refused with :class:`InvalidPeriod` otherwise."""
    value = text.strip()
    try:
        if _YEAR.match(value):
            start, end = _day(f"{value}-01-01"), _day(f"{int(value) + 1}-01-01")
        elif _MONTH.match(value):
            start = _day(f"{value}-01")
            end = (start + dt.timedelta(days=32)).replace(day=1)
        elif found := _RANGE.match(value):
            start, end = _day(found.group(1)), _day(found.group(2)) + dt.timedelta(days=1)
        else:
            raise ValueError("expected YYYY, YYYY-MM or YYYY-MM-DD/YYYY-MM-DD")
    except ValueError as error:
        raise InvalidPeriod(f"The period {value[:40]!r} is not valid: {error}.") from None
    _check_bounds(value, start, end)
    return Period(value, start, end)


def _day(text: str) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(text), dt.time(), tzinfo=dt.UTC)


def _check_bounds(value: str, start: dt.datetime, end: dt.datetime) -> None:
    if end <= start:
        raise InvalidPeriod(f"The period {value!r} ends before it starts.")
    if start.year < FIRST_YEAR or end > dt.datetime(LAST_YEAR + 1, 1, 1, tzinfo=dt.UTC):
        raise InvalidPeriod(f"The period {value!r} lies outside {FIRST_YEAR}-{LAST_YEAR}.")
    if (end - start).days > MAX_DAYS:
        raise InvalidPeriod(f"The period {value!r} is longer than ten years.")


def current_month(today: dt.date) -> str:
    return today.strftime("%Y-%m")


def parse_grouping(text: str) -> Grouping:
    try:
        return Grouping(text)
    except ValueError:
        known = ", ".join(Grouping)
        raise InvalidGrouping(f"Persons are counted per {known}, not {text[:40]!r}.") from None


def parse_usage_table(text: str) -> UsageTable:
    try:
        return UsageTable(text)
    except ValueError:
        known = ", ".join(UsageTable)
        raise UnknownStatistics(f"The usage statistics are {known}; "
                                f"there is none named {text[:40]!r}.") from None


def file_name(text: str) -> str:
    """``text`` fit for a file name in a Content-Disposition header."""
    return "".join(c if c.isalnum() or c in "-." else "_" for c in text)[:60]
