"""Recording delivery attempts: the outbox rows' new state, the subscriptions' failing state
(a success after failures releases the rest) and one journal entry per attempt's outcome, in
one transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Protocol

from sqlalchemy import Engine

from carrefour.journal.chain import append as journal_append
from carrefour.signal import outbox, release
from carrefour.signal.journaling import attempt_entry
from carrefour.signal.outbox import Attempt
from carrefour.signal.repository import DEAD, DELIVERED


class Policy(Protocol):
    @property
    def dead_after_seconds(self) -> float: ...

    def backoff(self, attempts: int) -> dt.timedelta: ...


def record_attempts(
    engine: Engine,
    attempts: Sequence[Attempt],
    *,
    worker: str,
    now: dt.datetime,
    policy: Policy,
    cbes: Mapping[int, str],
) -> dict[int, str]:
    with engine.begin() as connection:
        states = outbox.record(
            connection,
            attempts,
            worker=worker,
            now=now,
            dead_after=dt.timedelta(seconds=policy.dead_after_seconds),
            backoff=policy.backoff,
        )
        release.follow_subscriptions(connection, attempts, now=now)
        journal_append(
            connection,
            [
                attempt_entry(
                    a.claimed,
                    client=cbes.get(a.claimed.institution_id, "?"),
                    cbes=cbes,
                    outcome=_outcome(states[a.claimed.id], a.error),
                )
                for a in attempts
            ],
        )
    return states


def _outcome(state: str, error: str | None) -> str:
    if state == DELIVERED:
        return "ok"
    if state == DEAD:
        return "dead-letter"
    return f"failed: {error}" if error else "failed"
