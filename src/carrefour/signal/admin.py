"""The operators' view of the signal function: backlog per subscription and state, dead
letters, and replaying them (journaled with a ticket)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import Engine

from carrefour.journal.chain import append as journal_append
from carrefour.journal.entries import JournalEntry, new_ticket
from carrefour.signal import outbox
from carrefour.signal.outbox import BacklogRow, DeadLetter


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
    """Queue dead letters again; the ticket of the replay and how many were queued."""
    ticket = new_ticket()
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as connection:
        count = outbox.replay(connection, ids=ids, subscription_id=subscription_id, now=now)
        journal_append(
            connection,
            [
                JournalEntry(
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
                    outcome=f"ok: {count} queued",
                    duration_ms=0.0,
                )
            ],
        )
    return ticket, count
