"""The hash chain: appending entries inside a caller's transaction, and verifying the chain.

Every entry carries the hash of the one before it, and the single-row head carries the last
sequence number and hash, so an altered entry, a deleted entry (in the middle or at the end) and
a rewritten hash are all detected by :func:`verify`, and so are altered, deleted or added audit
rows of administrative changes (their entry hashes their digest). Appending locks the head
(``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite ``BEGIN IMMEDIATE`` already serialises
writers), so several hub processes can write to the same database and still form one chain.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, RowMapping, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from carrefour.journal.codec import (
    GENESIS_HASH,
    audit_digest,
    chain_hash,
    entry_from_row,
    entry_to_row,
)
from carrefour.journal.entries import JournalEntry
from carrefour.journal.tables import audit_changes, journal_entries, journal_head

HEAD_ID = 1


@dataclass(frozen=True, slots=True)
class ChainHead:
    seq: int
    hash: str


def append(connection: Connection, entries: Sequence[JournalEntry]) -> list[int]:
    """Append ``entries`` in the caller's transaction; returns their sequence numbers.

    The head stays locked until the caller's transaction ends: call this last, just before
    committing, so that other writers wait as little as possible.
    """
    if not entries:
        return []
    head = _lock_head(connection)
    rows: list[dict[str, Any]] = []
    seq, prev_hash = head.seq, head.hash
    for entry in entries:
        seq += 1
        digest = chain_hash(prev_hash, seq, entry)
        rows.append(entry_to_row(seq, entry, prev_hash=prev_hash, hash_=digest))
        prev_hash = digest
    connection.execute(insert(journal_entries), rows)
    connection.execute(
        update(journal_head)
        .where(journal_head.c.id == HEAD_ID)
        .values(last_seq=seq, last_hash=prev_hash)
    )
    return list(range(head.seq + 1, seq + 1))


def read_head(connection: Connection, *, lock: bool = False) -> ChainHead | None:
    query = select(journal_head.c.last_seq, journal_head.c.last_hash).where(
        journal_head.c.id == HEAD_ID
    )
    row = connection.execute(query.with_for_update() if lock else query).one_or_none()
    return None if row is None else ChainHead(seq=row.last_seq, hash=row.last_hash)


def _lock_head(connection: Connection) -> ChainHead:
    head = read_head(connection, lock=True)
    if head is None:
        _create_head(connection)
        head = read_head(connection, lock=True)
    if head is None:  # pragma: no cover - the row was just created in this transaction
        raise RuntimeError("the journal head could not be created")
    return head


def _create_head(connection: Connection) -> None:
    """Create the genesis head; a concurrent writer creating it first is fine."""
    values = {"id": HEAD_ID, "last_seq": 0, "last_hash": GENESIS_HASH}
    if connection.dialect.name == "postgresql":
        connection.execute(postgresql.insert(journal_head).values(values).on_conflict_do_nothing())
    elif connection.dialect.name == "sqlite":
        connection.execute(sqlite.insert(journal_head).values(values).on_conflict_do_nothing())
    else:
        connection.execute(insert(journal_head).values(values))


# --- verification ----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Problem:
    """One break in the chain. ``kind``: altered, broken-link, missing, head-mismatch, and for
    the audit rows of administrative changes audit-altered, audit-missing, audit-unvouched."""

    seq: int
    kind: str
    detail: str


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifyReport:
    checked: int
    head: ChainHead | None
    problems: tuple[Problem, ...]
    problem_count: int

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    @property
    def first_problem(self) -> Problem | None:
        return self.problems[0] if self.problems else None

    @property
    def first_broken_seq(self) -> int | None:
        return self.problems[0].seq if self.problems else None


ProgressCallback = Callable[[int, int], None]


def verify(
    engine: Engine,
    *,
    chunk_size: int = 5_000,
    max_problems: int = 100,
    on_progress: ProgressCallback | None = None,
) -> VerifyReport:
    """Check every entry up to the head, streaming ``chunk_size`` rows at a time.

    ``on_progress(checked, total)`` is called after each chunk. Entries appended while the
    verification runs lie beyond the head read at the start and are left for the next run.
    """
    with engine.connect() as connection:
        head = read_head(connection)
        upto = head.seq if head else _max_seq(connection)
    walker = _ChainWalker(max_problems=max_problems)
    for rows in _chunks(engine, upto=upto, chunk_size=chunk_size):
        for row in rows:
            walker.check(row)
        if on_progress is not None:
            on_progress(walker.checked, upto)
    walker.check_head(head)
    if head is not None:
        _check_beyond_head(engine, walker)
    _check_audit(engine, walker, upto=upto)
    return walker.report(head)


def _chunks(engine: Engine, *, upto: int, chunk_size: int) -> Iterator[Sequence[RowMapping]]:
    after = 0
    while after < upto:
        query = (
            select(journal_entries)
            .where(journal_entries.c.seq > after, journal_entries.c.seq <= upto)
            .order_by(journal_entries.c.seq)
            .limit(chunk_size)
        )
        with engine.connect() as connection:  # short transactions: writers are not held up
            rows = connection.execute(query).mappings().all()
        if not rows:
            return
        yield rows
        after = rows[-1]["seq"]


def _max_seq(connection: Connection) -> int:
    query = select(func.coalesce(func.max(journal_entries.c.seq), 0))
    return int(connection.execute(query).scalar_one())


def _check_beyond_head(engine: Engine, walker: _ChainWalker) -> None:
    """Entries past the head were not written by :func:`append` (which moves the head)."""
    last_seq = select(journal_head.c.last_seq).where(journal_head.c.id == HEAD_ID)
    query = select(func.min(journal_entries.c.seq)).where(
        journal_entries.c.seq > last_seq.scalar_subquery()
    )
    with engine.connect() as connection:
        stray = connection.execute(query).scalar_one_or_none()
    if stray is not None:
        walker.add(stray, "head-mismatch", f"entry {stray} lies beyond the head of the journal")


def _check_audit(engine: Engine, walker: _ChainWalker, *, upto: int) -> None:
    """Every entry's audit rows match the digest it hashes; no row lacks such an entry.
    Rows of entries appended after the head was read are left for the next run."""
    entry = journal_entries.alias("entry")
    query = (
        select(audit_changes, entry.c.seq)
        .select_from(audit_changes.outerjoin(entry, entry.c.ticket == audit_changes.c.ticket))
        .where((entry.c.seq.is_(None)) | (entry.c.seq <= upto))
        .order_by(audit_changes.c.ticket, audit_changes.c.position)
    )
    grouped: dict[str, list[RowMapping]] = {}
    with engine.connect() as connection:
        for row in connection.execute(query).mappings():
            grouped.setdefault(row["ticket"], []).append(row)
    for ticket, (seq, digest) in walker.vouched.items():
        rows = grouped.pop(ticket, [])
        if not rows:
            walker.add(seq, "audit-missing", f"the audit rows of entry {seq} are missing")
        elif audit_digest(ticket, rows) != digest:
            walker.add(seq, "audit-altered", f"the audit rows of entry {seq} were altered")
    for ticket, rows in grouped.items():
        seq = rows[0]["seq"] or 0
        walker.add(seq, "audit-unvouched", f"audit rows of ticket {ticket} are vouched for by "
                   "no journal entry (added or moved)")


@dataclass(slots=True)
class _ChainWalker:
    max_problems: int
    checked: int = 0
    expected_seq: int = 1
    prev_hash: str = GENESIS_HASH
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0
    vouched: dict[str, tuple[int, str]] = field(default_factory=dict)  # ticket: seq, digest

    def add(self, seq: int, kind: str, detail: str) -> None:
        self.problem_count += 1
        if len(self.problems) < self.max_problems:
            self.problems.append(Problem(seq=seq, kind=kind, detail=detail))

    def check(self, row: Mapping[Any, Any]) -> None:
        seq: int = row["seq"]
        if seq != self.expected_seq:
            missing = _span(self.expected_seq, seq - 1)
            self.add(self.expected_seq, "missing", f"{missing} missing before entry {seq}")
        elif row["prev_hash"] != self.prev_hash:
            self.add(seq, "broken-link", _broken_link_detail(seq))
        self._check_content(seq, row)
        if row["audit_digest"] is not None:
            self.vouched[row["ticket"]] = (seq, row["audit_digest"])
        self.checked += 1
        self.expected_seq, self.prev_hash = seq + 1, row["hash"]

    def _check_content(self, seq: int, row: Mapping[Any, Any]) -> None:
        try:
            digest = chain_hash(row["prev_hash"], seq, entry_from_row(row))
        except (ValueError, TypeError) as error:
            self.add(seq, "altered", f"entry {seq} holds a value no entry can have ({error})")
            return
        if digest != row["hash"]:
            self.add(seq, "altered", f"entry {seq} does not match its hash (content altered)")

    def check_head(self, head: ChainHead | None) -> None:
        last_seq = self.expected_seq - 1
        if head is None:
            if self.checked:
                self.add(last_seq, "head-mismatch", "the journal head is missing")
        elif head.seq != last_seq:
            missing = _span(last_seq + 1, head.seq)
            detail = f"{missing} missing at the end (the head says {head.seq})"
            self.add(last_seq + 1, "missing", detail)
        elif head.hash != self.prev_hash:
            self.add(head.seq, "head-mismatch", f"the head does not match entry {head.seq}")

    def report(self, head: ChainHead | None) -> VerifyReport:
        return VerifyReport(
            checked=self.checked,
            head=head,
            problems=tuple(self.problems),
            problem_count=self.problem_count,
        )


def _span(first: int, last: int) -> str:
    return f"entry {first} is" if first == last else f"entries {first} to {last} are"


def _broken_link_detail(seq: int) -> str:
    return (
        f"entry {seq} does not link to entry {seq - 1} "
        f"(entry {seq - 1} was rewritten with a new hash, or entry {seq}'s link was altered)"
    )
