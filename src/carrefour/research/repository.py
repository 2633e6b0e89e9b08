"""Storage of research extracts: the projects, their budget (spent atomically), the releases,
and the population's rows read from the status buffer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, func, insert, or_, select, update

from carrefour.research.domain import Period, Variable
from carrefour.research.tables import research_projects, research_releases
from carrefour.statuses.tables import households, statuses

CHUNK = 500  # NISS numbers per IN (...) look-up


@dataclass(frozen=True, slots=True, kw_only=True)
class Project:
    id: str
    title: str
    institution_id: int
    deliberation: str
    variables: tuple[Variable, ...]
    statuses: tuple[str, ...]
    period: Period
    key_salt: str
    budget_micro: int | None
    spent_micro: int
    created_at: dt.datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Release:
    id: int
    ticket: str
    kind: str
    variables: tuple[str, ...]
    epsilon_micro: int | None
    persons: int
    released_at: dt.datetime


def insert_project(connection: Connection, row: Mapping[str, Any]) -> None:
    connection.execute(insert(research_projects), [dict(row)])


def project_by_id(connection: Connection, project_id: str) -> Project | None:
    row = connection.execute(select(research_projects).where(
        research_projects.c.id == project_id)).mappings().first()
    return None if row is None else _project(row)


def _project(row: Mapping[Any, Any]) -> Project:
    moment: dt.datetime = row["created_at"]
    return Project(
        id=row["id"], title=row["title"], institution_id=row["institution_id"],
        deliberation=row["deliberation"],
        variables=tuple(Variable(v) for v in row["variables"]),
        statuses=tuple(row["statuses"]), period=Period(row["period_start"], row["period_end"]),
        key_salt=row["key_salt"], budget_micro=row["budget_micro"],
        spent_micro=row["spent_micro"],
        created_at=moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC))


def spend(connection: Connection, project_id: str, micro: int) -> int | None:
    """Add ``micro`` to what the project spent, only if its budget allows it: one statement,
    so that two releases at once can never both spend the last of the budget. What is spent
    now; None when the budget does not allow it."""
    spent = research_projects.c.spent_micro
    done = connection.execute(update(research_projects).where(
        research_projects.c.id == project_id,
        research_projects.c.budget_micro.is_not(None),
        spent + micro <= research_projects.c.budget_micro,
    ).values(spent_micro=spent + micro).returning(spent))
    now: int | None = done.scalar_one_or_none()
    return now


def insert_release(connection: Connection, row: Mapping[str, Any]) -> None:
    connection.execute(insert(research_releases), [dict(row)])


def releases_of(connection: Connection, project_id: str) -> list[Release]:
    query = (select(research_releases).where(research_releases.c.project_id == project_id)
             .order_by(research_releases.c.id))
    found = []
    for row in connection.execute(query).mappings():
        moment: dt.datetime = row["released_at"]
        found.append(Release(
            id=row["id"], ticket=row["ticket"], kind=row["kind"],
            variables=tuple(row["variables"]), epsilon_micro=row["epsilon_micro"],
            persons=row["persons"],
            released_at=moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)))
    return found


def status_rows(connection: Connection, wanted: Sequence[str], period: Period
                ) -> list[tuple[str, str, dt.date, dt.date | None, str]]:
    """(NISS, status, start, end, event id) of every status record of the buffer, not
    cancelled, of one of the statuses, that overlaps the period."""
    s = statuses.c
    query = select(s.niss, s.status, s.starts_on, s.ends_on, s.event_id).where(
        *_in_population(wanted, period))
    return [(r[0], r[1], r[2], r[3], r[4]) for r in connection.execute(query)]


def _in_population(wanted: Sequence[str], period: Period) -> list[ColumnElement[bool]]:
    s = statuses.c
    return [s.status.in_(list(wanted)), s.cancelled.is_(False), s.starts_on <= period.end,
            or_(s.ends_on.is_(None), s.ends_on >= period.start)]


def population_size(connection: Connection, wanted: Sequence[str], period: Period) -> int:
    """How many distinct persons :func:`status_rows` describes."""
    s = statuses.c
    query = select(func.count(s.niss.distinct())).where(*_in_population(wanted, period))
    return int(connection.execute(query).scalar_one())


def postal_codes(connection: Connection, nisses: Sequence[str], on: dt.date
                 ) -> dict[str, str | None]:
    """The postal code of each person's household on ``on`` (their first one when they
    joined it only later); persons the buffer has no household for are left out."""
    h = households.c
    rows: dict[str, list[tuple[dt.date, str | None]]] = {}
    for first in range(0, len(nisses), CHUNK):
        part = list(nisses[first:first + CHUNK])
        query = select(h.niss, h.since, h.postal_code).where(h.niss.in_(part))
        for niss, since, code in connection.execute(query):
            rows.setdefault(niss, []).append((since, code))
    return {niss: _on(found, on) for niss, found in rows.items()}


def _on(found: list[tuple[dt.date, str | None]], on: dt.date) -> str | None:
    before = [row for row in found if row[0] <= on]
    return max(before, key=lambda r: r[0])[1] if before else min(found, key=lambda r: r[0])[1]
