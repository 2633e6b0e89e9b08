"""Rules of the status buffer. Pure: no framework, no database.

A ``social-status`` mutation carries one version of one status record of its source: the
record is named by the source's ``event_id``; ``set`` gives (or corrects) its period, ``end``
closes it, ``cancel`` withdraws it. Versions are ordered by effective date (then by action,
then by the source's own id), so that a source re-sending or reordering its mutations leaves
the buffer as if each had arrived once, in order of effective date: an older version never
overwrites a newer one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from carrefour.errors import InvalidInput
from carrefour.identification.niss import parse_niss

SOCIAL_STATUS = "social-status"
FAMILY_COMPOSITION = "family-composition-change"
STATUSES = (
    "ris", "eris", "bim", "temporary-unemployment", "bridging-right", "disability-allowance",
    "heating-allowance",
)
SET, END, CANCEL = "set", "end", "cancel"
ACTIONS = (SET, END, CANCEL)
MAX_EVENT_ID = 100


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusVersion:
    """One version of a status record, as a mutation gives it."""

    niss: str
    status: str
    event_id: str
    action: str
    start: dt.date
    end: dt.date | None
    effective_on: dt.date
    source_ref: str

    @property
    def order(self) -> tuple[dt.date, int, str]:
        return (self.effective_on, ACTIONS.index(self.action), self.source_ref)

    @property
    def cancelled(self) -> bool:
        return self.action == CANCEL


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusPeriod:
    """A status of a person, with its period and provenance."""

    niss: str
    status: str
    start: dt.date
    end: dt.date | None
    source: str
    event_id: str
    effective_on: dt.date

    def active_on(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status, "start": self.start.isoformat(),
            "end": None if self.end is None else self.end.isoformat(),
            "source": self.source, "event_id": self.event_id,
            "effective_date": self.effective_on.isoformat(),
        }


def supersedes(new: tuple[dt.date, int, str], stored: tuple[dt.date, int, str] | None) -> bool:
    """Whether a version ordered ``new`` replaces the stored one (None: nothing stored)."""
    return stored is None or new > stored


def status_version(
    *, niss: str, data: Mapping[str, Any], effective_on: dt.date, source_ref: str
) -> StatusVersion:
    """The version a ``social-status`` mutation's data give, or the refusal that applies."""
    status = _choice(data.get("status"), STATUSES, "status")
    action = _choice(data.get("action"), ACTIONS, "action")
    event_id = data.get("event_id")
    if not isinstance(event_id, str) or not 0 < len(event_id.strip()) <= MAX_EVENT_ID:
        raise InvalidInput(f"The field event_id must be a text of 1 to {MAX_EVENT_ID} characters.")
    start = _day(data.get("start"), "start")
    end = None if data.get("end") is None else _day(data.get("end"), "end")
    if action == END and end is None:
        raise InvalidInput("A status ended (action 'end') needs its end date.")
    if end is not None and end < start:
        raise InvalidInput(f"The status cannot end ({end}) before it starts ({start}).")
    return StatusVersion(niss=niss, status=status, event_id=event_id.strip(), action=action,
                         start=start, end=end, effective_on=effective_on, source_ref=source_ref)


def _choice(value: object, allowed: tuple[str, ...], name: str) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise InvalidInput(f"The field {name} must be one of: {', '.join(allowed)}.")
    return value


def _day(value: object, name: str) -> dt.date:
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise InvalidInput(f"The field {name} must be a date (YYYY-MM-DD).")


@dataclass(frozen=True, slots=True, kw_only=True)
class Membership:
    """From ``since`` on, the person belongs to the household (National Register)."""

    niss: str
    household_id: str
    since: dt.date
    postal_code: str | None


MAX_MEMBERS = 50


def memberships(data: Mapping[str, Any], *, effective_on: dt.date) -> list[Membership]:
    """The memberships a ``family-composition-change`` gives: every listed member belongs
    to the household from the effective date on."""
    household = data.get("household_id")
    members = data.get("members")
    if not isinstance(household, str) or not 0 < len(household) <= 40:
        raise InvalidInput("The field household_id must be a text of 1 to 40 characters.")
    if not isinstance(members, list) or not 0 < len(members) <= MAX_MEMBERS:
        raise InvalidInput(f"The field members must list 1 to {MAX_MEMBERS} members.")
    postal = _postal_code(data.get("address"))
    return [Membership(niss=_member_niss(m), household_id=household, since=effective_on,
                       postal_code=postal) for m in members]


def _member_niss(member: object) -> str:
    raw = member.get("niss") if isinstance(member, Mapping) else member
    if not isinstance(raw, str):
        raise InvalidInput("Each member must be a NISS, or an object with its niss.")
    return parse_niss(raw).value


def _postal_code(address: object) -> str | None:
    if isinstance(address, Mapping):
        code = address.get("postal_code")
        if isinstance(code, str) and len(code) <= 10:
            return code
    return None
