"""Mutations as CloudEvents 1.0 (structured JSON mode, and the batched mode for subscriptions
that take several events per request).

Extension attributes: ``ticket`` (the journal ticket of the intake), ``effectivedate``,
``qualitycode`` and ``deliberation`` (why this subscriber may see these fields).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import orjson

SPEC_VERSION = "1.0"
TYPE_PREFIX = "be.carrefour.mutation."
SINGLE = "application/cloudevents+json"
BATCH = "application/cloudevents-batch+json"


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """What one delivery carries: the mutation, filtered for one subscriber."""

    event_id: str
    ticket: str
    type: str
    niss: str
    source_cbe: str | None
    effective_on: dt.date
    received_at: dt.datetime
    data: dict[str, Any]
    quality_code: int | None
    deliberation: str | None


def to_cloudevent(event: Event) -> dict[str, Any]:
    document: dict[str, Any] = {
        "specversion": SPEC_VERSION,
        "id": event.event_id,
        "source": f"/carrefour/institutions/{event.source_cbe or 'hub'}",
        "type": TYPE_PREFIX + event.type,
        "subject": event.niss,
        "time": event.received_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        "datacontenttype": "application/json",
        "ticket": event.ticket,
        "effectivedate": event.effective_on.isoformat(),
        "data": {
            "niss": event.niss,
            "effective_on": event.effective_on.isoformat(),
            "changes": event.data,
        },
    }
    if event.quality_code is not None:
        document["qualitycode"] = event.quality_code
    if event.deliberation is not None:
        document["deliberation"] = event.deliberation
    return document


def encode(events: list[Event], *, batch: bool) -> tuple[bytes, str]:
    """The request body and its content type."""
    if batch:
        return orjson.dumps([to_cloudevent(e) for e in events]), BATCH
    (single,) = events
    return orjson.dumps(to_cloudevent(single)), SINGLE
