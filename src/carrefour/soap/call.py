"""One SOAP request as the hub sees it: who acts, and the hub's use cases it runs, each
journaled on the ``soap`` channel with its ticket."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from carrefour.auth.services import Actor
from carrefour.bootstrap import Hub
from carrefour.directory import services as directory
from carrefour.directory.domain import Institution
from carrefour.errors import CarrefourError
from carrefour.exchange.services import Consultation, ConsultationResult, EndUser
from carrefour.journal.recorded import Ticketed

CHANNEL = "soap"
DEFAULT_CAPACITY = 1
"""The quality code of a request made outside any file of the institution on the person
(CPAS: 001, file under investigation); the CBSS formats carry no quality code."""

T = TypeVar("T")


@dataclass
class SoapCall:
    hub: Hub
    actor: Actor
    institution: Institution
    tickets: list[str] = field(default_factory=list)

    async def consult(
        self, service: str, niss: str | None, *, capacity: int | None = None, **parameters: Any
    ) -> ConsultationResult:
        consultation = Consultation(
            service=service,
            niss=niss,
            capacity=capacity if capacity is not None else await self.capacity(niss),
            end_user=EndUser(
                self.actor.end_user_id, self.actor.end_user_role, self.actor.listed_role
            ),
            parameters=parameters,
        )
        result = await self._ticketed(
            self.hub.exchange.consult(self.actor.caller, consultation, channel=CHANNEL)
        )
        self.tickets.append(result.ticket)
        return result

    async def act(self, work: Callable[[Actor], Awaitable[Ticketed[T]]]) -> T:
        """Run one of the hub's journaled acts (integrations) and keep its ticket."""
        done = await self._ticketed(work(self.actor))
        self.tickets.append(done.ticket)
        return done.value

    async def capacity(self, niss: str | None) -> int:
        """The quality code of the institution's own active file on the person (the lowest when
        it has several), else :data:`DEFAULT_CAPACITY`. The hub checks it like any other. A
        replaced BIS number's files are those of the number that replaced it."""
        if not niss:
            return DEFAULT_CAPACITY
        current = await self.hub.exchange.current_number(niss)
        rows = await asyncio.to_thread(directory.integrations_of, self.hub.engine, current)
        today = dt.date.today()
        own = [
            i.quality_code
            for i in rows
            if i.institution_id == self.institution.id and i.active_on(today)
        ]
        return min(own, default=DEFAULT_CAPACITY)

    async def _ticketed(self, pending: Awaitable[T]) -> T:
        try:
            return await pending
        except CarrefourError as error:
            if "ticket" in error.extra:
                self.tickets.append(str(error.extra["ticket"]))
            raise
