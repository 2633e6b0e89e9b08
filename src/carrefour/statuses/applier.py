"""Feeding the buffer from the sources' mutations, in the transaction of their intake.

``social-status`` mutations (RIS, ERIS, BIM, ...) and the National Register's
``family-composition-change`` are applied to the buffer AND delivered to the subscribers their
deliberations allow. The persons whose statuses or household changed are gathered over the
intake batch; once every intake of the batch is applied, ``on_change`` is told about them all
at once (the derived rights follow from there, in the same transaction)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from sqlalchemy import Connection

from carrefour.directory.cache import ReferenceSnapshot
from carrefour.signal.domain import Mutation
from carrefour.signal.repository import Intake
from carrefour.statuses import repository
from carrefour.statuses.domain import StatusVersion, memberships, status_version

OnChange = Callable[[Connection, Sequence[str], ReferenceSnapshot, dt.date, dt.datetime], None]


def _nothing(*_args: object) -> None:
    return None


class Changes:
    """The status versions and the persons changed in each open transaction, until the
    batch is finished: then the versions are stored at once, and ``on_change`` told."""

    def __init__(self, on_change: OnChange = _nothing) -> None:
        self._on_change = on_change
        self._pending: dict[int, set[str]] = {}
        self._versions: dict[int, list[tuple[str, StatusVersion]]] = {}

    def add(self, connection: Connection, nisses: Sequence[str]) -> None:
        self._pending.setdefault(id(connection), set()).update(nisses)

    def add_version(self, connection: Connection, source: str, version: StatusVersion) -> None:
        self._versions.setdefault(id(connection), []).append((source, version))

    def finish(self, connection: Connection, *, snapshot: ReferenceSnapshot, today: dt.date,
               now: dt.datetime) -> None:
        versions = self._versions.pop(id(connection), [])
        kept = repository.apply_versions(connection, versions)
        changed = self._pending.pop(id(connection), set()) | {v.niss for v in kept}
        if changed:
            self._on_change(connection, sorted(changed), snapshot, today, now)


class SocialStatusApplier:
    """Applies ``social-status`` mutations: one version of one of the source's status records
    (its ``event_id``); an older version than the one stored changes nothing."""

    def __init__(self, changes: Changes) -> None:
        self._changes = changes

    def check(self, mutation: Mutation) -> None:
        _version(mutation)

    def apply(self, connection: Connection, intake: Intake, *, event_id: str,
              snapshot: ReferenceSnapshot, today: dt.date, now: dt.datetime) -> None:
        version = _version(intake.mutation)
        source = intake.source.cbe if intake.source else "hub"
        self._changes.add_version(connection, source, version)

    def finish(self, connection: Connection, *, snapshot: ReferenceSnapshot, today: dt.date,
               now: dt.datetime) -> None:
        self._changes.finish(connection, snapshot=snapshot, today=today, now=now)


def _version(mutation: Mutation) -> StatusVersion:
    return status_version(niss=mutation.niss, data=mutation.data,
                          effective_on=mutation.effective_on, source_ref=mutation.source_ref)


class HouseholdApplier:
    """Applies the National Register's ``family-composition-change``: every member listed
    belongs to the household from the effective date on."""

    def __init__(self, changes: Changes) -> None:
        self._changes = changes

    def check(self, mutation: Mutation) -> None:
        memberships(mutation.data, effective_on=mutation.effective_on)

    def apply(self, connection: Connection, intake: Intake, *, event_id: str,
              snapshot: ReferenceSnapshot, today: dt.date, now: dt.datetime) -> None:
        found = memberships(intake.mutation.data, effective_on=intake.mutation.effective_on)
        source = intake.source.cbe if intake.source else "hub"
        repository.set_memberships(connection, source, found)
        self._changes.add(connection, [m.niss for m in found])

    def finish(self, connection: Connection, *, snapshot: ReferenceSnapshot, today: dt.date,
               now: dt.datetime) -> None:
        self._changes.finish(connection, snapshot=snapshot, today=today, now=now)
