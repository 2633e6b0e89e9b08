"""The operators' view of the signal function: backlog per subscription and state, dead
letters, replaying them and retrying a subscription's deliveries now (journaled with a ticket),
and purging settled payloads."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import Engine, select

from carrefour.errors import DeadLetterPurged, NotFound
from carrefour.journal.chain import append as journal_append
from carrefour.journal.entries import JournalEntry, new_ticket
from carrefour.journal.recorded import Stamp
from carrefour.signal import outbox, release
from carrefour.signal.outbox import BacklogRow, DeadLetter
from carrefour.signal.retention import purge_payloads
from carrefour.signal.tables import subscriptions


def backlog(engine: Engine) -> list[BacklogRow]:
    with engine.connect() as connection:
        return outbox.backlog(connection)


def dead_letters(engine: Engine, *, limit: int = 100) -> list[DeadLetter]:
    with engine.connect() as connection:
        return outbox.dead_letters(connection, limit=limit)


def replay(
    engine: Engine,
    *,
    client: str,
    channel: str,
    ids: Sequence[int] | None = None,
    subscription_id: int | None = None,
) -> tuple[str, int]:
    """Queue dead letters again; the ticket of the replay and how many were queued. Naming a
    dead letter whose payload was purged refuses the whole replay (journaled)."""
    ticket = new_ticket()
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as connection:
        purged = outbox.purged_dead_letters(connection, ids) if ids else []
        count = 0
        if not purged:
            count = outbox.replay(connection, ids=ids, subscription_id=subscription_id, now=now)
        outcome = DeadLetterPurged.code if purged else f"ok: {count} queued"
        journal_append(connection, [_entry(ticket, now, channel, client, outcome)])
    if purged:
        raise DeadLetterPurged(
            f"The payload of dead letter(s) {', '.join(map(str, purged))} was purged after "
            "the retention (CARREFOUR_SIGNAL_RETENTION); ask the source to publish again.",
            ticket=ticket,
        )
    return ticket, count


def retry_now(engine: Engine, *, stamp: Stamp, subscription_id: int) -> int:
    """Make a subscription's pending deliveries due now, whatever their back-off; how many
    were waiting. Journaled under ``stamp``, an unknown subscription too (``not-found``)."""
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as connection:
        known = connection.execute(
            select(subscriptions.c.id).where(subscriptions.c.id == subscription_id)
        ).first()
        count = release.release(connection, [subscription_id], now=now) if known else 0
        outcome = f"ok: {count} released" if known else NotFound.code
        journal_append(connection, [stamp.entry(outcome, reference=str(subscription_id))])
    stamp.sealed = True
    if not known:
        raise NotFound(f"There is no subscription {subscription_id}.", ticket=stamp.ticket)
    return count


def purge(
    engine: Engine, *, client: str, channel: str, retention: dt.timedelta, batch_size: int
) -> int:
    """A whole purge pass (see :mod:`carrefour.signal.retention`); how many mutations."""
    return purge_payloads(
        engine, now=dt.datetime.now(dt.UTC), retention=retention, batch_size=batch_size,
        client=client, channel=channel,
    ).purged


def _entry(ticket: str, now: dt.datetime, channel: str, client: str, outcome: str) -> JournalEntry:
    return JournalEntry(
        ticket=ticket,
        occurred_at=now,
        channel=channel,
        action="replay-dead-letters",
        client=client,
        end_user_id=None,
        end_user_role=None,
        service=None,
        niss=None,
        quality_code=None,
        deliberation=None,
        outcome=outcome,
        duration_ms=0.0,
    )
