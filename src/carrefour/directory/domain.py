"""Rules of the reference directory. Pure: no framework, no database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from carrefour.errors import (
    DeliberationExpired,
    EndDateRequired,
    IntegrationExpired,
    InvalidPeriod,
    NoDeliberation,
    NotIntegrated,
)

CPAS_SECTOR = 17
HEATING_FUND = 40

# Maximum duration of a CPAS integration per quality code, in months (DOMAIN.md).
CPAS_MAX_MONTHS: dict[int, int] = {1: 2, 2: 12, 3: 12, 4: 12, 5: 12, 6: 12, 7: 60, 8: 60, 9: 24}


class Role(StrEnum):
    CLIENT = "client"
    SOURCE = "source"
    BOTH = "both"

    @property
    def is_source(self) -> bool:
        return self is not Role.CLIENT


@dataclass(frozen=True, slots=True, kw_only=True)
class Institution:
    id: int
    cbe: str
    name_fr: str
    name_nl: str
    sector: int
    subsector: int
    kind: str
    role: Role
    endpoint: str | None = None
    source_token: str | None = None
    postal_code: str | None = None
    active: bool = True
    name_de: str | None = None

    def name(self, language: str) -> str:
        """The name in ``language`` (fr, nl, de; the French one where no other is known)."""
        return {"nl": self.name_nl, "de": self.name_de}.get(language) or self.name_fr


@dataclass(frozen=True, slots=True, kw_only=True)
class Integration:
    id: int
    niss: str
    institution_id: int
    quality_code: int
    starts_on: dt.date
    ends_on: dt.date | None
    unregistered_at: dt.datetime | None = None

    def active_on(self, day: dt.date) -> bool:
        if self.unregistered_at is not None:
            return False
        return self.starts_on <= day and (self.ends_on is None or day <= self.ends_on)

    def expired_on(self, day: dt.date) -> bool:
        return self.unregistered_at is None and self.ends_on is not None and self.ends_on < day


@dataclass(frozen=True, slots=True)
class SectorScope:
    """What one grant gives for the items of a collection (a person's files, each in the
    sector of the institution holding it): the sectors it covers (None: every sector) and the
    fields it grants there."""

    sectors: frozenset[int] | None
    fields: frozenset[str]

    def covers(self, sector: object) -> bool:
        return self.sectors is None or sector in self.sectors


@dataclass(frozen=True, slots=True, kw_only=True)
class Deliberation:
    """One grant of the authorization table. ``sectors`` restricts it, for a service whose
    items carry a ``sector``, to the items of those sectors (None: every sector).

    ``scopes`` is empty unless a sector restriction applies: then it holds the sectors and
    fields of each grant that took part (one for a single grant, several once merged by
    :func:`find_deliberation`), so that every item gets exactly the fields of the grants
    covering its sector (:meth:`fields_for_sector`)."""

    id: int
    reference: str
    title: str
    client_kind: str
    quality_codes: frozenset[int]
    service: str
    fields: frozenset[str]
    valid_from: dt.date
    valid_until: dt.date | None
    sectors: frozenset[int] | None = None
    scopes: tuple[SectorScope, ...] = ()
    confidential_days: int | None = None  # withheld from the person so long after an exchange

    def __post_init__(self) -> None:
        if self.sectors is not None and not self.scopes:
            object.__setattr__(self, "scopes", (SectorScope(self.sectors, self.fields),))

    def fields_for_sector(self, sector: object) -> frozenset[str] | None:
        """The fields granted for an item of that sector; None when no grant covers it."""
        if not self.scopes:
            return self.fields
        covering = [scope.fields for scope in self.scopes if scope.covers(sector)]
        return frozenset().union(*covering) if covering else None

    def valid_on(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)

    def covers(self, *, client_kind: str, capacity: int, service: str) -> bool:
        return (
            self.client_kind == client_kind
            and self.service == service
            and capacity in self.quality_codes
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Availability:
    """Service available at a kind of source; quality codes of the source's own file, or None
    when the source is authentic for everyone (no directory look-up needed)."""

    service: str
    source_kind: str
    quality_codes: frozenset[int] | None


@dataclass(frozen=True, slots=True)
class Period:
    starts_on: dt.date
    ends_on: dt.date | None
    capped: bool = False


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (the month's last day when it is shorter); refused with
    :class:`InvalidPeriod` past the last representable date (9999-12-31)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    if not dt.MINYEAR <= year <= dt.MAXYEAR:
        raise InvalidPeriod(f"A period starting on {day} would end after the year {dt.MAXYEAR}.")
    for candidate_day in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, candidate_day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def integration_period(
    *, sector: int, quality_code: int, starts_on: dt.date, ends_on: dt.date | None
) -> Period:
    """The period actually granted: a CPAS integration gets its end date defaulted to the
    maximum duration of its quality code and capped there; a CPAS code without a maximum
    duration needs an explicit end date (a CPAS file always ends)."""
    if ends_on is not None and ends_on < starts_on:
        raise InvalidPeriod(f"The end date {ends_on} is before the start date {starts_on}.")
    limit = cpas_limit(quality_code, starts_on) if sector == CPAS_SECTOR else None
    if limit is None and sector == CPAS_SECTOR and ends_on is None:
        raise EndDateRequired(
            f"The CPAS quality code {quality_code} has no maximum duration: give the end date "
            "of the integration."
        )
    if limit is None:
        return Period(starts_on, ends_on)
    if ends_on is None:
        return Period(starts_on, limit)
    if ends_on > limit:
        return Period(starts_on, limit, capped=True)
    return Period(starts_on, ends_on)


def cpas_limit(quality_code: int, starts_on: dt.date) -> dt.date | None:
    """Last day a CPAS integration with this code may last, None when the code has no limit."""
    if quality_code == HEATING_FUND:
        return dt.date(starts_on.year, 12, 31)
    months = CPAS_MAX_MONTHS.get(quality_code)
    if months is None:
        return None
    return last_day_of_months(starts_on, months)


def last_day_of_months(starts_on: dt.date, months: int) -> dt.date:
    """The last day of a period of ``months`` months starting on ``starts_on``: the day before
    the same day ``months`` later, or the last day of that month when it has no such day (a
    period of two months from 31 December ends on the last day of February, not the day
    before)."""
    same_day = add_months(starts_on, months)
    if same_day.day < starts_on.day:  # the month is shorter: the period fills it
        return same_day
    return same_day - dt.timedelta(days=1)  # never before 0001-01-01


def check_finality(
    integrations: Iterable[Integration], *, institution_id: int, capacity: int, today: dt.date
) -> Integration:
    """The client's active integration in the capacity it claims, or the refusal that applies."""
    own = [
        i for i in integrations if i.institution_id == institution_id and i.quality_code == capacity
    ]
    for integration in own:
        if integration.active_on(today):
            return integration
    if any(i.expired_on(today) for i in own):
        raise IntegrationExpired(
            f"The institution's file on this person with quality code {capacity} has expired; "
            "integrate the person again if the file is still open."
        )
    raise NotIntegrated(
        f"The institution has no active file on this person with quality code {capacity}; "
        "integrate the person first (finality principle)."
    )


def find_deliberation(
    deliberations: Sequence[Deliberation],
    *,
    client_kind: str,
    capacity: int,
    service: str,
    today: dt.date,
) -> Deliberation:
    """The valid deliberation authorising this exchange, or the refusal that applies."""
    covering = [
        d
        for d in deliberations
        if d.covers(client_kind=client_kind, capacity=capacity, service=service)
    ]
    valid = [d for d in covering if d.valid_on(today)]
    if valid:
        return _merge_grants(valid)
    if covering:
        raise DeliberationExpired(
            f"The deliberation {covering[0].reference} authorising '{service}' for a {client_kind} "
            f"acting with quality code {capacity} is not valid on {today}."
        )
    raise NoDeliberation(
        f"No deliberation authorises a {client_kind} acting with quality code {capacity} "
        f"to use the service '{service}'."
    )


def _merge_grants(valid: Sequence[Deliberation]) -> Deliberation:
    """Several valid deliberations for the same exchange: the fields granted add up; where one
    of them is restricted to sectors, each grant keeps its own sectors and fields (``scopes``)
    so that an item gets only the fields of the grants covering its sector."""
    first = valid[0]
    if len(valid) == 1:
        return first
    fields = frozenset().union(*(d.fields for d in valid))
    reference = "+".join(sorted({d.reference for d in valid}))
    if not any(d.scopes for d in valid):
        return replace(first, fields=fields, reference=reference)
    scopes = tuple(s for d in valid for s in (d.scopes or (SectorScope(None, d.fields),)))
    sectors = None if any(s.sectors is None for s in scopes) else frozenset().union(
        *(s.sectors or () for s in scopes))
    return replace(first, fields=fields, reference=reference, sectors=sectors, scopes=scopes)
