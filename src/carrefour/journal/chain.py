"""The chain: appending entries inside a caller's transaction, and verifying the chain.

Every entry carries the link of the one before it and its own link, an HMAC keyed with the chain
key (kept outside the database, :mod:`carrefour.journal.keys`); the single-row head carries the
last sequence number and link. :func:`verify` recomputes every link with the key and checks the
chain against the signed checkpoints (:mod:`carrefour.journal.checkpoints`), which seal its end
at intervals outside the database: an altered entry, a deleted entry (in the middle, at the end,
or all of them) and links recomputed without the key are all reported, entry by entry, and so
are altered, deleted or added audit rows of administrative changes (their entry hashes their
digest).
Appending locks the head (``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite ``BEGIN
IMMEDIATE`` already serialises writers), so several hub processes can write to the same
database and still form one chain.
"""

from __future__ import annotations

import heapq
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from pyarrow import ArrowException
from sqlalchemy import (
    Connection,
    Engine,
    RowMapping,
    bindparam,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from carrefour.errors import JournalUnavailable
from carrefour.journal.anchors import Anchors, Seals
from carrefour.journal.archive import ArchivedPart, archive_dir_from_env, archived_parts, read_part
from carrefour.journal.checkpoints import Checkpoint
from carrefour.journal.codec import (
    GENESIS_HASH,
    KEYED,
    UNKEYED,
    audit_digest,
    chain_hash,
    entry_from_row,
    entry_to_row,
    keyed_message,
)
from carrefour.journal.entries import JournalEntry
from carrefour.journal.keys import ChainKey, JournalKeyError, key_for_writing
from carrefour.journal.rollups import file_digest, recorded_rollup
from carrefour.journal.tables import audit_changes, journal_entries, journal_head

if TYPE_CHECKING:
    import psycopg

log = logging.getLogger(__name__)

HEAD_ID = 1
COPY_FROM = 1_000  # entries appended at once from which PostgreSQL is given them by COPY
UNAVAILABLE = "The journal could not be written; the exchange was not carried out."


@dataclass(frozen=True, slots=True)
class ChainHead:
    seq: int
    hash: str
    key_id: str | None = None  # the chain key the journal is linked with (None: not yet)


def append(
    connection: Connection, entries: Sequence[JournalEntry], *, key: ChainKey | None = None
) -> list[int]:
    """Append ``entries`` in the caller's transaction; returns their sequence numbers.

    ``key`` defaults to the chain key of this process for the connection's database. The head
    stays locked until the caller's transaction ends: call this last, just before committing,
    so that other writers wait as little as possible.
    """
    if not entries:
        return []
    key = key or _writing_key(connection)
    head = _lock_head(connection)
    if head.key_id not in (None, key.id):
        log.error("the journal is linked with chain key %s; the key of this process (%s, from "
                  "%s) is another one: nothing is appended", head.key_id, key.id, key.origin)
        raise JournalUnavailable(UNAVAILABLE)
    if connection.dialect.name == "postgresql":
        _refuse_taken_tickets(connection, entries)
    rows: list[dict[str, Any]] = []
    seq, prev_hash = head.seq, head.hash
    for entry in entries:
        seq += 1
        link = key.link(keyed_message(prev_hash, seq, entry))
        rows.append(entry_to_row(seq, entry, prev_hash=prev_hash, hash_=link, format_=KEYED))
        prev_hash = link
    _insert(connection, rows)
    connection.execute(_MOVE_HEAD, {"new_seq": seq, "new_hash": prev_hash, "new_key": key.id})
    return list(range(head.seq + 1, seq + 1))


# Built once: a batch of the journal is mostly its fixed cost at a steady rate (one or two
# entries a batch), and building these statements anew was a third of it.
_INSERT = insert(journal_entries)
_MOVE_HEAD = (update(journal_head).where(journal_head.c.id == HEAD_ID)
              .values(last_seq=bindparam("new_seq"), last_hash=bindparam("new_hash"),
                      key_id=bindparam("new_key")))
_HEAD = select(journal_head.c.last_seq, journal_head.c.last_hash,
               journal_head.c.key_id).where(journal_head.c.id == HEAD_ID)
_HEAD_LOCKED = _HEAD.with_for_update()


def _insert(connection: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """The rows in the caller's transaction; a large batch on PostgreSQL by COPY (a list's
    run: one entry per person included), five times faster than an INSERT per row."""
    if connection.dialect.name != "postgresql" or len(rows) < COPY_FROM:
        connection.execute(_INSERT, rows)
        return
    columns = list(rows[0])
    raw = cast("psycopg.Connection[Any]", connection.connection.dbapi_connection)
    with raw.cursor() as cursor, cursor.copy(
            f"COPY journal_entries ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[name] for name in columns])


def _refuse_taken_tickets(connection: Connection, entries: Sequence[JournalEntry]) -> None:
    """A ticket names one entry. On PostgreSQL the journal is partitioned by month and its
    unique index of tickets must include ``occurred_at``, so the check is made here, under
    the head's lock (appends are serialised by it: no other writer can slip in between)."""
    tickets = [entry.ticket for entry in entries]
    taken = connection.execute(_TAKEN_TICKET, {"tickets": tickets}).scalar_one_or_none()
    if taken is not None or len(set(tickets)) != len(tickets):
        raise DuplicateTicket(f"ticket {taken or 'of the batch'} is already journaled")


# One array parameter, not one parameter per ticket: a list's run journals a person per row
# (150,000 at a million persons), beyond the 65,535 parameters of a statement. Each ticket is
# looked up on its own (a semi-join over the array): ``ticket = ANY(:tickets)`` let the planner
# scan the whole month's partition whenever its statistics lagged behind the journal's growth
# (9 ms a batch at 30,000 entries, most of a consultation's wait on PostgreSQL), where the
# index answers in 0.3 ms whatever the statistics say.
_GIVEN = func.unnest(
    bindparam("tickets", type_=postgresql.ARRAY(journal_entries.c.ticket.type))
).table_valued("ticket").render_derived(name="given")
_TAKEN_TICKET = (
    select(_GIVEN.c.ticket)
    .where(select(journal_entries.c.seq)
           .where(journal_entries.c.ticket == _GIVEN.c.ticket).exists())
    .limit(1)
)


class DuplicateTicket(ValueError):
    """An entry reuses the ticket of another: it is not appended (nor its batch)."""


def _writing_key(connection: Connection) -> ChainKey:
    try:
        return key_for_writing(connection.engine)
    except JournalKeyError as error:
        log.error("the journal cannot be written: %s", error)
        raise JournalUnavailable(UNAVAILABLE) from error


def read_head(connection: Connection, *, lock: bool = False) -> ChainHead | None:
    row = connection.execute(_HEAD_LOCKED if lock else _HEAD).one_or_none()
    if row is None:
        return None
    return ChainHead(seq=row.last_seq, hash=row.last_hash, key_id=row.key_id)


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
    values = {"id": HEAD_ID, "last_seq": 0, "last_hash": GENESIS_HASH, "key_id": None}
    if connection.dialect.name == "postgresql":
        connection.execute(postgresql.insert(journal_head).values(values).on_conflict_do_nothing())
    elif connection.dialect.name == "sqlite":
        connection.execute(sqlite.insert(journal_head).values(values).on_conflict_do_nothing())
    else:
        connection.execute(insert(journal_head).values(values))


# --- verification ----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Problem:
    """One break in the chain, from entry ``seq`` (to ``last_seq`` when it spans several).

    ``kind``: altered, broken-link, missing, head-mismatch, unkeyed-after-keyed, wrong-key,
    checkpoint-mismatch (an entry differs from what a checkpoint sealed), checkpoint (a
    checkpoint that cannot be trusted), archive-file (an archived part differs from its
    recorded checksum), rollup (the rollup of an archived part is missing or differs from the
    checksum its part records), and for the audit rows of administrative changes
    audit-altered, audit-missing, audit-unvouched. ``seq`` is 0 when no entry is concerned.
    """

    seq: int
    kind: str
    detail: str
    last_seq: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifyReport:
    checked: int
    head: ChainHead | None
    problems: tuple[Problem, ...]
    problem_count: int
    keyed_from: int | None = None  # the first keyed entry
    checkpoints: int = 0  # trusted checkpoints the chain was checked against
    last_checkpoint: Checkpoint | None = None
    notes: tuple[str, ...] = ()  # what could not be checked, and why

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
    anchors: Anchors | None = None,
    chunk_size: int = 5_000,
    max_problems: int = 100,
    on_progress: ProgressCallback | None = None,
    archive_dir: Path | None = None,
) -> VerifyReport:
    """Check every entry up to the head with the chain key, and against the checkpoints,
    streaming ``chunk_size`` rows at a time, the archived months (:mod:`.archive`, in
    ``archive_dir``, default: the archive folder of the environment) with the live table.

    ``anchors`` defaults to this process's chain key and the checkpoint file and public key
    the environment names. ``on_progress(checked, total)`` is called after each chunk. Entries
    appended while the verification runs lie beyond the head read at the start and are left
    for the next run.
    """
    if anchors is None:
        anchors = Anchors.for_engine(engine)
    seals = anchors.seals()  # before the head: no checkpoint read seals beyond it
    with engine.connect() as connection:
        head = read_head(connection)
        upto = head.seq if head else _max_seq(connection)
    walker = _ChainWalker(max_problems=max_problems, key=anchors.key, seals=seals)
    walker.check_key(head)
    folder = archive_dir or archive_dir_from_env()
    for row in _entries(engine, walker, folder, upto=upto, chunk_size=chunk_size):
        walker.check(row)
        if on_progress is not None and walker.checked % chunk_size == 0:
            on_progress(walker.checked, upto)
    if on_progress is not None:
        on_progress(walker.checked, upto)
    walker.finish(head)
    if head is not None:
        _check_beyond_head(engine, walker)
    _check_audit(engine, walker, upto=upto)
    return walker.report(head, anchors)


def _entries(
    engine: Engine, walker: _ChainWalker, archive_dir: Path, *, upto: int, chunk_size: int
) -> Iterator[Mapping[Any, Any]]:
    """The archived and the live entries up to ``upto``, in the order of the chain."""
    with engine.connect() as connection:
        parts = archived_parts(connection)
    archived = [_archived(archive_dir, part, walker, upto=upto, chunk_size=chunk_size)
                for part in parts if part.first_seq <= upto]
    for part in parts:
        _check_files(archive_dir, part, walker)
    live: Iterator[Mapping[Any, Any]] = (
        row for rows in _chunks(engine, upto=upto, chunk_size=chunk_size) for row in rows)
    return heapq.merge(*archived, live, key=lambda row: int(row["seq"]))


def _archived(
    archive_dir: Path, part: ArchivedPart, walker: _ChainWalker, *, upto: int, chunk_size: int
) -> Iterator[Mapping[Any, Any]]:
    try:
        yield from read_part(archive_dir, part, upto=upto, batch_rows=chunk_size)
    except (OSError, ArrowException) as error:
        walker.add(part.first_seq, "missing", f"the archive file {part.path} of entries "
                   f"{part.first_seq} to {part.last_seq} cannot be read ({error})",
                   last_seq=part.last_seq)


def _check_files(archive_dir: Path, part: ArchivedPart, walker: _ChainWalker) -> None:
    """The part is the file recorded, its rollup the file the part records (a part that
    cannot be read is reported as such when its entries are read)."""
    try:
        if file_digest(part.file(archive_dir)) != part.sha256:
            walker.add(part.first_seq, "archive-file", f"the archive file {part.path} differs "
                       "from the checksum recorded when it was archived", last_seq=part.last_seq)
        rollup = recorded_rollup(part.file(archive_dir))
    except (OSError, ArrowException):
        return
    if rollup is None:
        return
    try:
        matches = file_digest(rollup.file(archive_dir)) == rollup.sha256
    except OSError as error:
        walker.add(part.first_seq, "rollup", f"the rollup {rollup.path} of the archive file "
                   f"{part.path} cannot be read ({error})", last_seq=part.last_seq)
        return
    if not matches:
        walker.add(part.first_seq, "rollup", f"the rollup {rollup.path} of the archive file "
                   f"{part.path} was altered (its checksum differs from the one its part "
                   "records)", last_seq=part.last_seq)


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
    key: ChainKey | None
    seals: Seals
    checked: int = 0
    expected_seq: int = 1
    prev_hash: str = GENESIS_HASH
    keyed_from: int | None = None
    unchecked: int = 0  # keyed entries met without the key
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0
    _altered: tuple[int, int] | None = None  # the run of unkeyed-looking links being met
    vouched: dict[str, tuple[int, str]] = field(default_factory=dict)  # ticket: seq, digest

    def add(self, seq: int, kind: str, detail: str, *, last_seq: int | None = None) -> None:
        self.problem_count += 1
        if len(self.problems) < self.max_problems:
            self.problems.append(Problem(seq=seq, kind=kind, detail=detail, last_seq=last_seq))

    def check_key(self, head: ChainHead | None) -> None:
        key = self.key
        if key is not None and head is not None and head.key_id not in (None, key.id):
            self.add(0, "wrong-key", f"the journal is linked with chain key {head.key_id}, but "
                                     f"the key given ({key.id}, from {key.origin}) is another")

    def check(self, row: Mapping[Any, Any]) -> None:
        seq: int = row["seq"]
        if seq != self.expected_seq:
            missing = _span(self.expected_seq, seq - 1)
            self.add(self.expected_seq, "missing", f"{missing} missing before entry {seq}")
        elif row["prev_hash"] != self.prev_hash:
            self.add(seq, "broken-link", _broken_link_detail(seq))
        self._check_content(seq, row)
        self._check_sealed(seq, row["hash"])
        if row["audit_digest"] is not None:
            self.vouched[row["ticket"]] = (seq, row["audit_digest"])
        self.checked += 1
        self.expected_seq, self.prev_hash = seq + 1, row["hash"]

    def _check_content(self, seq: int, row: Mapping[Any, Any]) -> None:
        try:
            entry = entry_from_row(row)
        except (ValueError, TypeError) as error:
            self._end_run()
            self.add(seq, "altered", f"entry {seq} holds a value no entry can have ({error})")
            return
        if row["format"] == KEYED:
            self._check_keyed(seq, row, entry)
            return
        self._end_run()
        if row["format"] != UNKEYED:
            self.add(seq, "altered", f"entry {seq} says it has format {row['format']!r}")
        elif self.keyed_from is not None:
            self.add(seq, "unkeyed-after-keyed", f"entry {seq} claims to be unkeyed (written "
                     f"before the chain key) but follows keyed entry {self.keyed_from}: it was "
                     "rewritten and passed off as an old entry")
        elif chain_hash(row["prev_hash"], seq, entry) != row["hash"]:
            self.add(seq, "altered", f"entry {seq} does not match its hash (content altered)")

    def _check_keyed(self, seq: int, row: Mapping[Any, Any], entry: JournalEntry) -> None:
        if self.keyed_from is None:
            self.keyed_from = seq
        if self.key is None:
            self.unchecked += 1
            return
        if self.key.link(keyed_message(row["prev_hash"], seq, entry)) == row["hash"]:
            self._end_run()
        elif self._altered is None or self._altered[1] != seq - 1:
            self._end_run()
            self.add(seq, "altered",
                     f"entry {seq} was altered (its link does not match the keyed chain)")
            self._altered = (seq + 1, seq)  # an empty run: the entries that follow join it
        else:
            self._altered = (self._altered[0], seq)

    def _end_run(self) -> None:
        run, self._altered = self._altered, None
        if run is None or run[1] < run[0]:
            return
        first, last = run
        self.add(first, "altered", f"{_span(first, last)} not linked with the key either (their "
                 "links were recomputed without it, or they were altered too)", last_seq=last)

    def _check_sealed(self, seq: int, link: str) -> None:
        checkpoint = self.seals.by_seq.get(seq)
        if checkpoint is not None and checkpoint.link != link:
            self.add(seq, "checkpoint-mismatch", f"entry {seq} is not the entry "
                     f"{checkpoint.label} sealed (its link differs): entries up to {seq} "
                     "were rewritten")

    def finish(self, head: ChainHead | None) -> None:
        self._end_run()
        sealed_to = self._check_sealed_end()
        last_seq = self.expected_seq - 1
        if head is None:
            if self.checked:
                self.add(last_seq, "head-mismatch", "the journal head is missing")
        elif head.seq != last_seq:
            if head.seq > sealed_to:
                missing = _span(last_seq + 1, head.seq)
                detail = f"{missing} missing at the end (the head says {head.seq})"
                self.add(last_seq + 1, "missing", detail)
        elif head.hash != self.prev_hash:
            self.add(head.seq, "head-mismatch", f"the head does not match entry {head.seq}")
        for finding in self.seals.findings:
            self.add(finding.seq, "checkpoint", finding.detail)

    def _check_sealed_end(self) -> int:
        """The journal must reach the last checkpoint; returns the seq it seals (0: none)."""
        last = self.seals.last
        last_seq = self.expected_seq - 1
        if last is None or last.seq <= last_seq:
            return 0 if last is None else last.seq
        if not self.checked:
            self.add(1, "missing", f"the journal is empty but {self.seals.count} checkpoints "
                     f"seal {last.seq:,} entries", last_seq=last.seq)
        else:
            self.add(last_seq + 1, "missing", f"{_span(last_seq + 1, last.seq)} missing at the "
                     f"end ({last.label} seals entry {last.seq})", last_seq=last.seq)
        return last.seq

    def report(self, head: ChainHead | None, anchors: Anchors) -> VerifyReport:
        notes = [*anchors.notes, *self.seals.notes]
        if self.unchecked:
            notes.append(f"{anchors.key_missing}: the links of {self.unchecked} keyed entries "
                         "were not checked")
        return VerifyReport(
            checked=self.checked,
            head=head,
            problems=tuple(sorted(self.problems, key=lambda problem: problem.seq)),
            problem_count=self.problem_count,
            keyed_from=self.keyed_from,
            checkpoints=self.seals.count,
            last_checkpoint=self.seals.last,
            notes=tuple(notes),
        )


def _span(first: int, last: int) -> str:
    return f"entry {first} is" if first == last else f"entries {first} to {last} are"


def _broken_link_detail(seq: int) -> str:
    return (
        f"entry {seq} does not link to entry {seq - 1} "
        f"(entry {seq - 1} was rewritten with a new hash, or entry {seq}'s link was altered)"
    )
