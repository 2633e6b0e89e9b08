"""Managing access: integrating a person in an institution's file (register, unregister),
each journaled with its ticket — refusals included. Listing a person's files is a
consultation (``person-integrations``, checked by the exchange like any other)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from functools import partial
from typing import Protocol

from sqlalchemy import Connection, Engine

from carrefour.auth.services import Actor
from carrefour.directory import services as directory
from carrefour.directory.cache import ReferenceCache, ReferenceSnapshot
from carrefour.directory.domain import Institution, Integration
from carrefour.identification.niss import parse_niss
from carrefour.journal.recorded import Act, Stamp, Ticketed, journaled
from carrefour.journal.writer import JournalWriter


class OnIntegrated(Protocol):
    """What follows a new file in its transaction (the derived rights the customer already
    holds, told to the institution that integrated it); how many mutations were stored."""

    def __call__(
        self,
        connection: Connection,
        *,
        institution: Institution,
        integration: Integration,
        snapshot: ReferenceSnapshot,
        today: dt.date,
        now: dt.datetime,
    ) -> int: ...


class AccessManager:
    def __init__(
        self,
        *,
        engine: Engine,
        reference_cache: ReferenceCache,
        journal: JournalWriter,
        today: Callable[[], dt.date] = dt.date.today,
        on_integrated: OnIntegrated | None = None,
        on_commit: Callable[[], None] = lambda: None,
    ) -> None:
        self._engine = engine
        self._reference = reference_cache
        self._journal = journal
        self._today = today
        self._on_integrated = on_integrated
        self._on_commit = on_commit  # mutations were stored: wake the delivery workers

    async def register(
        self,
        actor: Actor,
        *,
        niss: str,
        quality_code: int,
        starts_on: dt.date | None = None,
        ends_on: dt.date | None = None,
    ) -> Ticketed[directory.Registered]:
        snapshot = await self._reference.current()
        institution = snapshot.institution(actor.caller.institution_id)
        told: list[int] = []

        async def work(stamp: Stamp) -> directory.Registered:
            actor.check_role(institution.sector)
            done = await asyncio.to_thread(
                directory.register_integration,
                self._engine,
                institution=institution,
                niss=parse_niss(niss),
                quality_code=quality_code,
                starts_on=starts_on or self._today(),
                ends_on=ends_on,
                journal=stamp.entry("ok"),
                then=partial(self._follow, institution, snapshot, told),
            )
            if any(told):
                self._on_commit()
            return done

        act = self._act(actor, institution.cbe, "integrate", niss, quality_code)
        return await journaled(self._journal, act, work, work_commits_entry=True)

    def _follow(
        self,
        institution: Institution,
        snapshot: ReferenceSnapshot,
        told: list[int],
        connection: Connection,
        integration: Integration,
    ) -> None:
        if self._on_integrated is not None:
            told.append(
                self._on_integrated(
                    connection,
                    institution=institution,
                    integration=integration,
                    snapshot=snapshot,
                    today=self._today(),
                    now=dt.datetime.now(dt.UTC),
                )
            )

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
