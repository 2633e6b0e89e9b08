"""Releasing deliveries waiting for their back-off, when waiting no longer makes sense.

A subscription is marked failing (``failing_since``) by its first failed attempt; the next
success clears the mark and releases at once that subscription's other pending deliveries
(their next attempt becomes now), so that a subscriber coming back after an outage gets its
backlog and its new events without waiting for back-offs computed while it was away. Operators
can also release one subscription's pending deliveries by hand ("retry now").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import Connection, select, update

from carrefour.signal.outbox import Attempt
from carrefour.signal.repository import PENDING
from carrefour.signal.tables import deliveries, subscriptions

d, s = deliveries, subscriptions


def follow_subscriptions(
    connection: Connection, attempts: Sequence[Attempt], *, now: dt.datetime
) -> list[int]:
    """Mark the subscriptions whose attempts all failed, and release those that succeeded
    after failing; the ids of the subscriptions released."""
    succeeded = {a.claimed.subscription_id for a in attempts if a.delivered}
    failed = {a.claimed.subscription_id for a in attempts if not a.delivered} - succeeded
    if failed:
        connection.execute(
            update(s)
            .where(s.c.id.in_(sorted(failed)), s.c.failing_since.is_(None))
            .values(failing_since=now)
        )
    if not succeeded:
        return []
    recovered = list(connection.execute(
        select(s.c.id).where(s.c.id.in_(sorted(succeeded)), s.c.failing_since.is_not(None))
    ).scalars())
    if recovered:
        connection.execute(update(s).where(s.c.id.in_(recovered)).values(failing_since=None))
        release(connection, recovered, now=now)
    return recovered


def release(connection: Connection, subscription_ids: Sequence[int], *, now: dt.datetime) -> int:
    """Make the pending deliveries of ``subscription_ids`` due now; how many were waiting."""
    return int(connection.execute(
        update(d)
        .where(
            d.c.subscription_id.in_(sorted(subscription_ids)),
            d.c.state == PENDING,
            d.c.next_attempt_at > now,
        )
        .values(next_attempt_at=now)
    ).rowcount)
