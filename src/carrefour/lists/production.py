"""Producing a list: one file per recipient in the format it chose, its manifest (rows,
SHA-256, definition, deliberation, period, generation time), and, in one transaction, the
file rows, one journal entry per person included (``list-inclusion``, under the person's own
NISS, naming the recipient and the file: "who consulted my data" shows it), the run's own
entry and a ``list-ready`` mutation for each recipient that subscribed to them."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, select

from carrefour.db import reading
from carrefour.directory.cache import ReferenceSnapshot
from carrefour.directory.domain import Institution
from carrefour.journal.chain import append as journal_append
from carrefour.journal.entries import JournalEntry, new_ticket
from carrefour.journal.recorded import Act, Stamp
from carrefour.lists import repository
from carrefour.lists.areas import area_of
from carrefour.lists.domain import INCLUSION, LIST_READY, MEDIA_TYPES, ListDefinition, Period, Row
from carrefour.lists.formats import Header, write
from carrefour.signal.domain import Mutation, MutationTypes, Recipient
from carrefour.signal.repository import Intake, store_intakes, to_subscription
from carrefour.signal.tables import subscriptions

HUB = "hub"
DOWNLOAD = "/v1/lists/files/{id}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Order:
    """What one run produces: a definition for a period, for these recipients."""

    definition: ListDefinition
    period: Period
    recipients: Sequence[Institution]
    fmt: str | None = None  # one format for every file (default: each recipient's choice)


@dataclass(frozen=True, slots=True, kw_only=True)
class Place:
    """Where files go and how long they stay."""

    folder: Path
    retention: dt.timedelta


@dataclass(slots=True)
class _Made:
    recipient: Institution
    row: dict[str, Any]
    persons: list[str]
    manifest: dict[str, Any]


def produce(engine: Engine, order: Order, place: Place, *, stamp: Stamp, types: MutationTypes,
            snapshot: ReferenceSnapshot, today: dt.date, now: dt.datetime
            ) -> list[dict[str, Any]]:
    """Write the files, then commit everything they are traceable by; their manifests.
    A failure before the commit removes the files written."""
    definition = order.definition
    with reading(engine).connect() as connection:
        by_area = repository.rows_by_area(connection, definition, order.period)
        chosen = repository.choices(connection, definition.name)
    made: list[_Made] = []
    try:
        for recipient in order.recipients:
            fmt = definition.format_for(order.fmt or chosen.get(recipient.id))
            rows = by_area.get(area_of(definition.area, recipient.postal_code) or "", [])
            made.append(_write(order, place, recipient, fmt, rows, stamp.ticket, now))
        with engine.begin() as connection:
            repository.insert_files(connection, [m.row for m in made])
            _tell(connection, made, types, snapshot, today, now)
            journal_append(connection, [*_inclusions(made, definition, stamp, now),
                                        stamp.entry("ok", reference=f"list:{definition.name}")])
            stamp.sealed = True
    except BaseException:
        for m in made:
            _remove(place.folder / m.row["path"])
        raise
    return [m.manifest for m in made]


def _write(order: Order, place: Place, recipient: Institution, fmt: str, rows: list[Row],
           ticket: str, now: dt.datetime) -> _Made:
    definition, period = order.definition, order.period
    file_id = new_ticket()
    relative = (f"{definition.name}/{period.start.isoformat()}_{period.end.isoformat()}/"
                f"{recipient.cbe}-{file_id}.{fmt}")
    path = place.folder / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    header = Header(file_id=file_id, definition=definition.name, recipient=recipient.cbe,
                    deliberation=definition.deliberation, start=period.start, end=period.end)
    write(fmt, path, header, definition.fields, rows)
    digest, size = _digest(path)
    persons = sorted({r.niss for r in rows})
    row = {"id": file_id, "definition": definition.name, "institution_id": recipient.id,
           "format": fmt, "period_start": period.start, "period_end": period.end,
           "deliberation": definition.deliberation, "rows": len(rows), "persons": len(persons),
           "size": size, "sha256": digest, "path": relative, "ticket": ticket,
           "generated_at": now, "expires_at": now + place.retention, "removed_at": None}
    manifest = manifest_of(repository.to_file(row), definition, recipient.cbe)  # type: ignore[arg-type]
    path.with_name(path.name + ".manifest.json").write_bytes(
        orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
    return _Made(recipient, row, persons, manifest)


def manifest_of(file: repository.ListFile, definition: ListDefinition | None, recipient: str
                ) -> dict[str, Any]:
    """What a file is: its rows, checksum, definition, deliberation, period, times."""
    return {
        "id": file.id, "list": file.definition,
        "title": definition.title if definition else None, "recipient": recipient,
        "format": file.format, "media_type": MEDIA_TYPES[file.format],
        "rows": file.rows, "persons": file.persons, "size": file.size,
        "sha256": file.sha256, "deliberation": file.deliberation,
        "period": {"start": file.period.start.isoformat(), "end": file.period.end.isoformat()},
        "fields": list(definition.fields) if definition else None,
        "generated_at": file.generated_at.isoformat(timespec="seconds"),
        "expires_at": file.expires_at.isoformat(timespec="seconds"),
        "download": DOWNLOAD.format(id=file.id),
    }


def _digest(path: Path) -> tuple[str, int]:
    sha = hashlib.sha256()
    size = 0
    with path.open("rb") as source:
        for block in iter(lambda: source.read(1 << 20), b""):
            sha.update(block)
            size += len(block)
    return sha.hexdigest(), size


def _inclusions(made: Sequence[_Made], definition: ListDefinition, stamp: Stamp,
                now: dt.datetime) -> list[JournalEntry]:
    """One entry per person included in each file, under the person's NISS: the recipient
    as the client, the list and the file as the reference."""
    return [
        JournalEntry(ticket=new_ticket(), occurred_at=now, channel=stamp.act.channel,
                     action=INCLUSION, client=m.recipient.cbe, end_user_id=None,
                     end_user_role=None, service=definition.service, niss=niss,
                     quality_code=None, deliberation=definition.deliberation, outcome="ok",
                     duration_ms=0.0, reference=f"list:{definition.name}:{m.row['id']}")
        for m in made for niss in m.persons
    ]


def _tell(connection: Any, made: Sequence[_Made], types: MutationTypes,
          snapshot: ReferenceSnapshot, today: dt.date, now: dt.datetime) -> None:
    """A ``list-ready`` mutation for each recipient subscribed to them (its mailbox)."""
    kind = types.get(LIST_READY)
    wanted = {m.recipient.id for m in made}
    query = select(subscriptions).where(subscriptions.c.mutation_type == LIST_READY,
                                        subscriptions.c.active.is_(True),
                                        subscriptions.c.institution_id.in_(sorted(wanted)))
    subs: dict[int, list[Any]] = {}
    for row in connection.execute(query).mappings():
        subs.setdefault(row["institution_id"], []).append(to_subscription(row))
    intakes = []
    for m in made:
        for subscription in subs.get(m.recipient.id, []):
            data = {k: m.manifest[k] for k in kind.fields if k in m.manifest}
            act = Act(channel="signal", action="publish-mutation", client=HUB, end_user_id=None,
                      end_user_role=None, service=LIST_READY, niss=None)
            mutation = Mutation(type=LIST_READY, niss="", source_ref=f"list-{m.row['id']}-"
                                f"{subscription.id}", effective_on=today, data=data)
            recipient = Recipient(subscription=subscription, data=data, quality_code=None,
                                  deliberation=m.row["deliberation"])
            intakes.append(Intake(kind=kind, mutation=mutation, source=None, stamp=Stamp(act),
                                  recipients=(recipient,)))
    if intakes:
        store_intakes(connection, intakes, snapshot=snapshot, today=today, now=now)


def _remove(path: Path) -> None:
    for each in (path, path.with_name(path.name + ".manifest.json")):
        each.unlink(missing_ok=True)
