"""A ``rows`` extract too large to answer inline: a JSON Lines file in the researcher's
mailbox — the lists' mailbox (:mod:`carrefour.lists`), so that it is listed with the list
files, downloaded with range requests by its researcher only, and expires like them."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from carrefour.directory.domain import Institution
from carrefour.journal.entries import new_ticket
from carrefour.lists.domain import Period
from carrefour.lists.production import manifest_of
from carrefour.lists.repository import ListFile
from carrefour.research.repository import Project

FORMAT = "jsonl"
FOLDER = "research"  # under the lists' folder
LIST_PREFIX = "research:"  # a research file's "list": research:<project>


@dataclass(frozen=True, slots=True, kw_only=True)
class Place:
    folder: Path  # the lists' folder, the mailboxes' files
    retention: dt.timedelta  # a file expires so long after it was written


@dataclass(frozen=True, slots=True, kw_only=True)
class Written:
    row: dict[str, Any]  # of the list_files table
    manifest: dict[str, Any]
    path: Path

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)


def write_rows(place: Place, project: Project, researcher: Institution,
               fields: Sequence[str], rows: Sequence[Mapping[str, Any]], *, ticket: str,
               now: dt.datetime) -> Written:
    """The rows as a file of the researcher's mailbox, one JSON object a line; the row of
    the list files to insert with the release, and its manifest."""
    file_id = new_ticket()
    relative = f"{FOLDER}/{project.id}/{researcher.cbe}-{file_id}.{FORMAT}"
    path = place.folder / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    body = b"".join(orjson.dumps(row, option=orjson.OPT_NON_STR_KEYS) + b"\n" for row in rows)
    path.write_bytes(body)
    row: dict[str, Any] = {
        "id": file_id, "definition": LIST_PREFIX + project.id, "institution_id": researcher.id,
        "format": FORMAT, "period_start": project.period.start,
        "period_end": project.period.end, "deliberation": project.deliberation,
        "rows": len(rows), "persons": len(rows), "size": len(body),
        "sha256": hashlib.sha256(body).hexdigest(), "path": relative, "ticket": ticket,
        "generated_at": now, "expires_at": now + place.retention, "removed_at": None}
    manifest = {**manifest_of(_file(row), None, researcher.cbe), "title": project.title,
                "fields": list(fields)}
    return Written(row=row, manifest=manifest, path=path)


def _file(row: Mapping[str, Any]) -> ListFile:
    return ListFile(
        id=row["id"], definition=row["definition"], institution_id=row["institution_id"],
        format=row["format"], period=Period(row["period_start"], row["period_end"]),
        deliberation=row["deliberation"], rows=row["rows"], persons=row["persons"],
        size=row["size"], sha256=row["sha256"], path=row["path"], ticket=row["ticket"],
        generated_at=row["generated_at"], expires_at=row["expires_at"], removed_at=None)
