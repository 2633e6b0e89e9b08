"""What the journal says about a delivery, and the event a delivery carries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from carrefour.journal.entries import JournalEntry, new_ticket
from carrefour.signal.cloudevents import Event
from carrefour.signal.outbox import Claimed

DELIVER = "deliver-mutation"  # the outcome of a push attempt (ok, failed, dead-letter, ...)
SEND = "send-mutation"  # a push attempt, journaled when claimed, before anything is sent
FEED = "feed-mutation"  # an event handed out by the pull feed


def event_of(claimed: Claimed, cbes: Mapping[int, str]) -> Event:
    return Event(
        event_id=claimed.event_id,
        ticket=claimed.ticket,
        type=claimed.type,
        niss=claimed.niss,
        source_cbe=cbes.get(claimed.source_id) if claimed.source_id is not None else None,
        effective_on=claimed.effective_on,
        received_at=claimed.received_at,
        data=claimed.data,
        quality_code=claimed.quality_code,
        deliberation=claimed.deliberation,
    )


def attempt_entry(
    claimed: Claimed,
    *,
    client: str,
    cbes: Mapping[int, str],
    outcome: str,
    action: str = DELIVER,
    duration_ms: float = 0.0,
) -> JournalEntry:
    """One delivery attempt (push: when claimed, then its outcome) or hand-out (pull feed),
    with a ticket of its own; its reference, the event id, ties it to the mutation's intake."""
    source = cbes.get(claimed.source_id) if claimed.source_id is not None else None
    return JournalEntry(
        ticket=new_ticket(),
        occurred_at=dt.datetime.now(dt.UTC),
        channel="rest" if action == FEED else "signal",
        action=action,
        client=client,
        end_user_id=None,
        end_user_role=None,
        service=claimed.type,
        niss=claimed.niss,
        quality_code=claimed.quality_code,
        deliberation=claimed.deliberation,
        sources=(source,) if source else (),
        outcome=outcome,
        duration_ms=round(max(duration_ms, 0.0), 3),
        reference=claimed.event_id,
    )
