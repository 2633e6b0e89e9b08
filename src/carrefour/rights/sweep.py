"""The daily sweep of the status buffer: a status whose period ends (or begins) with no new
mutation changes what a household holds on that day, so once a day the persons whose statuses
ended yesterday or begin today are followed by the derived rights like any change. Idempotent:
``rights_granted`` remembers what was told, so a second sweep (or another process's) tells
nothing more."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from sqlalchemy import Connection, Engine, and_, or_, select

from carrefour.directory.cache import ReferenceSnapshot
from carrefour.statuses.tables import statuses

Follow = Callable[[Connection, Sequence[str], ReferenceSnapshot, dt.date, dt.datetime], None]
CHUNK = 500


def persons_at_a_boundary(connection: Connection, today: dt.date) -> list[str]:
    """The persons with a status that ended in the last two days or begins in the last two
    (two days: a day the hub was down is caught up the next day)."""
    s = statuses.c
    ended = and_(s.ends_on >= today - dt.timedelta(days=2), s.ends_on < today)
    begun = and_(s.starts_on > today - dt.timedelta(days=2), s.starts_on <= today)
    query = (select(s.niss).where(s.cancelled.is_(False), or_(ended, begun))
             .distinct().order_by(s.niss))
    return list(connection.execute(query).scalars())


def sweep_statuses(engine: Engine, follow: Follow, *, snapshot: ReferenceSnapshot,
                   today: dt.date) -> int:
    """Follow the persons at a status boundary, a chunk per transaction; how many."""
    with engine.connect() as connection:
        nisses = persons_at_a_boundary(connection, today)
    for start in range(0, len(nisses), CHUNK):
        with engine.begin() as connection:
            follow(connection, nisses[start:start + CHUNK], snapshot, today,
                   dt.datetime.now(dt.UTC))
    return len(nisses)
