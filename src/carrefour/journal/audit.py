"""Administrative changes in the journal: who changed which object, from what, to what.

Every change an operator makes (an institution, client credentials, a deliberation, an
availability row, a subscription) is journaled by :func:`commit`, in the transaction of the
change: one entry in the hash chain (who: channel, client, end user; what: the action; which
object: ``reference`` = ``kind:key``) and one audit row per object changed, holding its state
before and after as canonical JSON. States never hold a secret (credentials appear by client
id, scopes and dates; subscriptions without their signing secret). The entry hashes the SHA-256
digest of its audit rows, so ``journal verify`` detects an altered, deleted or added audit row
as it detects an altered entry.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Connection, Engine, insert, select

from carrefour.db import reading
from carrefour.errors import CarrefourError
from carrefour.journal import archived
from carrefour.journal.archive import ArchivedPart, archive_dir_from_env, archived_parts
from carrefour.journal.chain import append
from carrefour.journal.codec import audit_digest, canonical_state
from carrefour.journal.recorded import Act, Stamp
from carrefour.journal.tables import audit_changes, journal_entries
from carrefour.journal.writer import record_now

T = TypeVar("T")

class Kind(StrEnum):
    """The kinds of objects whose changes the audit trail keeps."""

    INSTITUTION = "institution"  # key: the CBE number
    CREDENTIALS = "credentials"  # key: the client id
    DELIBERATION = "deliberation"  # key: reference|client_kind|service
    AVAILABILITY = "availability"  # key: service|source_kind
    SUBSCRIPTION = "subscription"  # key: the subscription's id
    RESEARCH_PROJECT = "research-project"  # key: the project's id


OPERATOR_ROLE = "operator"
CLI_CLIENT = "cli"  # the journal's client for a command run on the hub's own machine


@dataclass(frozen=True, slots=True)
class Change:
    """One object's state before and after (None: it did not exist / no longer exists)."""

    kind: Kind
    key: str
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None


def operator_stamp(
    *, channel: str, action: str, client: str, end_user_id: str, end_user_role: str
) -> Stamp:
    """The ticket and the "who" of one administrative act."""
    return Stamp(
        Act(
            channel=channel,
            action=action,
            client=client,
            end_user_id=end_user_id,
            end_user_role=end_user_role,
            service=None,
            niss=None,
        )
    )


def local_stamp(action: str) -> Stamp:
    """An act by an operator on the hub's machine (a command, a set-up script): the channel
    ``cli`` and the operating-system user."""
    return operator_stamp(
        channel="cli",
        action=action,
        client=CLI_CLIENT,
        end_user_id=_os_user(),
        end_user_role=OPERATOR_ROLE,
    )


def locally(engine: Engine, action: str, work: Callable[[Stamp], T]) -> T:
    """Run an operator's act from this machine (a command): ``work`` journals a change with
    the stamp it is given; a refusal is journaled here, in its own transaction."""
    stamp = local_stamp(action)
    try:
        return work(stamp)
    except CarrefourError as error:
        if not stamp.sealed:
            record_now(engine, stamp.entry(error.code))
            stamp.sealed = True
        error.extra["ticket"] = stamp.ticket
        raise


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for the uid (containers)
        return f"uid:{os.getuid()}"


def commit(
    connection: Connection,
    stamp: Stamp,
    changes: Sequence[Change],
    *,
    outcome: str = "ok",
    reference: str | None = None,
) -> None:
    """Journal the act and its changes in the caller's transaction (call it last, like
    :func:`~carrefour.journal.chain.append`). Changes that change nothing are left out."""
    rows = [
        {
            "ticket": stamp.ticket,
            "position": position,
            "kind": str(change.kind),
            "key": change.key,
            "before_state": canonical_state(change.before),
            "after_state": canonical_state(change.after),
        }
        for position, change in enumerate(c for c in changes if c.before != c.after)
    ]
    if reference is None and len(changes) == 1:
        reference = f"{changes[0].kind}:{changes[0].key}"
    if rows:
        connection.execute(insert(audit_changes), rows)
    digest = audit_digest(stamp.ticket, rows) if rows else None
    append(connection, [stamp.entry(outcome, reference=reference, audit_digest=digest)])
    stamp.sealed = True


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditRecord:
    """One object's change, with the journal entry that vouches for it."""

    seq: int
    ticket: str
    occurred_at: dt.datetime
    channel: str
    action: str
    client: str
    end_user_id: str | None
    end_user_role: str | None
    outcome: str
    kind: str
    key: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


_ENTRY_COLUMNS = ("seq", "occurred_at", "channel", "action", "client", "end_user_id",
                  "end_user_role", "outcome")


def trail(
    engine: Engine,
    *,
    kind: str | None = None,
    key: str | None = None,
    limit: int = 100,
    before_seq: int | None = None,
    archive_dir: Path | None = None,
) -> list[AuditRecord]:
    """The changes of one object (kind and key), of one kind, or of all; newest first. The
    changes whose entry the archive holds (:mod:`.archived`) are among them: the live entries
    are read first, then the audit rows whose entry is not live (administrative changes are
    few), and those rows' entries in the archive."""
    entry = journal_entries
    query = (
        select(audit_changes, *(entry.c[name] for name in _ENTRY_COLUMNS))
        .select_from(audit_changes.join(entry, entry.c.ticket == audit_changes.c.ticket))
        .order_by(entry.c.seq.desc(), audit_changes.c.position)
        .limit(limit)
    )
    chosen = [column == value for column, value in
              ((audit_changes.c.kind, kind), (audit_changes.c.key, key)) if value is not None]
    query = query.where(*chosen)
    if before_seq is not None:
        query = query.where(entry.c.seq < before_seq)
    with reading(engine).connect() as connection:
        rows: dict[tuple[str, int], Mapping[Any, Any]] = {
            (r["ticket"], r["position"]): r for r in connection.execute(query).mappings()}
        parts = archived_parts(connection)
        moved = _not_live(connection, chosen) if parts else []
    if moved:
        folder = archive_dir or archive_dir_from_env()
        for row in _archived_rows(folder, parts, moved, before_seq=before_seq):
            rows.setdefault((row["ticket"], row["position"]), row)
    ordered = sorted(rows.values(), key=lambda row: (-int(row["seq"]), row["position"]))
    return [_record(row) for row in ordered[:limit]]


def _not_live(connection: Connection, chosen: list[ColumnElement[bool]]
              ) -> list[Mapping[str, Any]]:
    """The audit rows (of ``chosen``) whose entry is not in the live table."""
    live = select(journal_entries.c.seq).where(journal_entries.c.ticket == audit_changes.c.ticket)
    query = select(audit_changes).where(*chosen, ~live.exists())
    return [dict(row) for row in connection.execute(query).mappings()]


def _archived_rows(archive_dir: Path, parts: list[ArchivedPart], moved: list[Mapping[str, Any]],
                   *, before_seq: int | None) -> list[dict[str, Any]]:
    """The audit rows ``moved`` with the columns of their archived entry (those found)."""
    tickets = sorted({row["ticket"] for row in moved})
    where = archived.Where(among={"ticket": tickets}, present=("audit_digest",),
                           before_seq=before_seq)
    entries = {found["ticket"]: found for found in archived.entries(
        archive_dir, parts, where, limit=len(tickets), newest_first=True)}
    return [{**row, **{name: entries[row["ticket"]][name] for name in _ENTRY_COLUMNS}}
            for row in moved if row["ticket"] in entries]


def _record(row: Mapping[Any, Any]) -> AuditRecord:
    moment: dt.datetime = row["occurred_at"]
    return AuditRecord(
        seq=row["seq"],
        ticket=row["ticket"],
        occurred_at=moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC),
        channel=row["channel"],
        action=row["action"],
        client=row["client"],
        end_user_id=row["end_user_id"],
        end_user_role=row["end_user_role"],
        outcome=row["outcome"],
        kind=row["kind"],
        key=row["key"],
        before=_state(row["before_state"]),
        after=_state(row["after_state"]),
    )


def _state(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    state: dict[str, Any] = json.loads(text)
    return state
