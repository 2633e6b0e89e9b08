"""Use cases of the BIS register for member institutions, each journaled with its ticket.

A record is changed (corrected, replaced) only by the institution that created it or by the
hub's operators (``admin`` scope). A replacement by a National Register number is made only
once the Register has confirmed that the number exists and is the same person
(:mod:`carrefour.identification.matching`); what follows a replacement (files carried over,
institutions told) commits with it (:mod:`carrefour.identification.succession`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Connection, Engine

from carrefour.auth.services import Actor, Scope
from carrefour.directory.cache import ReferenceCache, ReferenceSnapshot
from carrefour.directory.domain import Institution
from carrefour.identification import register
from carrefour.identification.history import NissReplacement
from carrefour.identification.matching import check_identity
from carrefour.identification.national_register import NationalRegister
from carrefour.identification.niss import Niss, NissKind, parse_niss
from carrefour.identification.ownership import Editor
from carrefour.identification.person import BisPerson
from carrefour.identification.succession import Succession
from carrefour.journal.entries import JournalEntry
from carrefour.journal.recorded import Act, Stamp, Ticketed, journaled
from carrefour.journal.writer import JournalWriter


class BisRegistry:
    def __init__(
        self,
        *,
        engine: Engine,
        reference_cache: ReferenceCache,
        journal: JournalWriter,
        national_register: NationalRegister,
        succession: Succession,
        today: Callable[[], dt.date] = dt.date.today,
        on_commit: Callable[[], None] = lambda: None,
    ) -> None:
        self._engine = engine
        self._reference = reference_cache
        self._journal = journal
        self._register = national_register
        self._succession = succession
        self._today = today
        self._on_commit = on_commit

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
            editor = _editor(actor, client)
            return await asyncio.to_thread(
                register.update_bis_person,
                self._engine,
                niss,
                changes=changes,
                journal=_entry(stamp),
                editor=editor,
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
            editor = _editor(actor, client)
            old, new = parse_niss(niss), parse_niss(new_niss)
            register.new_replacement(old, new, reason=reason)  # refuses bad input at once
            verify = await self._checks(old, new, editor, stamp)
            snapshot = await self._reference.current()
            done = await asyncio.to_thread(
                register.replace_niss,
                self._engine,
                old,
                new,
                reason=reason,
                journal=_entry(stamp, reference=stamp.ticket),
                editor=editor,
                verify=verify,
                then=self._then(snapshot, actor.channel, stamp.ticket),
            )
            self._on_commit()
            return done

        act = self._act(actor, client, "replace-niss", niss)
        return await journaled(self._journal, act, work, work_commits_entry=True)

    async def _checks(
        self, old: Niss, new: Niss, editor: Editor, stamp: Stamp
    ) -> Callable[[BisPerson], None] | None:
        """Refuse early what cannot be done (before anything is locked); for a Register number,
        ask the National Register and give the identity check to run again under the lock."""
        person = await asyncio.to_thread(register.editable_person, self._engine, old, editor)
        if new.kind is not NissKind.REGISTER:
            return None
        source = await self._register.institution()
        stamp.sources = (source.cbe,)
        record = await self._register.record(source, new, ticket=stamp.ticket)

        def verify(locked: BisPerson) -> None:
            check_identity(locked.data, record, niss=new)

        verify(person)
        return verify

    def _then(
        self, snapshot: ReferenceSnapshot, channel: str, reference: str
    ) -> Callable[[Connection, NissReplacement], None]:
        def then(connection: Connection, replacement: NissReplacement) -> None:
            self._succession.follow(
                connection, replacement, snapshot=snapshot, channel=channel,
                reference=reference, today=self._today(),
            )

        return then

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


def _editor(actor: Actor, client: str) -> Editor:
    """The caller as an editor of the register: an operator (admin scope) or a member
    institution (consult scope); others are refused (journaled, as the act's outcome)."""
    if Scope.ADMIN in actor.caller.scopes:
        return Editor(cbe=client, operator=True)
    actor.caller.require(Scope.CONSULT)
    return Editor(cbe=client)


def _entry(stamp: Stamp, *, reference: str | None = None) -> Callable[[Niss], JournalEntry]:
    """The success entry of the act, naming the number the register acted on."""

    def entry(niss: Niss) -> JournalEntry:
        stamp.niss = niss.value
        return stamp.entry("ok", reference=reference)

    return entry
