"""Use cases of the signal function: publishing a mutation, subscribing, reading the pull feed,
and the operators' backlog, dead letters and replay. Every intake and every delivery is
journaled with its ticket, refusals included."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import orjson
from sqlalchemy import Engine

from carrefour.auth.services import Caller, Scope
from carrefour.directory.cache import ReferenceCache
from carrefour.directory.domain import Institution
from carrefour.errors import InvalidInput, NotFound
from carrefour.journal import audit
from carrefour.journal.chain import append as journal_append
from carrefour.journal.recorded import Act, Stamp, Ticketed, journaled
from carrefour.journal.writer import JournalWriter
from carrefour.limits import check_json_object, check_no_nul
from carrefour.signal import admin, outbox, repository
from carrefour.signal.cloudevents import to_cloudevent
from carrefour.signal.delivery import DeliveryPolicy
from carrefour.signal.domain import APPLIED, MutationTypes, Subscription, validate_mutation
from carrefour.signal.egress import EndpointGuard, Resolve, system_resolve
from carrefour.signal.intake import IntakeQueue
from carrefour.signal.journaling import FEED, attempt_entry, event_of
from carrefour.signal.repository import Applier, Intake, Published
from carrefour.signal.webhooks import new_secret

MAX_BATCH = 100


@dataclass(frozen=True, slots=True)
class FeedPage:
    ticket: str
    events: list[dict[str, Any]]
    next_cursor: int


class Signal:
    def __init__(
        self,
        *,
        engine: Engine,
        reference_cache: ReferenceCache,
        journal: JournalWriter,
        types: MutationTypes,
        today: Callable[[], dt.date] = dt.date.today,
        appliers: Mapping[str, Applier] | None = None,
        policy: DeliveryPolicy | None = None,
        resolve: Resolve = system_resolve,  # DNS, for the endpoint check at subscription
    ) -> None:
        self._engine = engine
        self._policy = policy or DeliveryPolicy()
        self._endpoints = EndpointGuard(self._policy.allowed_endpoints, resolve=resolve)
        self._reference = reference_cache
        self._journal = journal
        self.types = types
        self._today = today
        self._listeners: list[Callable[[], None]] = []
        self._appliers = dict(appliers or {})
        self._intake = IntakeQueue(
            engine, reference_cache, today=today, on_commit=self.committed,
            appliers=self._appliers,
        )

    def on_commit(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after each committed intake batch (wakes the delivery workers)."""
        self._listeners.append(listener)

    def committed(self) -> None:
        """Mutations were committed (here or by another use case): wake the listeners."""
        for listener in self._listeners:
            listener()

    async def start(self) -> None:
        await self._intake.start()

    async def stop(self) -> None:
        await self._intake.stop()

    # --- intake ------------------------------------------------------------------------------
    async def publish(self, caller: Caller, body: bytes) -> Published:
        """Accept a mutation from an authentic source (a duplicate source id: accepted once)."""
        source = await self._institution(caller)
        act = Act(
            channel="rest",
            action="publish-mutation",
            client=source.cbe,
            end_user_id=None,
            end_user_role=None,
            service=None,
            niss=None,
        )

        async def work(stamp: Stamp) -> Published:
            caller.require(Scope.PUBLISH)
            raw = _parse_body(body)
            kind = self.types.get(_text(raw, "type"))
            mutation = validate_mutation(
                kind,
                source=source,
                niss=_text(raw, "niss"),
                source_ref=_text(raw, "source_id"),
                effective_on=_text(raw, "effective_date"),
                data=_object(raw, "data"),
            )
            stamp.niss = mutation.niss
            stamp.act = _with_service(stamp.act, kind.type)
            applier = self._appliers.get(kind.type)
            if applier is not None:
                applier.check(mutation)
            return await self._intake.submit(
                Intake(kind=kind, mutation=mutation, source=source, stamp=stamp)
            )

        done = await journaled(self._journal, act, work, work_commits_entry=True)
        return done.value

    # --- subscriptions -----------------------------------------------------------------------
    async def subscribe(
        self, caller: Caller, *, mutation_type: str, endpoint: str | None, batch_max: int
    ) -> Ticketed[Subscription]:
        institution = await self._institution(caller)
        kind = self.types.get(mutation_type)

        async def work(stamp: Stamp) -> Subscription:
            caller.require(Scope.CONSULT)
            if kind.audience == APPLIED:
                raise InvalidInput(
                    f"'{kind.type}' mutations are applied by the hub, not delivered; "
                    "subscribe to their consequences (niss-replaced)."
                )
            await self._check_endpoint(endpoint)
            if not 1 <= batch_max <= MAX_BATCH:
                raise InvalidInput(f"batch_max must be between 1 and {MAX_BATCH}.")
            values = {
                "institution_id": institution.id,
                "mutation_type": kind.type,
                "endpoint": endpoint,
                "secret": new_secret(),
                "batch_max": batch_max,
                "created_at": dt.datetime.now(dt.UTC),
            }
            return await asyncio.to_thread(self._insert_subscription, values, stamp)

        act = self._act(institution, "subscribe", kind.type)
        return await journaled(self._journal, act, work, work_commits_entry=True)

    def _insert_subscription(self, values: Mapping[str, Any], stamp: Stamp) -> Subscription:
        """The subscription and its journal entry (with its state: no secret), together."""
        with self._engine.begin() as connection:
            made = repository.insert_subscription(connection, values)
            cbe = stamp.act.client
            change = audit.Change(audit.Kind.SUBSCRIPTION, str(made.id), None, made.state(cbe))
            audit.commit(connection, stamp, [change])
            return made

    async def subscriptions(self, caller: Caller) -> list[Subscription]:
        caller.require(Scope.CONSULT)
        return await asyncio.to_thread(self._subscriptions_of, caller.institution_id)

    def _subscriptions_of(self, institution_id: int) -> list[Subscription]:
        with self._engine.connect() as connection:
            return repository.subscriptions_of(connection, institution_id)

    async def unsubscribe(self, caller: Caller, subscription_id: int) -> Ticketed[None]:
        institution = await self._institution(caller)

        async def work(stamp: Stamp) -> None:
            caller.require(Scope.CONSULT)
            await asyncio.to_thread(self._end_subscription, institution.id, subscription_id, stamp)

        act = self._act(institution, "unsubscribe", None)
        return await journaled(self._journal, act, work, work_commits_entry=True)

    def _end_subscription(self, institution_id: int, subscription_id: int, stamp: Stamp) -> None:
        with self._engine.begin() as connection:
            own = {s.id: s for s in repository.subscriptions_of(connection, institution_id)}
            if subscription_id not in own:
                raise NotFound(f"The institution has no subscription {subscription_id}.")
            repository.deactivate_subscription(connection, subscription_id)
            ended = repository.subscription_by_id(connection, subscription_id)
            cbe = stamp.act.client
            change = audit.Change(audit.Kind.SUBSCRIPTION, str(subscription_id),
                                  own[subscription_id].state(cbe), ended.state(cbe))
            audit.commit(connection, stamp, [change])

    # --- pull feed ---------------------------------------------------------------------------
    async def feed(self, caller: Caller, *, cursor: int, limit: int) -> FeedPage:
        """The next events of the caller's pull subscriptions after ``cursor`` (which
        acknowledges every event up to it); each event handed out is journaled."""
        caller.require(Scope.CONSULT)
        institution = await self._institution(caller)
        if not 1 <= limit <= 1000:
            raise InvalidInput("limit must be between 1 and 1000.")
        cbes = {i.id: i.cbe for i in (await self._reference.current()).institutions.values()}
        return await asyncio.to_thread(self._read_feed, institution, cursor, limit, cbes)

    def _read_feed(
        self, institution: Institution, cursor: int, limit: int, cbes: Mapping[int, str]
    ) -> FeedPage:
        now = dt.datetime.now(dt.UTC)
        with self._engine.begin() as connection:
            page = outbox.feed_page(
                connection, institution_id=institution.id, cursor=cursor, limit=limit, now=now
            )
            gone = outbox.no_longer_integrated(connection, page, self.types, self._today())
            outbox.cancel(connection, [c.id for c in gone], "not-integrated")
            kept = [c for c in page if c not in gone]
            outbox.count_feed_read(connection, [c.id for c in kept])
            entries = [
                attempt_entry(
                    c, client=institution.cbe, cbes=cbes, outcome="ok", action=FEED
                )
                for c in kept
            ]
            journal_append(connection, entries)
        events = [to_cloudevent(event_of(c, cbes)) for c in kept]
        last = max([cursor, *(c.id for c in page)])
        return FeedPage(entries[0].ticket if entries else "", events, last)

    # --- operators ---------------------------------------------------------------------------
    async def purge(self, caller: Caller) -> Ticketed[int]:
        """Purge every settled payload now (scope ``admin``); how many mutations."""
        institution = await self._institution(caller)

        async def work(_stamp: Stamp) -> int:
            caller.require(Scope.ADMIN)
            return await asyncio.to_thread(
                admin.purge, self._engine, client=institution.cbe, channel="admin",
                retention=dt.timedelta(seconds=self._policy.retention_seconds),
                batch_size=self._policy.purge_batch,
            )

        act = replace(self._act(institution, "purge-payloads", None), channel="admin")
        return await journaled(self._journal, act, work)

    # --- helpers -----------------------------------------------------------------------------
    async def _check_endpoint(self, endpoint: str | None) -> None:
        """A push endpoint must be one the hub may send to (absent: the feed is pulled)."""
        if endpoint is not None:
            await self._endpoints.check(endpoint)

    async def _institution(self, caller: Caller) -> Institution:
        return (await self._reference.current()).institution(caller.institution_id)

    def _act(self, institution: Institution, action: str, service: str | None) -> Act:
        return Act(
            channel="rest",
            action=action,
            client=institution.cbe,
            end_user_id=None,
            end_user_role=None,
            service=service,
            niss=None,
        )


def _with_service(act: Act, service: str) -> Act:
    return replace(act, service=service)


def _parse_body(body: bytes) -> dict[str, Any]:
    try:
        raw = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise InvalidInput("The body is not valid JSON.") from None
    if not isinstance(raw, dict):
        raise InvalidInput("The body must be a JSON object.")
    try:
        check_no_nul(raw)
    except ValueError as error:
        raise InvalidInput(f"The body is not valid: {error}.") from None
    unknown = sorted(set(raw) - {"type", "niss", "source_id", "effective_date", "data"})
    if unknown:
        raise InvalidInput(f"Unknown member(s): {', '.join(unknown)}.")
    return raw


def _text(raw: Mapping[str, Any], name: str) -> str:
    value = raw.get(name)
    if not isinstance(value, str) or not value:
        raise InvalidInput(f"'{name}' is required and must be a text.")
    return value


def _object(raw: Mapping[str, Any], name: str) -> dict[str, Any]:
    value = raw.get(name)
    if not isinstance(value, dict):
        raise InvalidInput(f"'{name}' is required and must be an object.")
    try:
        check_json_object(value)
    except ValueError as error:
        raise InvalidInput(f"'{name}' is too large: {error}.") from None
    return value


