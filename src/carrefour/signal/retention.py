"""Keeping no payload longer than delivery needs it.

A mutation's payload, and the granted copy each of its deliveries carries, are emptied once
every delivery is settled: delivered (pushed and acknowledged, or acknowledged on the pull
feed), cancelled, or a dead letter older than the retention (``CARREFOUR_SIGNAL_RETENTION``, so
that operators can replay it until then). The rows stay, with their references: the ids an
intake needs to recognise a duplicate, the states, and the journal entries.

The purge walks the unpurged mutations in id order (a partial index holds just them), in
bounded batches: each is read without the write lock, and only settled mutations are then
purged in one short transaction (the delivery worker runs a few batches at a time and
continues where it stopped; ``carrefour signal purge`` and ``POST /v1/admin/signal/purge`` run
a whole pass). On PostgreSQL that transaction locks its mutations with ``FOR UPDATE SKIP
LOCKED``: two purges never wait on each other, and a replay (which locks the mutations of the
dead letters it queues) either comes first, and its deliveries are live again, or finds them
purged.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, and_, or_, select, update

from carrefour.db import reading
from carrefour.journal.chain import append as journal_append
from carrefour.journal.entries import JournalEntry, new_ticket
from carrefour.signal.repository import DEAD, FEED, PENDING
from carrefour.signal.tables import deliveries, mutations

d, m = deliveries, mutations
ACTION = "purge-payloads"


@dataclass(frozen=True, slots=True)
class PurgeRun:
    purged: int  # mutations whose payloads were emptied
    batches: int
    after: int  # the id the next run continues after (0: the pass is complete)


def purge_payloads(
    engine: Engine,
    *,
    now: dt.datetime,
    retention: dt.timedelta,
    batch_size: int,
    client: str,
    channel: str,
    after: int = 0,
    max_batches: int | None = None,
) -> PurgeRun:
    """Purge in batches from ``after`` to the end (or ``max_batches``). Each batch is looked at
    without the write lock; only one that finds settled mutations opens a (short) write
    transaction, which checks them again, purges them and journals it."""
    cutoff = now - retention
    purged = batches = 0
    while max_batches is None or batches < max_batches:
        with reading(engine).connect() as connection:
            settled, last = settled_mutations(
                connection, after=after, cutoff=cutoff, limit=batch_size
            )
        if settled:
            with engine.begin() as connection:
                count = purge_mutations(connection, settled, now=now, cutoff=cutoff)
                if count:
                    journal_append(connection, [_entry(count, client=client, channel=channel)])
            purged += count
        batches += 1
        if last is None:
            return PurgeRun(purged, batches, 0)
        after = last
    return PurgeRun(purged, batches, after)


def settled_mutations(
    connection: Connection, *, after: int, cutoff: dt.datetime, limit: int
) -> tuple[list[int], int | None]:
    """The settled ones among the next ``limit`` unpurged mutations after ``after``, and the
    last id looked at (None: the end was reached)."""
    query = (
        select(m.c.id).where(m.c.purged_at.is_(None), m.c.id > after).order_by(m.c.id)
        .limit(limit)
    )
    candidates = list(connection.execute(query).scalars())
    if not candidates:
        return [], None
    last = candidates[-1] if len(candidates) == limit else None
    return _settled(connection, candidates, cutoff), last


def purge_mutations(
    connection: Connection, ids: list[int], *, now: dt.datetime, cutoff: dt.datetime
) -> int:
    """Empty the payloads of those of ``ids`` still unpurged and settled (checked again, the
    mutations locked on PostgreSQL); how many."""
    query = select(m.c.id).where(m.c.id.in_(ids), m.c.purged_at.is_(None)).order_by(m.c.id)
    if connection.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    settled = _settled(connection, list(connection.execute(query).scalars()), cutoff)
    if settled:
        connection.execute(update(d).where(d.c.mutation_id.in_(settled)).values(data=None))
        connection.execute(
            update(m).where(m.c.id.in_(settled)).values(data=None, purged_at=now)
        )
    return len(settled)


def _settled(connection: Connection, ids: list[int], cutoff: dt.datetime) -> list[int]:
    """Those of ``ids`` with no delivery still due, on the feed, or dead within retention."""
    if not ids:
        return []
    live = select(d.c.mutation_id).where(
        d.c.mutation_id.in_(ids),
        or_(d.c.state.in_((PENDING, FEED)), and_(d.c.state == DEAD, d.c.next_attempt_at > cutoff)),
    )
    return sorted(set(ids) - set(connection.execute(live).scalars()))


def _entry(count: int, *, client: str, channel: str) -> JournalEntry:
    return JournalEntry(
        ticket=new_ticket(),
        occurred_at=dt.datetime.now(dt.UTC),
        channel=channel,
        action=ACTION,
        client=client,
        end_user_id=None,
        end_user_role=None,
        service=None,
        niss=None,
        quality_code=None,
        deliberation=None,
        outcome=f"ok: {count} purged",
        duration_ms=0.0,
    )
