"""What the journal records about one exchange, and the tickets that identify exchanges.

An entry says who asked (client institution, end user), for what (service, quality code,
deliberation), about whom (NISS), whom the hub asked (sources), how it ended (outcome) and how
long it took, and what it is about when that has its own identifier (reference: the event id of
a mutation, which its intake and every delivery of it share; the key of an object an operator
changed). It never holds the data returned. An administrative change also carries the digest of
its before/after states (``audit_digest``, see :mod:`carrefour.journal.audit`).
"""

from __future__ import annotations

import math
import os
import random
import secrets
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

CHANNELS = frozenset({"rest", "soap", "cli", "admin", "signal", "console"})

_ticket_lock = threading.Lock()
_last_ms = 0
_counter = 0
_COUNTER_MAX = 0xFFF
# Tickets must be unique, not secret: a generator seeded from the OS once avoids a system call
# per ticket. It is reseeded in a child process (os.register_at_fork) so workers differ.
_random = random.Random(secrets.randbits(128))


def new_ticket() -> str:
    """A UUIDv7-shaped ticket: unique, and ordered by creation time within a process.

    48 bits of Unix milliseconds, a 12-bit counter that keeps tickets created in the same
    millisecond in order, and 62 random bits that keep tickets of different processes apart.
    """
    milliseconds, counter = _next_clock()
    value = (
        milliseconds << 80 | 0x7 << 76 | counter << 64 | 0b10 << 62 | _random.getrandbits(62)
    )
    return str(uuid.UUID(int=value))


def _next_clock() -> tuple[int, int]:
    global _last_ms, _counter
    with _ticket_lock:
        now = time.time_ns() // 1_000_000
        if now > _last_ms:
            _last_ms, _counter = now, _random.getrandbits(10)  # random start, room to count up
        elif _counter < _COUNTER_MAX:
            _counter += 1
        else:  # more than ~3,000 tickets in one millisecond, or the clock went back
            _last_ms, _counter = _last_ms + 1, 0
        return _last_ms, _counter


@dataclass(frozen=True, slots=True, kw_only=True)
class JournalEntry:
    """One journaled exchange. ``occurred_at`` must be timezone-aware (it is kept in UTC)."""

    ticket: str
    occurred_at: datetime
    channel: str
    action: str
    client: str
    end_user_id: str | None
    end_user_role: str | None
    service: str | None
    niss: str | None
    quality_code: int | None
    deliberation: str | None
    sources: tuple[str, ...] = ()
    outcome: str
    duration_ms: float
    reference: str | None = None
    audit_digest: str | None = None
    trace_id: str | None = None  # the OpenTelemetry trace the exchange was part of

    def __post_init__(self) -> None:
        if self.occurred_at.utcoffset() is None:
            raise ValueError("JournalEntry.occurred_at must be timezone-aware")
        if self.channel not in CHANNELS:
            raise ValueError(f"unknown journal channel {self.channel!r}")
        if not math.isfinite(self.duration_ms) or self.duration_ms < 0:
            raise ValueError(f"invalid duration {self.duration_ms!r}")
        if not self.ticket:
            raise ValueError("a journal entry needs a ticket")
        if isinstance(self.sources, str):
            raise ValueError("sources is a tuple of CBE numbers, not one string")
        # Normalise to exactly what the database hands back, so that what is hashed on the
        # way in is what is read back when the chain is verified.
        object.__setattr__(self, "occurred_at", self.occurred_at.astimezone(UTC))
        object.__setattr__(self, "sources", tuple(str(s) for s in self.sources))
        object.__setattr__(self, "duration_ms", float(self.duration_ms))
        if self.quality_code is not None:
            object.__setattr__(self, "quality_code", int(self.quality_code))


def _reseed_after_fork() -> None:
    _random.seed(secrets.randbits(128))


os.register_at_fork(after_in_child=_reseed_after_fork)
