"""Use cases of lists: producing a list (on demand or on the schedule), a recipient's mailbox
(its files, their manifests, the download, resumable with HTTP ranges), and the removal of
expired files. Every act is journaled; a recipient's download is checked like an exchange
(authentication, the file is its own, not expired)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from carrefour.auth.services import Caller, Scope
from carrefour.catalogue.model import Catalogue
from carrefour.config import Settings
from carrefour.db import reading
from carrefour.directory.cache import ReferenceCache, ReferenceSnapshot, load_snapshot
from carrefour.directory.domain import Institution
from carrefour.errors import InvalidInput, ListExpired, NotListRecipient, UnknownList
from carrefour.journal.audit import operator_stamp
from carrefour.journal.recorded import Act, Stamp, Ticketed, journaled
from carrefour.journal.writer import JournalWriter
from carrefour.lists import repository
from carrefour.lists.domain import (
    MEDIA_TYPES,
    Definitions,
    ListDefinition,
    Period,
    byte_range,
    check_grants,
    parse_definitions,
)
from carrefour.lists.production import HUB, Order, Place, manifest_of, produce
from carrefour.signal.domain import MutationTypes

log = logging.getLogger(__name__)
MAX_PAGE = 1_000
PURGE_BATCH = 500


def shipped_definitions(catalogue: Catalogue) -> Definitions:
    text = resources.files("carrefour.lists").joinpath("definitions.toml").read_text("utf-8")
    return parse_definitions(text, service_fields(catalogue))


def service_fields(catalogue: Catalogue) -> dict[str, tuple[str, ...]]:
    return {service.name: service.fields for service in catalogue}


@dataclass(frozen=True, slots=True, kw_only=True)
class ListPolicy:
    folder: Path  # the mailboxes' files
    retention: dt.timedelta  # a file expires so long after it was produced
    every: float  # seconds between two runs of the schedule (0: no schedule)


def list_policy(settings: Settings) -> ListPolicy:
    """The files under the data folder's ``lists``, with the configured retention."""
    return ListPolicy(folder=settings.data_dir / "lists",
                      retention=dt.timedelta(seconds=settings.lists_retention_seconds),
                      every=settings.lists_every_seconds)


@dataclass(frozen=True, slots=True)
class Download:
    """A file, or the part of it a range asked for."""

    body: bytes
    first: int
    last: int
    size: int
    partial: bool
    media_type: str
    sha256: str
    name: str


def recipients_of(snapshot: ReferenceSnapshot, definition: ListDefinition,
                  cbes: Sequence[str] | None = None) -> list[Institution]:
    """The active institutions of the definition's kinds (or those named, checked)."""
    if cbes is None:
        found = [i for i in snapshot.institutions.values()
                 if i.kind in definition.recipient_kinds and i.active]
        return sorted(found, key=lambda i: i.cbe)
    chosen = []
    for cbe in cbes:
        institution = snapshot.by_cbe.get(cbe)
        if institution is None or institution.kind not in definition.recipient_kinds:
            raise InvalidInput(f"No {' or '.join(definition.recipient_kinds)} with CBE number "
                               f"{cbe} is registered to receive the list {definition.name!r}.")
        chosen.append(institution)
    return chosen


def generate(engine: Engine, definitions: Definitions, name: str, period: Period, *,
             policy: ListPolicy, types: MutationTypes, stamp: Stamp,
             cbes: Sequence[str] | None = None, fmt: str | None = None,
             snapshot: ReferenceSnapshot | None = None, today: dt.date | None = None
             ) -> list[dict[str, Any]]:
    """Produce a list for the period (every recipient, or those named); the manifests."""
    day = today or dt.date.today()
    snapshot = snapshot or load_snapshot(engine)
    grants = [g for found in snapshot.deliberations_by_service.values() for g in found]
    check_grants(definitions, grants, day)
    definition = definitions.get(name)
    if fmt is not None:
        definition.format_for(fmt)
    order = Order(definition=definition, period=period,
                  recipients=recipients_of(snapshot, definition, cbes), fmt=fmt)
    return produce(engine, order, Place(folder=policy.folder, retention=policy.retention),
                   stamp=stamp, types=types, snapshot=snapshot, today=day,
                   now=dt.datetime.now(dt.UTC))


def run_schedule(engine: Engine, definitions: Definitions, *, policy: ListPolicy,
                 types: MutationTypes, today: dt.date) -> int:
    """Produce each scheduled list for the last closed month, for every recipient that has
    not had it yet; remove the files expired. How many files were produced."""
    snapshot = load_snapshot(engine)
    made = 0
    for definition in definitions.all():
        if definition.schedule != "monthly":
            continue
        period = Period.month_before(today)
        with reading(engine).connect() as connection:
            done = repository.produced(connection, definition.name, period)
        waiting = [r.cbe for r in recipients_of(snapshot, definition) if r.id not in done]
        if waiting:
            stamp = operator_stamp(channel="admin", action="lists-schedule", client=HUB,
                                   end_user_id="schedule", end_user_role="operator")
            made += len(generate(engine, definitions, definition.name, period, policy=policy,
                                 types=types, stamp=stamp, cbes=waiting, snapshot=snapshot,
                                 today=today))
    remove_expired(engine, policy.folder, dt.datetime.now(dt.UTC))
    return made


def remove_expired(engine: Engine, folder: Path, now: dt.datetime) -> int:
    """Delete the files past their retention (their rows stay, marked removed)."""
    removed = 0
    while True:
        with engine.begin() as connection:
            expired = repository.expired_files(connection, now, limit=PURGE_BATCH)
            for file in expired:
                for path in (folder / file.path, folder / (file.path + ".manifest.json")):
                    path.unlink(missing_ok=True)
            repository.mark_removed(connection, [f.id for f in expired], now)
        removed += len(expired)
        if len(expired) < PURGE_BATCH:
            return removed


class Lists:
    def __init__(self, *, engine: Engine, reference_cache: ReferenceCache,
                 journal: JournalWriter, definitions: Definitions, types: MutationTypes,
                 policy: ListPolicy, today: Callable[[], dt.date] = dt.date.today) -> None:
        self._engine = engine
        self._reference = reference_cache
        self._journal = journal
        self.definitions = definitions
        self._types = types
        self.policy = policy
        self._today = today
        self.today = today
        self._task: asyncio.Task[None] | None = None

    # --- operators ----------------------------------------------------------------------------
    async def generate(self, stamp: Stamp, name: str, period: Period, *,
                       cbes: Sequence[str] | None = None, fmt: str | None = None
                       ) -> list[dict[str, Any]]:
        """Produce a list (the caller is an operator, checked and journaled by the entry
        point; the run commits its own entry with the files)."""
        snapshot = await self._reference.current()
        return await asyncio.to_thread(
            generate, self._engine, self.definitions, name, period, policy=self.policy,
            types=self._types, stamp=stamp, cbes=cbes, fmt=fmt, snapshot=snapshot,
            today=self._today())

    # --- recipients ---------------------------------------------------------------------------
    async def mailbox(self, caller: Caller, *, limit: int) -> Ticketed[list[dict[str, Any]]]:
        """The caller's files still in its mailbox, newest first, as manifests."""
        institution = await self._institution(caller)

        async def work(stamp: Stamp) -> list[dict[str, Any]]:
            caller.require(Scope.CONSULT)
            if not 1 <= limit <= MAX_PAGE:
                raise InvalidInput(f"limit must be between 1 and {MAX_PAGE}.")
            files = await asyncio.to_thread(self._files_of, institution.id, limit)
            return [manifest_of(f, self.definitions.by_name.get(f.definition), institution.cbe)
                    for f in files]

        return await journaled(self._journal, self._act(institution, "list-mailbox"), work)

    async def manifest(self, caller: Caller, file_id: str) -> Ticketed[dict[str, Any]]:
        institution = await self._institution(caller)

        async def work(stamp: Stamp) -> dict[str, Any]:
            file = await self._own_file(caller, institution, file_id)
            return manifest_of(file, self.definitions.by_name.get(file.definition),
                               institution.cbe)

        return await journaled(self._journal, self._act(institution, "list-manifest"), work)

    async def download(self, caller: Caller, file_id: str, range_header: str | None
                       ) -> Ticketed[Download]:
        """The file (or the range asked) for its recipient only: another institution is
        refused (403), an expired file is gone (410); journaled, refusals too."""
        institution = await self._institution(caller)

        async def work(stamp: Stamp) -> Download:
            file = await self._own_file(caller, institution, file_id)
            span = byte_range(range_header, file.size)
            first, last = span if span is not None else (0, file.size - 1)
            body = await asyncio.to_thread(self._read, file, first, last)
            name = Path(file.path).name
            return Download(body=body, first=first, last=last, size=file.size,
                            partial=span is not None, media_type=MEDIA_TYPES[file.format],
                            sha256=file.sha256, name=name)

        return await journaled(self._journal, self._act(institution, "list-download"), work)

    async def _own_file(self, caller: Caller, institution: Institution, file_id: str
                        ) -> repository.ListFile:
        caller.require(Scope.CONSULT)
        file = await asyncio.to_thread(self._file, file_id)
        if file is None:
            raise UnknownList(f"There is no list file {file_id}.")
        if file.institution_id != institution.id:
            raise NotListRecipient(f"The list file {file_id} was sent to another institution.")
        if file.expired(dt.datetime.now(dt.UTC)):
            raise ListExpired(f"The list file {file_id} expired on "
                              f"{file.expires_at.isoformat(timespec='seconds')}.")
        return file

    def _file(self, file_id: str) -> repository.ListFile | None:
        with reading(self._engine).connect() as connection:
            return repository.file_by_id(connection, file_id)

    def _files_of(self, institution_id: int, limit: int) -> list[repository.ListFile]:
        with reading(self._engine).connect() as connection:
            return repository.files_of(connection, institution_id, dt.datetime.now(dt.UTC),
                                       limit=limit)

    def _read(self, file: repository.ListFile, first: int, last: int) -> bytes:
        path = self.policy.folder / file.path
        try:
            with path.open("rb") as source:
                source.seek(first)
                return source.read(max(0, last - first + 1))
        except FileNotFoundError:
            raise ListExpired(f"The list file {file.id} is no longer kept.") from None

    async def _institution(self, caller: Caller) -> Institution:
        snapshot = await self._reference.current()
        return snapshot.institution(caller.institution_id)

    def _act(self, institution: Institution, action: str) -> Act:
        return Act(channel="rest", action=action, client=institution.cbe, end_user_id=None,
                   end_user_role=None, service=None, niss=None)

    # --- the schedule -------------------------------------------------------------------------
    async def start(self) -> None:
        if self.policy.every > 0 and self._task is None:
            self._task = asyncio.create_task(self._loop(), name="lists-schedule")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _loop(self) -> None:
        while True:
            try:
                await asyncio.to_thread(run_schedule, self._engine, self.definitions,
                                        policy=self.policy, types=self._types,
                                        today=self._today())
            except Exception:  # the next run tries again; the fault is logged
                log.exception("the scheduled lists could not be produced")
            await asyncio.sleep(self.policy.every)
