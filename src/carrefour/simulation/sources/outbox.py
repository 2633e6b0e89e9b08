"""The mutations a simulated source owes the hub, kept until the hub has them: a source's
outbox. A mutation is written in the same transaction as the change it describes (a
declaration kept, a decision taken), published after commit, and marked once the hub accepted
it. One the hub could not take (unreachable, an error of its own) is tried again later, with a
growing delay; one it refused is kept as refused, never sent again. The hub's intake is
idempotent on the source's ``source_id``: a mutation published twice (the hub's answer lost
on the way) is delivered once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    insert,
    select,
    update,
)

PENDING, PUBLISHED, REFUSED = "pending", "published", "refused"
FIRST_DELAY = 0.5  # seconds before the first retry; doubled at each failure
LAST_DELAY = 60.0  # the longest wait between two tries
BATCH = 100

_TABLES: dict[str, Table] = {}


def attach(metadata: MetaData, kind: str) -> None:
    """Add the outbox table to a source's metadata."""
    _TABLES[kind] = Table(
        "publications", metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("source_ref", String(100), nullable=False),  # the mutation's source_id
        Column("mutation", Text, nullable=False),  # as published, JSON
        Column("state", String(10), nullable=False),
        Column("attempts", Integer, nullable=False),
        Column("next_attempt_at", DateTime(timezone=True), nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("published_at", DateTime(timezone=True), nullable=True),
        Column("error", String(300), nullable=True),  # the last failure or the refusal
        Index("ix_publications_state_id", "state", "id"),
    )


def table(kind: str) -> Table:
    return _TABLES[kind]


def ensure(engine: Engine, kind: str) -> None:
    """Create the outbox of a source database seeded before sources had one."""
    table(kind).create(engine, checkfirst=True)


@dataclass(frozen=True, slots=True)
class Publication:
    id: int
    mutation: dict[str, Any]
    attempts: int
    next_attempt_at: dt.datetime


def record(connection: Connection, kind: str, mutations: Iterable[Mapping[str, Any]],
           now: dt.datetime) -> None:
    """Owe the hub ``mutations``, in the caller's transaction."""
    rows = [{"source_ref": str(m["source_id"]), "mutation": orjson.dumps(dict(m)).decode(),
             "state": PENDING, "attempts": 0, "next_attempt_at": now, "created_at": now}
            for m in mutations]
    if rows:
        connection.execute(insert(table(kind)), rows)


def owed(engine: Engine, kind: str, *, limit: int = BATCH) -> list[Publication]:
    """The mutations still owed, oldest first: they are published in that order, and one the
    hub could not take holds back those after it until its next try (the hub is down for
    all of them alike)."""
    publications = table(kind)
    with engine.connect() as connection:
        rows = connection.execute(select(
            publications.c.id, publications.c.mutation, publications.c.attempts,
            publications.c.next_attempt_at).where(publications.c.state == PENDING)
            .order_by(publications.c.id).limit(limit))
        return [Publication(int(r.id), orjson.loads(r.mutation), int(r.attempts),
                            _aware(r.next_attempt_at)) for r in rows]


def published(engine: Engine, kind: str, publication: Publication, now: dt.datetime) -> None:
    _close(engine, kind, publication, state=PUBLISHED, now=now, error=None)


def refused(engine: Engine, kind: str, publication: Publication, now: dt.datetime,
            error: str) -> None:
    _close(engine, kind, publication, state=REFUSED, now=now, error=error)


def failed(engine: Engine, kind: str, publication: Publication, now: dt.datetime,
           error: str, *, first: float = FIRST_DELAY) -> float:
    """The hub could not take it: try again after the back-off of its attempts (seconds,
    returned; ``first`` the first one's)."""
    attempts = publication.attempts + 1
    wait = backoff(attempts, first=first)
    later = now + dt.timedelta(seconds=wait)
    with engine.begin() as connection:
        connection.execute(update(table(kind)).where(table(kind).c.id == publication.id)
                           .values(attempts=attempts, next_attempt_at=later,
                                   error=error[:300]))
    return wait


def backoff(attempts: int, *, first: float = FIRST_DELAY) -> float:
    """Seconds to wait after ``attempts`` failed tries: ``first``, doubled at each failure,
    ``LAST_DELAY`` at most."""
    return float(min(LAST_DELAY, first * 2 ** max(0, attempts - 1)))


def _close(engine: Engine, kind: str, publication: Publication, *, state: str,
           now: dt.datetime, error: str | None) -> None:
    with engine.begin() as connection:
        connection.execute(update(table(kind)).where(table(kind).c.id == publication.id)
                           .values(state=state, attempts=publication.attempts + 1,
                                   published_at=now if state == PUBLISHED else None,
                                   error=error[:300] if error else None))


def _aware(moment: dt.datetime) -> dt.datetime:
    """SQLite gives back naive datetimes: they were written in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
