"""Storing mutations with their outbox rows and journal entries, and the subscriptions
(SQLAlchemy Core, portable between SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol, runtime_checkable

from sqlalchemy import Connection, RowMapping, insert, select, update

from carrefour.db import pairs_in
from carrefour.directory.cache import ReferenceSnapshot
from carrefour.directory.domain import Institution, Integration
from carrefour.directory.repository import to_integration
from carrefour.directory.tables import integrations
from carrefour.identification.repository import successors
from carrefour.journal.chain import append as journal_append
from carrefour.journal.entries import JournalEntry, new_ticket
from carrefour.journal.recorded import Stamp
from carrefour.signal.domain import (
    APPLIED,
    Mutation,
    MutationType,
    Recipient,
    Subscription,
    recipients,
)
from carrefour.signal.tables import deliveries, mutations, subscriptions

PENDING, FEED, DELIVERED, DEAD, CANCELLED = "pending", "feed", "delivered", "dead", "cancelled"


@dataclass(frozen=True, slots=True, kw_only=True)
class Intake:
    """One mutation waiting to be stored, and the stamp of its journal entry."""

    kind: MutationType
    mutation: Mutation
    source: Institution | None  # None: the hub itself
    stamp: Stamp
    recipients: tuple[Recipient, ...] | None = None  # given: no fan-out (audience "holder")


@dataclass(frozen=True, slots=True)
class Published:
    event_id: str
    ticket: str
    deliveries: int
    duplicate: bool


class Applier(Protocol):
    """A mutation type the hub applies itself: audience ``hub`` (the National Register's
    replacement of a BIS number), or a type it also delivers (the status buffer's)."""

    def check(self, mutation: Mutation) -> None:
        """Refuse a mutation that can never be applied, before it is queued (no I/O)."""

    def apply(
        self,
        connection: Connection,
        intake: Intake,
        *,
        event_id: str,
        snapshot: ReferenceSnapshot,
        today: dt.date,
        now: dt.datetime,
    ) -> None:
        """Apply the mutation in the intake's transaction; a :class:`CarrefourError` refuses
        it (nothing of it is stored)."""


@runtime_checkable
class Finisher(Protocol):
    """An applier that completes its work once per batch, after every intake of the batch was
    applied (the status buffer evaluates the derived rights of all the changes at once)."""

    def finish(self, connection: Connection, *, snapshot: ReferenceSnapshot, today: dt.date,
               now: dt.datetime) -> None: ...


@dataclass(slots=True)
class _Planned:
    intake: Intake
    event_id: str
    ticket: str
    duplicate: bool


def store_intakes(
    connection: Connection,
    intakes: Sequence[Intake],
    *,
    snapshot: ReferenceSnapshot,
    today: dt.date,
    now: dt.datetime,
    appliers: Mapping[str, Applier] | None = None,
) -> list[Published]:
    """Store every mutation that is not a duplicate, its outbox rows and every intake's journal
    entry, in the caller's transaction.

    Mutations the hub applies itself are applied first (those it also delivers, once moved
    to the number that replaced a BIS number); a mutation about a replaced BIS number
    is then stored under the number that replaced it, and goes to that number's files."""
    planned = _plan(intakes, _already_stored(connection, intakes))
    fresh = [p for p in planned if not p.duplicate]
    applied = [p for p in fresh if p.intake.kind.audience == APPLIED]
    delivered = [p for p in fresh if p.intake.kind.audience != APPLIED]
    _apply(connection, applied, appliers or {}, snapshot=snapshot, today=today, now=now)
    _follow(connection, delivered)
    _apply(connection, delivered, appliers or {}, snapshot=snapshot, today=today, now=now)
    _finish(connection, fresh, appliers or {}, snapshot=snapshot, today=today, now=now)
    subs = _subscriptions_for(connection, {p.intake.kind.type for p in fresh})
    files = _integrations_for(
        connection, [p.intake for p in fresh], {s.institution_id for s in subs}
    )
    stored = [
        (p.intake, p.event_id, _recipients_of(p.intake, subs, files, snapshot, today))
        for p in fresh
    ]
    _insert_all(connection, stored, now)
    journal_append(connection, [_entry(p) for p in planned])
    counts = {event_id: len(found) for _, event_id, found in stored}
    return [
        Published(p.event_id, p.ticket, 0 if p.duplicate else counts[p.event_id], p.duplicate)
        for p in planned
    ]


def _plan(
    intakes: Sequence[Intake], known: dict[tuple[int | None, str], tuple[str, str]]
) -> list[_Planned]:
    """Each intake with its event id; a source id already stored (or earlier in the batch) is
    a duplicate, answered with the first one's event id and ticket."""
    planned = []
    for intake in intakes:
        key = _key(intake)
        if key in known:
            event_id, ticket = known[key]
            planned.append(_Planned(intake, event_id, ticket, duplicate=True))
            continue
        event_id = new_ticket()
        known[key] = (event_id, intake.stamp.ticket)
        planned.append(_Planned(intake, event_id, intake.stamp.ticket, duplicate=False))
    return planned


def _apply(
    connection: Connection,
    fresh: Sequence[_Planned],
    appliers: Mapping[str, Applier],
    *,
    snapshot: ReferenceSnapshot,
    today: dt.date,
    now: dt.datetime,
) -> None:
    """Apply the mutations the hub applies: every one of audience ``hub``, and those of the
    types delivered to subscribers that the hub also applies (the status buffer's)."""
    for p in fresh:
        applier = appliers.get(p.intake.kind.type)
        if applier is None:
            if p.intake.kind.audience != APPLIED:
                continue
            raise RuntimeError(f"the hub has no way to apply '{p.intake.kind.type}' mutations")
        applier.apply(
            connection, p.intake, event_id=p.event_id, snapshot=snapshot, today=today, now=now
        )


def _finish(
    connection: Connection,
    fresh: Sequence[_Planned],
    appliers: Mapping[str, Applier],
    *,
    snapshot: ReferenceSnapshot,
    today: dt.date,
    now: dt.datetime,
) -> None:
    finished: set[int] = set()
    for p in fresh:
        applier = appliers.get(p.intake.kind.type)
        if isinstance(applier, Finisher) and id(applier) not in finished:
            finished.add(id(applier))
            applier.finish(connection, snapshot=snapshot, today=today, now=now)


def _follow(connection: Connection, planned: Sequence[_Planned]) -> None:
    """Move the mutations about replaced BIS numbers to the numbers that replaced them."""
    moved = successors(connection, {p.intake.mutation.niss for p in planned})
    for p in planned:
        current = moved.get(p.intake.mutation.niss)
        if current is not None:
            p.intake = replace(p.intake, mutation=replace(p.intake.mutation, niss=current))
            p.intake.stamp.niss = current


def _recipients_of(
    intake: Intake,
    subs: Sequence[Subscription],
    files: Mapping[str, Sequence[Integration]],
    snapshot: ReferenceSnapshot,
    today: dt.date,
) -> tuple[Recipient, ...]:
    if intake.recipients is not None:
        return intake.recipients
    return tuple(recipients(
        intake.kind, intake.mutation, subscriptions=subs,
        integrations=files.get(intake.mutation.niss, ()),
        institutions=snapshot.institutions,
        deliberations=snapshot.deliberations_by_service.get(intake.kind.service or "", []),
        today=today,
    ))


def _entry(planned: _Planned) -> JournalEntry:
    outcome = "duplicate" if planned.duplicate else "ok"
    return planned.intake.stamp.entry(outcome, reference=planned.event_id)


def _key(intake: Intake) -> tuple[int | None, str]:
    return (intake.source.id if intake.source else None, intake.mutation.source_ref)


def _already_stored(
    connection: Connection, intakes: Sequence[Intake]
) -> dict[tuple[int | None, str], tuple[str, str]]:
    keys = [_key(i) for i in intakes if i.source is not None]
    if not keys:
        return {}
    columns = (mutations.c.source_id, mutations.c.source_ref, mutations.c.event_id,
               mutations.c.ticket)
    return {(r.source_id, r.source_ref): (r.event_id, r.ticket)
            for condition in pairs_in(mutations.c.source_id, mutations.c.source_ref, keys)
            for r in connection.execute(select(*columns).where(condition))}


def _subscriptions_for(connection: Connection, types: Iterable[str]) -> list[Subscription]:
    query = select(subscriptions).where(
        subscriptions.c.mutation_type.in_(sorted(types)), subscriptions.c.active.is_(True)
    )
    return [to_subscription(row) for row in connection.execute(query).mappings()]


def _integrations_for(
    connection: Connection, intakes: Sequence[Intake], institution_ids: set[int]
) -> dict[str, list[Integration]]:
    if not institution_ids:
        return {}
    query = select(integrations).where(
        integrations.c.niss.in_(sorted({i.mutation.niss for i in intakes})),
        integrations.c.institution_id.in_(sorted(institution_ids)),
    )
    found: dict[str, list[Integration]] = {}
    for row in connection.execute(query).mappings():
        integration = to_integration(row)
        found.setdefault(integration.niss, []).append(integration)
    return found


def _insert_all(
    connection: Connection,
    fresh: Sequence[tuple[Intake, str, tuple[Recipient, ...]]],
    now: dt.datetime,
) -> None:
    """The new mutations (one statement) and their outbox rows (one statement)."""
    if not fresh:
        return
    rows = [_mutation_row(intake, event_id, now, kept=bool(found))
            for intake, event_id, found in fresh]
    inserted = connection.execute(
        insert(mutations).returning(mutations.c.id, sort_by_parameter_order=True), rows
    )
    ids = list(inserted.scalars())
    outbox_rows = [
        _delivery_row(mutation_id, intake.mutation.niss, recipient, now)
        for mutation_id, (intake, _, found) in zip(ids, fresh, strict=True)
        for recipient in found
    ]
    if outbox_rows:
        connection.execute(insert(deliveries), outbox_rows)


def _mutation_row(
    intake: Intake, event_id: str, now: dt.datetime, *, kept: bool
) -> dict[str, Any]:
    """The mutation's row; without recipients (``kept`` false) its payload is not stored at
    all: the references alone answer a duplicate."""
    mutation = intake.mutation
    return {
        "event_id": event_id, "ticket": intake.stamp.ticket, "type": mutation.type,
        "niss": mutation.niss, "source_id": intake.source.id if intake.source else None,
        "source_ref": mutation.source_ref, "effective_on": mutation.effective_on,
        "data": dict(mutation.data) if kept else None, "received_at": now,
        "purged_at": None if kept else now,
    }


def _delivery_row(
    mutation_id: int, niss: str, recipient: Recipient, now: dt.datetime
) -> dict[str, Any]:
    subscription = recipient.subscription
    return {
        "mutation_id": mutation_id, "subscription_id": subscription.id,
        "order_key": f"{subscription.institution_id}:{niss}", "mode": subscription.mode,
        "state": PENDING if subscription.mode == "push" else FEED,
        "data": recipient.data, "quality_code": recipient.quality_code,
        "deliberation": recipient.deliberation, "attempts": 0, "created_at": now,
        "queued_at": now, "next_attempt_at": now,
    }


# --- subscriptions ---------------------------------------------------------------------------
def to_subscription(row: RowMapping) -> Subscription:
    return Subscription(
        id=row["id"],
        institution_id=row["institution_id"],
        mutation_type=row["mutation_type"],
        endpoint=row["endpoint"],
        secret=row["secret"],
        batch_max=row["batch_max"],
        active=bool(row["active"]),
    )


def insert_subscription(connection: Connection, values: Mapping[str, Any]) -> Subscription:
    inserted = connection.execute(insert(subscriptions).values(**values, active=True))
    key = inserted.inserted_primary_key
    assert key is not None
    return subscription_by_id(connection, int(key[0]))


def subscription_by_id(connection: Connection, subscription_id: int) -> Subscription:
    row = (
        connection.execute(select(subscriptions).where(subscriptions.c.id == subscription_id))
        .mappings()
        .one()
    )
    return to_subscription(row)


def subscriptions_of(connection: Connection, institution_id: int) -> list[Subscription]:
    query = (
        select(subscriptions)
        .where(subscriptions.c.institution_id == institution_id, subscriptions.c.active.is_(True))
        .order_by(subscriptions.c.id)
    )
    return [to_subscription(row) for row in connection.execute(query).mappings()]


def deactivate_subscription(connection: Connection, subscription_id: int) -> None:
    """Stop deliveries: the subscription ends and its undelivered rows are cancelled."""
    connection.execute(
        update(subscriptions).where(subscriptions.c.id == subscription_id).values(active=False)
    )
    connection.execute(
        update(deliveries)
        .where(
            deliveries.c.subscription_id == subscription_id, deliveries.c.state.in_([PENDING, FEED])
        )
        .values(state=CANCELLED, last_error="subscription ended", lease_until=None)
    )
