"""Managing access: integrating a person in an institution's file (register, unregister),
each journaled with its ticket — refusals included. Listing a person's files is a
consultation (``person-integrations``, checked by the exchange like any other)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable

from sqlalchemy import Engine

from carrefour.auth.services import Actor
from carrefour.directory import services as directory
from carrefour.directory.cache import ReferenceCache
from carrefour.directory.domain import Institution
from carrefour.identification.niss import parse_niss
from carrefour.journal.recorded import Act, Stamp, Ticketed, journaled
from carrefour.journal.writer import JournalWriter


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
        institution = await self._institution(actor)

        async def work(stamp: Stamp) -> directory.Registered:
            actor.check_role(institution.sector)
            return await asyncio.to_thread(
                directory.register_integration,
                self._engine,
                institution=institution,
                niss=parse_niss(niss),
                quality_code=quality_code,
                starts_on=starts_on or self._today(),
                ends_on=ends_on,
                journal=stamp.entry("ok"),
            )

        act = self._act(actor, institution.cbe, "integrate", niss, quality_code)
        return await journaled(self._journal, act, work, work_commits_entry=True)

    async def unregister(self, actor: Actor, *, niss: str, quality_code: int) -> Ticketed[int]:
        institution = await self._institution(actor)

        async def work(stamp: Stamp) -> int:
            actor.check_role(institution.sector)
            return await asyncio.to_thread(
                directory.unregister_integration,
                self._engine,
                institution=institution,
                niss=parse_niss(niss),
                quality_code=quality_code,
                journal=stamp.entry("ok"),
            )

        act = self._act(actor, institution.cbe, "unregister", niss, quality_code)
        return await journaled(self._journal, act, work, work_commits_entry=True)

    async def _institution(self, actor: Actor) -> Institution:
        return (await self._reference.current()).institution(actor.caller.institution_id)

    @staticmethod
    def _act(actor: Actor, client: str, action: str, niss: str, quality_code: int | None) -> Act:
        return Act(
            channel=actor.channel,
            action=action,
            client=client,
            end_user_id=actor.end_user_id,
            end_user_role=actor.end_user_role,
            service="manage-access",
            niss=niss[:20],
            quality_code=quality_code,
        )
