"""Managing access: integrating a person in an institution's file (register, unregister,
list), each journaled with its ticket — refusals included."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import Engine

from carrefour.auth.services import Caller
from carrefour.directory import services as directory
from carrefour.directory.cache import ReferenceCache
from carrefour.directory.domain import Institution
from carrefour.errors import CarrefourError
from carrefour.identification.niss import parse_niss
from carrefour.journal.entries import JournalEntry, new_ticket
from carrefour.journal.writer import JournalWriter

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: the institution's caller and the end user behind it."""

    caller: Caller
    end_user_id: str
    end_user_role: str
    channel: str = "rest"


@dataclass(frozen=True, slots=True)
class Ticketed(Generic[T]):
    ticket: str
    value: T


class AccessManager:
    def __init__(
        self,
        *,
        engine: Engine,
        reference_cache: ReferenceCache,
        journal: JournalWriter,
        today: Callable[[], dt.date] = dt.date.today,
    ) -> None:
        self._engine = engine
        self._reference = reference_cache
        self._journal = journal
        self._today = today

    async def register(
        self,
        actor: Actor,
        *,
        niss: str,
        quality_code: int,
        starts_on: dt.date | None = None,
        ends_on: dt.date | None = None,
    ) -> Ticketed[directory.Registered]:
        async def work(institution: Institution, entry: JournalEntry) -> directory.Registered:
            return await asyncio.to_thread(
                directory.register_integration,
                self._engine,
                institution=institution,
                niss=parse_niss(niss),
                quality_code=quality_code,
                starts_on=starts_on or self._today(),
                ends_on=ends_on,
                journal=entry,
            )

        return await self._journaled(actor, "integrate", niss, quality_code, work)

    async def unregister(
        self, actor: Actor, *, niss: str, quality_code: int
    ) -> Ticketed[int]:
        async def work(institution: Institution, entry: JournalEntry) -> int:
            return await asyncio.to_thread(
                directory.unregister_integration,
                self._engine,
                institution=institution,
                niss=parse_niss(niss),
                quality_code=quality_code,
                journal=entry,
            )

        return await self._journaled(actor, "unregister", niss, quality_code, work)

    async def list(
        self, actor: Actor, *, niss: str
    ) -> Ticketed[list[directory.ListedIntegration]]:
        async def work(
            institution: Institution, entry: JournalEntry
        ) -> list[directory.ListedIntegration]:
            return await asyncio.to_thread(
                directory.list_integrations,
                self._engine,
                niss=parse_niss(niss),
                viewer=institution,
                today=self._today(),
                journal=entry,
            )

        return await self._journaled(actor, "list-integrations", niss, None, work)

    async def _journaled(
        self,
        actor: Actor,
        action: str,
        niss: str,
        quality_code: int | None,
        work: Callable[[Institution, JournalEntry], Awaitable[T]],
    ) -> Ticketed[T]:
        """Run ``work`` with the journal entry it must commit; journal a refusal here."""
        ticket, started = new_ticket(), time.perf_counter()
        snapshot = await self._reference.current()
        institution = snapshot.institution(actor.caller.institution_id)

        def entry(outcome: str) -> JournalEntry:
            return JournalEntry(
                ticket=ticket,
                occurred_at=dt.datetime.now(dt.UTC),
                channel=actor.channel,
                action=action,
                client=institution.cbe,
                end_user_id=actor.end_user_id,
                end_user_role=actor.end_user_role,
                service="manage-access",
                niss=niss if len(niss) <= 11 else niss[:11],
                quality_code=quality_code,
                deliberation=None,
                outcome=outcome,
                duration_ms=round((time.perf_counter() - started) * 1000, 3),
            )

        try:
            value = await work(institution, entry("ok"))
        except CarrefourError as error:
            await self._journal.record(entry(error.code))
            error.extra["ticket"] = ticket
            raise
        return Ticketed(ticket, value)
