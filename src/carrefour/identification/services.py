"""Use cases of the BIS register for member institutions, each journaled with its ticket."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Engine

from carrefour.auth.services import Actor
from carrefour.directory.cache import ReferenceCache
from carrefour.directory.domain import Institution
from carrefour.identification import register
from carrefour.identification.history import NissReplacement
from carrefour.identification.niss import Niss
from carrefour.identification.person import BisPerson
from carrefour.journal.entries import JournalEntry
from carrefour.journal.recorded import Act, Stamp, Ticketed, journaled
from carrefour.journal.writer import JournalWriter


class BisRegistry:
    def __init__(
        self, *, engine: Engine, reference_cache: ReferenceCache, journal: JournalWriter
    ) -> None:
        self._engine = engine
        self._reference = reference_cache
        self._journal = journal

    async def create(self, actor: Actor, data: Mapping[str, Any]) -> Ticketed[BisPerson]:
        institution = await self._institution(actor)
        client = institution.cbe

        async def work(stamp: Stamp) -> BisPerson:
            actor.check_role(institution.sector)
            created = await asyncio.to_thread(
                register.create_bis_person,
                self._engine,
                data=data,
                created_by=client,
                journal=_entry(stamp),
            )
            return await asyncio.to_thread(register.get_bis_person, self._engine, created)

        act = self._act(actor, client, "create-bis", None)
        return await journaled(self._journal, act, work, work_commits_entry=True)

    async def update(
        self, actor: Actor, niss: str, changes: Mapping[str, Any]
    ) -> Ticketed[BisPerson]:
        institution = await self._institution(actor)
        client = institution.cbe

        async def work(stamp: Stamp) -> BisPerson:
            actor.check_role(institution.sector)
            return await asyncio.to_thread(
                register.update_bis_person,
                self._engine,
                niss,
                changes=changes,
                journal=_entry(stamp),
            )

        act = self._act(actor, client, "update-bis", niss)
        return await journaled(self._journal, act, work, work_commits_entry=True)

    async def replace(
        self, actor: Actor, niss: str, new_niss: str, reason: str
    ) -> Ticketed[NissReplacement]:
        institution = await self._institution(actor)
        client = institution.cbe

        async def work(stamp: Stamp) -> NissReplacement:
            actor.check_role(institution.sector)
            return await asyncio.to_thread(
                register.replace_niss,
                self._engine,
                niss,
                new_niss,
                reason=reason,
                journal=_entry(stamp),
            )

        act = self._act(actor, client, "replace-niss", niss)
        return await journaled(self._journal, act, work, work_commits_entry=True)

    async def _institution(self, actor: Actor) -> Institution:
        return (await self._reference.current()).institution(actor.caller.institution_id)

    @staticmethod
    def _act(actor: Actor, client: str, action: str, niss: str | None) -> Act:
        return Act(
            channel=actor.channel,
            action=action,
            client=client,
            end_user_id=actor.end_user_id,
            end_user_role=actor.end_user_role,
            service="bis-register",
            niss=niss[:20] if niss else None,
        )


def _entry(stamp: Stamp) -> Callable[[Niss], JournalEntry]:
    """The success entry of the act, naming the number the register acted on."""

    def entry(niss: Niss) -> JournalEntry:
        stamp.niss = niss.value
        return stamp.entry("ok")

    return entry
