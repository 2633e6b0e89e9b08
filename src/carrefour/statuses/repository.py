"""Storing the status buffer (SQLAlchemy Core, portable between SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    RowMapping,
    and_,
    bindparam,
    delete,
    insert,
    select,
    update,
)

from carrefour.db import pairs_in
from carrefour.reads import FastRead
from carrefour.statuses.domain import Membership, StatusPeriod, StatusVersion, supersedes
from carrefour.statuses.tables import households, statuses

CHUNK = 5_000


def apply_version(connection: Connection, source: str, version: StatusVersion) -> bool:
    """Keep ``version`` unless a newer version of the same record is stored; whether the
    buffer changed."""
    return bool(apply_versions(connection, [(source, version)]))


def apply_versions(connection: Connection, versions: Sequence[tuple[str, StatusVersion]]
                   ) -> list[StatusVersion]:
    """Keep each version unless a newer version of the same record is stored (or comes in
    the same call); the versions kept. One look-up and two statements for the whole batch."""
    newest: dict[tuple[str, str], StatusVersion] = {}
    for source, version in versions:
        key = (source, version.event_id)
        if key not in newest or supersedes(version.order, newest[key].order):
            newest[key] = version
    if not newest:
        return []
    columns = (statuses.c.id, statuses.c.source, statuses.c.event_id, statuses.c.effective_on,
               statuses.c.action_rank, statuses.c.source_ref)
    stored = {(r.source, r.event_id): r
              for condition in pairs_in(statuses.c.source, statuses.c.event_id, newest)
              for r in connection.execute(select(*columns).where(condition))}
    fresh, changed = [], []
    for key, version in newest.items():
        row = stored.get(key)
        if row is None:
            fresh.append(_row(key[0], version))
        elif supersedes(version.order, (row.effective_on, row.action_rank, row.source_ref)):
            changed.append({**_row(key[0], version), "row_id": row.id})
    if fresh:
        connection.execute(insert(statuses), fresh)
    if changed:
        connection.execute(update(statuses).where(statuses.c.id == bindparam("row_id")),
                           changed)
    kept = {(r["source"], r["event_id"]) for r in [*fresh, *changed]}
    return [v for k, v in newest.items() if k in kept]


def _row(source: str, version: StatusVersion) -> dict[str, Any]:
    return {
        "source": source, "event_id": version.event_id, "niss": version.niss,
        "status": version.status, "starts_on": version.start, "ends_on": version.end,
        "cancelled": version.cancelled, "effective_on": version.effective_on,
        "action_rank": version.order[1], "source_ref": version.source_ref,
    }


def set_memberships(connection: Connection, source: str, found: Sequence[Membership]) -> None:
    """Each person belongs to the household from the date given (a date already known for
    the person is replaced)."""
    if not found:
        return
    keys = [(m.niss, m.since) for m in found]
    for condition in pairs_in(households.c.niss, households.c.since, keys):
        connection.execute(delete(households).where(condition))
    connection.execute(insert(households), [_membership_row(source, m) for m in found])


def _membership_row(source: str, membership: Membership) -> dict[str, Any]:
    return {"niss": membership.niss, "since": membership.since,
            "household_id": membership.household_id, "postal_code": membership.postal_code,
            "source": source}


@dataclass(frozen=True, slots=True)
class Place:
    household_id: str
    postal_code: str | None


# The look-ups of one consultation, built once: building a statement costs more than running
# it (about 100 µs a build against 40 µs a run on SQLite); the lists are expanding parameters.
_PLACES = (select(households.c.niss, households.c.household_id, households.c.postal_code)
           .where(households.c.niss.in_(bindparam("numbers", expanding=True)),
                  households.c.since <= bindparam("day"))
           .order_by(households.c.niss, households.c.since))
_PLACE = (select(households.c.household_id, households.c.postal_code)
          .where(households.c.niss == bindparam("niss"), households.c.since <= bindparam("day"))
          .order_by(households.c.since.desc()).limit(1))
_EVER = (select(households.c.niss).distinct()
         .where(households.c.household_id == bindparam("household_id")))
_EVER_IN = (select(households.c.niss).distinct()
            .where(households.c.household_id.in_(bindparam("ids", expanding=True))))
_PERIODS = (select(statuses)
            .where(statuses.c.niss.in_(bindparam("numbers", expanding=True)),
                   statuses.c.cancelled.is_(False))
            .order_by(statuses.c.niss, statuses.c.starts_on, statuses.c.id))
_PERIODS_OF_ONE = (select(statuses)
                   .where(statuses.c.niss == bindparam("niss"), statuses.c.cancelled.is_(False))
                   .order_by(statuses.c.starts_on, statuses.c.id))


def household_on(connection: Connection, niss: str, day: dt.date) -> Place | None:
    """The household the person belongs to on ``day`` (None: not known)."""
    row = connection.execute(_PLACE, {"niss": niss, "day": day}).first()
    return None if row is None else Place(row.household_id, row.postal_code)


def places_on(connection: Connection, nisses: Iterable[str], day: dt.date) -> dict[str, Place]:
    """The household each person belongs to on ``day`` (persons not known: left out)."""
    numbers = sorted(set(nisses))
    if not numbers:
        return {}
    return {row.niss: Place(row.household_id, row.postal_code)
            for row in connection.execute(_PLACES, {"numbers": numbers, "day": day})}


def members_on(connection: Connection, household_id: str, day: dt.date) -> list[str]:
    """The persons who belong to the household on ``day``, in NISS order."""
    return households_members(connection, [household_id], day).get(household_id, [])


def households_members(connection: Connection, household_ids: Iterable[str], day: dt.date
                       ) -> dict[str, list[str]]:
    """The members of each household on ``day``, in NISS order."""
    ids = sorted(set(household_ids))
    if not ids:
        return {}
    ever = connection.execute(_EVER_IN, {"ids": ids}).scalars().all()
    wanted = set(ids)
    found: dict[str, list[str]] = {}
    for niss, place in sorted(places_on(connection, ever, day).items()):
        if place.household_id in wanted:
            found.setdefault(place.household_id, []).append(niss)
    return found


def periods_of(connection: Connection, nisses: Iterable[str]) -> list[StatusPeriod]:
    """Every status (not cancelled) of the persons, in NISS and start order."""
    numbers = sorted(set(nisses))
    if not numbers:
        return []
    if len(numbers) == 1:
        rows = connection.execute(_PERIODS_OF_ONE, {"niss": numbers[0]})
    else:
        rows = connection.execute(_PERIODS, {"numbers": numbers})
    return [to_period(row) for row in rows.mappings()]


class PersonReads:
    """The look-ups of a consultation of the buffer, each one statement compiled once and run
    without SQLAlchemy's execution (:class:`~carrefour.reads.FastRead`): a person's household
    on a day, its members, a person's statuses."""

    def __init__(self, engine: Engine) -> None:
        self._place = FastRead(engine, _PLACE)
        self._ever = FastRead(engine, _EVER)
        self._periods = FastRead(engine, _PERIODS_OF_ONE)

    async def household_on(self, niss: str, day: dt.date) -> Place | None:
        rows = await self._place.rows(niss=niss, day=day)
        return Place(rows[0]["household_id"], rows[0]["postal_code"]) if rows else None

    async def members_on(self, household_id: str, day: dt.date) -> list[str]:
        """As :func:`members_on`: who belongs to the household on ``day``, in NISS order."""
        members = []
        for row in await self._ever.rows(household_id=household_id):
            place = await self.household_on(row["niss"], day)
            if place is not None and place.household_id == household_id:
                members.append(row["niss"])
        return sorted(members)

    async def periods_of(self, nisses: Iterable[str]) -> list[StatusPeriod]:
        """As :func:`periods_of`: every status (not cancelled), in NISS and start order."""
        found: list[StatusPeriod] = []
        for niss in sorted(set(nisses)):
            found.extend(to_period(row) for row in await self._periods.rows(niss=niss))
        return found

    def close(self) -> None:
        for read in (self._place, self._ever, self._periods):
            read.close()


def to_period(row: Mapping[str, Any] | RowMapping) -> StatusPeriod:
    return StatusPeriod(niss=row["niss"], status=row["status"], start=row["starts_on"],
                        end=row["ends_on"], source=row["source"], event_id=row["event_id"],
                        effective_on=row["effective_on"])


# --- the whole buffer ------------------------------------------------------------------------
def load(connection: Connection, rows: Iterable[dict[str, Any]], table: str) -> int:
    """Bulk insert of prepared rows into ``ssh_statuses`` or ``ssh_households``."""
    target = statuses if table == "statuses" else households
    count = 0
    for chunk in _chunks(rows):
        connection.execute(insert(target), chunk)
        count += len(chunk)
    return count


def _chunks(rows: Iterable[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def all_places_on(connection: Connection, day: dt.date) -> dict[str, tuple[str, str | None]]:
    """Every person's household on ``day``: (household id, postal code) per NISS."""
    query = select(households.c.niss, households.c.since, households.c.household_id,
                   households.c.postal_code).where(households.c.since <= day)
    latest: dict[str, dt.date] = {}
    found: dict[str, tuple[str, str | None]] = {}
    for niss, since, household_id, postal_code in connection.execute(query):
        if niss not in latest or since > latest[niss]:
            latest[niss] = since
            found[niss] = (household_id, postal_code)
    return found


def all_statuses_on(connection: Connection, day: dt.date) -> Iterator[tuple[str, str]]:
    """(NISS, status) of every status active on ``day``."""
    query = select(statuses.c.niss, statuses.c.status).where(
        statuses.c.cancelled.is_(False), statuses.c.starts_on <= day,
        and_(statuses.c.ends_on.is_(None) | (statuses.c.ends_on >= day)),
    )
    for row in connection.execute(query):
        yield row.niss, row.status
