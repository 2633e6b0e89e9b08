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
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, insert, select

from carrefour.db import reading
from carrefour.errors import CarrefourError
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


def trail(
    engine: Engine,
    *,
    kind: str | None = None,
    key: str | None = None,
    limit: int = 100,
    before_seq: int | None = None,
) -> list[AuditRecord]:
    """The changes of one object (kind and key), of one kind, or of all; newest first."""
    entry = journal_entries
    query = (
        select(audit_changes, entry.c.seq, entry.c.occurred_at, entry.c.channel,
               entry.c.action, entry.c.client, entry.c.end_user_id, entry.c.end_user_role,
               entry.c.outcome)
        .select_from(audit_changes.join(entry, entry.c.ticket == audit_changes.c.ticket))
        .order_by(entry.c.seq.desc(), audit_changes.c.position)
        .limit(limit)
    )
    if kind is not None:
        query = query.where(audit_changes.c.kind == kind)
    if key is not None:
        query = query.where(audit_changes.c.key == key)
    if before_seq is not None:
        query = query.where(entry.c.seq < before_seq)
    with reading(engine).connect() as connection:
        return [_record(row) for row in connection.execute(query).mappings()]


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
