"""How an entry becomes a row and a link of the chain, and back.

An entry's link (its ``hash`` column) covers the previous entry's link and a canonical
serialisation of the entry and its place in the chain. Since the chain key exists it is an
HMAC-SHA256 keyed with it (format ``carrefour-journal/2``, :func:`keyed_message`); entries
written before were plain SHA-256 (format ``carrefour-journal/1``, :func:`chain_hash`) and keep
verifying as they are. Each row says its format, and the format is the first field of what its
link covers: an entry passed off as unkeyed breaks the keyed link that follows it, and
:func:`~carrefour.journal.chain.verify` refuses an unkeyed entry after a keyed one. The
serialisation is defined here, field by field,
with the standard library only (a library upgrade must never change the bytes of old entries):
times in UTC ISO 8601 with microseconds, the duration as Python's shortest round-trip ``repr``,
the rest as JSON with fixed separators and ASCII escapes. Everything hashed is exactly what
:func:`entry_from_row` reads back, on SQLite and on PostgreSQL.

The reference came after the first entries were written: it is hashed, last, only when an
entry has one, so that an entry without a reference hashes as it always did. The audit digest
(an administrative change's before/after states) came later still: when an entry has one, the
reference (null or not) and then the digest are hashed, so no value can pass for the other.
The trace id (OpenTelemetry, when tracing is on) came last: when an entry has one, the
reference and the digest (null or not) and then the trace id are hashed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from carrefour.journal.entries import JournalEntry

FORMAT = "carrefour-journal/1"  # unkeyed SHA-256: entries written before the chain key
KEYED_FORMAT = "carrefour-journal/2"  # HMAC-SHA256 with the chain key
UNKEYED, KEYED = 1, 2  # the ``format`` column
FORMATS = {UNKEYED: FORMAT, KEYED: KEYED_FORMAT}
GENESIS_HASH = "0" * 64


def canonical_bytes(seq: int, entry: JournalEntry, *, format_: str = FORMAT) -> bytes:
    fields: list[object] = [
        format_,
        seq,
        entry.ticket,
        iso_utc(entry.occurred_at),
        entry.channel,
        entry.action,
        entry.client,
        entry.end_user_id,
        entry.end_user_role,
        entry.service,
        entry.niss,
        entry.quality_code,
        entry.deliberation,
        list(entry.sources),
        entry.outcome,
        repr(entry.duration_ms),
    ]
    if entry.trace_id is not None:
        fields += [entry.reference, entry.audit_digest, entry.trace_id]
    elif entry.audit_digest is not None:
        fields += [entry.reference, entry.audit_digest]
    elif entry.reference is not None:
        fields.append(entry.reference)
    return _json(fields).encode("ascii")


AUDIT_FORMAT = "carrefour-audit/1"


def audit_digest(ticket: str, changes: Sequence[Mapping[Any, Any]]) -> str:
    """SHA-256 of the audit rows of one entry (position, kind, key, and the stored canonical
    JSON texts of the states before and after), as hashed into the entry's chain hash."""
    rows = [
        [c["position"], c["kind"], c["key"], c["before_state"], c["after_state"]]
        for c in changes
    ]
    return hashlib.sha256(_json([AUDIT_FORMAT, ticket, rows]).encode("ascii")).hexdigest()


def canonical_state(state: Mapping[str, Any] | None) -> str | None:
    """An object's state as canonical JSON (sorted keys, dates in ISO 8601), or None."""
    if state is None:
        return None
    return json.dumps(
        state, ensure_ascii=True, separators=(",", ":"), sort_keys=True, allow_nan=False,
        default=_iso,
    )


def _iso(value: object) -> str:
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not a state value")


def chain_hash(prev_hash: str, seq: int, entry: JournalEntry) -> str:
    digest = hashlib.sha256(prev_hash.encode("utf-8"))
    digest.update(b"\n")
    digest.update(canonical_bytes(seq, entry))
    return digest.hexdigest()


def keyed_message(prev_hash: str, seq: int, entry: JournalEntry) -> bytes:
    """What a keyed link is the HMAC of: the previous link, then the entry in format 2."""
    return prev_hash.encode("utf-8") + b"\n" + canonical_bytes(seq, entry, format_=KEYED_FORMAT)


def iso_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def entry_to_row(
    seq: int, entry: JournalEntry, *, prev_hash: str, hash_: str, format_: int = UNKEYED
) -> dict[str, Any]:
    return {
        "seq": seq,
        "format": format_,
        "ticket": entry.ticket,
        "occurred_at": entry.occurred_at,
        "channel": entry.channel,
        "action": entry.action,
        "client": entry.client,
        "end_user_id": entry.end_user_id,
        "end_user_role": entry.end_user_role,
        "service": entry.service,
        "niss": entry.niss,
        "quality_code": entry.quality_code,
        "deliberation": entry.deliberation,
        "sources": _json(list(entry.sources)),
        "outcome": entry.outcome,
        "duration_ms": entry.duration_ms,
        "reference": entry.reference,
        "audit_digest": entry.audit_digest,
        "trace_id": entry.trace_id,
        "prev_hash": prev_hash,
        "hash": hash_,
    }


def entry_from_row(row: Mapping[Any, Any]) -> JournalEntry:
    """Rebuild an entry; raises ``ValueError`` when a stored value cannot be an entry's."""
    sources = json.loads(row["sources"])
    if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
        raise ValueError("sources is not a JSON list of strings")
    return JournalEntry(
        ticket=row["ticket"],
        occurred_at=_aware(row["occurred_at"]),
        channel=row["channel"],
        action=row["action"],
        client=row["client"],
        end_user_id=row["end_user_id"],
        end_user_role=row["end_user_role"],
        service=row["service"],
        niss=row["niss"],
        quality_code=row["quality_code"],
        deliberation=row["deliberation"],
        sources=tuple(sources),
        outcome=row["outcome"],
        duration_ms=row["duration_ms"],
        reference=row["reference"],
        audit_digest=row.get("audit_digest"),
        trace_id=row.get("trace_id"),
    )


def _aware(moment: datetime) -> datetime:
    """SQLite hands back the stored UTC time without its zone; PostgreSQL with the session's."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=True, separators=(",", ":"), allow_nan=False)
