"""Running a use case so that it is journaled with its ticket, refusals included."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from carrefour.db import is_outage
from carrefour.errors import CarrefourError, JournalUnavailable
from carrefour.journal.chain import UNAVAILABLE
from carrefour.journal.entries import JournalEntry, new_ticket
from carrefour.journal.writer import JournalWriter
from carrefour.observability.tracing import current_trace_id

T = TypeVar("T")


@dataclass(frozen=True, slots=True, kw_only=True)
class Act:
    """Who does what about whom: everything the journal says apart from the outcome."""

    channel: str
    action: str
    client: str
    end_user_id: str | None
    end_user_role: str | None
    service: str | None
    niss: str | None
    quality_code: int | None = None


@dataclass(frozen=True, slots=True)
class Ticketed(Generic[T]):
    ticket: str
    value: T


class Stamp:
    """The ticket of one act and the entries it may produce."""

    def __init__(self, act: Act) -> None:
        self.act = act
        self.niss = act.niss  # a use case that creates a number sets it here
        self.sources: tuple[str, ...] = ()  # CBE numbers of the sources the act asked
        self.ticket = new_ticket()
        self.sealed = False  # set once the use case has written the entry in its transaction
        self._started = time.perf_counter()

    def entry(
        self, outcome: str, *, reference: str | None = None, audit_digest: str | None = None
    ) -> JournalEntry:
        act = self.act
        return JournalEntry(
            ticket=self.ticket,
            occurred_at=dt.datetime.now(dt.UTC),
            channel=act.channel,
            action=act.action,
            client=act.client,
            end_user_id=act.end_user_id,
            end_user_role=act.end_user_role,
            service=act.service,
            niss=self.niss,
            quality_code=act.quality_code,
            deliberation=None,
            sources=self.sources,
            outcome=outcome,
            duration_ms=round((time.perf_counter() - self._started) * 1000, 3),
            reference=reference,
            audit_digest=audit_digest,
            trace_id=current_trace_id(),
        )


async def journaled(
    writer: JournalWriter,
    act: Act,
    work: Callable[[Stamp], Awaitable[T]],
    *,
    work_commits_entry: bool = False,
) -> Ticketed[T]:
    """Run ``work``; journal a refusal here, and a success here unless ``work`` commits
    ``stamp.entry("ok")`` itself in the transaction of the change it makes."""
    stamp = Stamp(act)
    try:
        value = await work(stamp)
    except Exception as error:
        answer = await refusal(writer, error, stamp.entry, ticket=stamp.ticket)
        if answer is error:
            raise
        raise answer from error
    if not work_commits_entry:
        try:
            await writer.record(stamp.entry("ok"))
        except JournalUnavailable as unavailable:  # done, but not journaled: not answered
            unavailable.extra["ticket"] = stamp.ticket
            raise
    return Ticketed(stamp.ticket, value)


async def refusal(
    writer: JournalWriter,
    error: Exception,
    entry: Callable[[str], JournalEntry],
    *,
    ticket: str,
) -> Exception:
    """Journal an act that failed with ``error`` (``entry(outcome)``) and return what to
    answer: the act's own refusal, with its ticket; ``journal-unavailable``, with the ticket,
    when the database is down (the act met the outage, or its refusal could not be
    journaled); ``error`` itself for a fault of the hub's own code (a 500, journaled too)."""
    answer: Exception = error
    if not isinstance(error, CarrefourError) and is_outage(error):
        answer = JournalUnavailable(UNAVAILABLE)
    outcome = answer.code if isinstance(answer, CarrefourError) else "internal-error"
    try:
        await writer.record(entry(outcome))
    except JournalUnavailable as unavailable:
        answer = unavailable
    if isinstance(answer, CarrefourError):
        answer.extra["ticket"] = ticket
    return answer
