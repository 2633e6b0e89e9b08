"""The data warehouse at national scale: distinct-person statistics over an archived journal,
and archiving a month of the live journal.

``python -m bench.warehouse [--rows N] [--persons P] [--archive-entries M] [--folder DIR]
[--archive-journal FILE]``

1. **statistics**: N journal rows (default 100,000,000) generated straight into Parquet with
   pyarrow, in the archive's layout (``journal/month=YYYY-MM/part-0.parquet``, twelve months,
   the columns of ``journal_entries``) and recorded as archived parts of an empty SQLite
   journal; then, in a process of its own (its peak resident memory is its own), the distinct
   persons per datum and recipient for the year, through :func:`distinct_persons` (the
   reader's ``journal`` view, DuckDB). Persons are drawn among P (default 11,700,000), the
   recipients among 600 institutions (the CPAS, the regional employment services...), the
   data among 12 services. The rows' links are placeholders: the statistics never read them
   (``journal verify`` is what checks links).
2. **archive**: M chained entries (default 1,000,000; real links, appended with
   :func:`~carrefour.journal.chain.append`) journaled in one closed month of a SQLite journal,
   then moved by :func:`archive_month`; the time of the move is measured, and the peak
   resident memory of the process and of its reading workers. ``--archive-journal FILE``
   archives a copy of a journal generated before (the ``archive.sqlite3`` of an earlier run's
   ``--folder``, not yet archived), to compare two versions of the code on the same entries.

Not in ``make bench``: generating 100 M rows takes minutes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Engine, insert, select

from bench.machine import describe_machine
from carrefour.db import build_engine, metadata
from carrefour.directory.domain import Institution, Role
from carrefour.journal.archive import archive_month, part_path, write_part
from carrefour.journal.batches import ARROW_SCHEMA, COLUMNS
from carrefour.journal.chain import append, read_head
from carrefour.journal.codec import KEYED, KEYED_FORMAT, entry_from_row, keyed_message
from carrefour.journal.entries import JournalEntry, new_ticket
from carrefour.journal.keys import ChainKey, key_for_writing
from carrefour.journal.rollups import rollup_path
from carrefour.journal.tables import journal_archive, journal_entries
from carrefour.tables import load_all_tables
from carrefour.warehouse.domain import Grouping, parse_period
from carrefour.warehouse.services import distinct_persons

YEAR = 2025
BATCH = 1_000_000
SERVICES = ("unemployment", "temporary-unemployment", "bridging-right", "legal-data",
            "family-composition", "dimona", "dmfa", "health-insurance", "tax-assessment",
            "pension-register", "job-seeker", "child-benefits")
KINDS = (("regional-employment", 3), ("cpas", 590), ("mutuality", 5), ("federal", 2))
REPOSITORY = Path(__file__).resolve().parents[1]


def institutions() -> list[Institution]:
    found, number = [], 1
    for kind, count in KINDS:
        for _ in range(count):
            found.append(Institution(id=number, cbe=f"{200_000_000 + number:010d}",
                                     name_fr=f"{kind} {number}", name_nl=f"{kind} {number}",
                                     sector=0, subsector=0, kind=kind, role=Role.CLIENT))
            number += 1
    return found


# --- 1. statistics over an archived journal ---------------------------------------------------
def generate(folder: Path, engine: Engine, *, rows: int, persons: int) -> float:
    """Write ``rows`` rows over the twelve months of YEAR, each month as an archived part
    with its rollup (:func:`write_part`, as the archive writes them), and record them."""
    started = time.perf_counter()
    clients = pa.array([i.cbe for i in institutions()], pa.string())
    per_month, seq = rows // 12, 0
    for month in range(1, 13):
        label = f"{YEAR}-{month:02d}"
        count = per_month if month < 12 else rows - per_month * 11
        paths = (folder / part_path(label, 0), folder / rollup_path(label, 0))
        for path in paths:
            path.parent.mkdir(parents=True, exist_ok=True)
        batches = (_batch(seq + done, min(BATCH, count - done), month, clients, persons)
                   for done in range(0, count, BATCH))
        written = write_part(paths, label, 0, batches)
        with engine.begin() as connection:
            connection.execute(insert(journal_archive).values(
                month=label, part=0, path=part_path(label, 0), entries=count,
                first_seq=written.first_seq, last_seq=written.last_seq,
                sha256=written.sha256, archived_at=dt.datetime.now(dt.UTC)))
        seq += count
    return time.perf_counter() - started


def _uniform(size: int, bound: int) -> pa.Array:
    return pc.cast(pc.floor(pc.multiply(pc.random(size), bound)), pa.int64())


def _batch(first: int, size: int, month: int, clients: pa.Array, persons: int
           ) -> pa.RecordBatch:
    start = dt.datetime(YEAR, month, 1, tzinfo=dt.UTC)
    seconds = pc.multiply(_uniform(size, 28 * 86_400), 1_000_000)
    occurred = pc.cast(pc.add(seconds, int(start.timestamp() * 1_000_000)),
                       pa.timestamp("us", tz="UTC"))
    niss = pc.cast(pc.add(_uniform(size, persons), 10_000_000_000), pa.string())
    services = pa.array(SERVICES, pa.string())
    refused = pc.less(pc.random(size), 0.03)
    outcome = pc.if_else(refused, pa.scalar("not-integrated"), pa.scalar("ok"))

    def constant(value: object, kind: pa.DataType) -> pa.Array:
        return pa.array([value] * size, kind) if value is None else pa.repeat(
            pa.scalar(value, kind), size)

    columns = {
        "seq": pa.array(range(first + 1, first + size + 1), pa.int64()),
        "ticket": constant("-", pa.string()), "occurred_at": occurred,
        "channel": constant("rest", pa.string()), "action": constant("consult", pa.string()),
        "client": pc.take(clients, _uniform(size, len(clients))),
        "end_user_id": constant(None, pa.string()), "end_user_role": constant(None, pa.string()),
        "service": pc.take(services, _uniform(size, len(services))), "niss": niss,
        "quality_code": constant(1, pa.int32()), "deliberation": constant("CSI/21/001",
                                                                          pa.string()),
        "sources": constant('["0206731645"]', pa.string()), "outcome": outcome,
        "duration_ms": pc.multiply(pc.random(size), 200.0),
        "prev_hash": constant("-", pa.string()), "hash": constant("-", pa.string()),
        "reference": constant(None, pa.string()), "format": constant(2, pa.int16()),
        "audit_digest": constant(None, pa.string()), "trace_id": constant(None, pa.string()),
    }
    return pa.RecordBatch.from_arrays([columns[f.name] for f in ARROW_SCHEMA],
                                      schema=ARROW_SCHEMA)


def measure_statistics(folder: Path, database: Path) -> dict[str, float | int]:
    """Run in its own process: the year's distinct persons per datum and recipient."""
    engine = build_engine(f"sqlite:///{database}")
    started = time.perf_counter()
    rows = distinct_persons(engine, folder, parse_period(str(YEAR)), Grouping.INSTITUTION,
                            institutions())
    seconds = time.perf_counter() - started
    engine.dispose()
    top = max((r.persons for r in rows if r.recipient == "*"), default=0)
    return {"seconds": round(seconds, 2), "rows": len(rows), "largest": top,
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


# --- 2. archiving a month ---------------------------------------------------------------------
def measure_archive(folder: Path, *, entries: int, journal: Path | None = None
                    ) -> dict[str, float | int]:
    """Generate ``entries`` entries (or copy the ``journal`` a run generated and kept) and
    archive them; peak memory is this process's and its reading workers'."""
    database = folder / "archive.sqlite3"
    started = time.perf_counter()
    if journal is not None:
        shutil.copyfile(journal, database)
    engine = _journal(database)
    if journal is None:
        generate_chained(engine, entries=entries, persons=11_700_000)
    generated = time.perf_counter() - started
    started = time.perf_counter()
    moved = archive_month(engine, folder / "archive", f"{YEAR}-03")
    seconds = time.perf_counter() - started
    engine.dispose()
    return {"entries": moved.entries, "generate_seconds": round(generated, 1),
            "archive_seconds": round(seconds, 1),
            "entries_per_second": round(moved.entries / seconds),
            "peak_rss_mib": _peak_mib(resource.RUSAGE_SELF),
            "worker_peak_rss_mib": _peak_mib(resource.RUSAGE_CHILDREN),
            "load_average": round(os.getloadavg()[0], 1)}


def _peak_mib(who: int) -> int:
    return resource.getrusage(who).ru_maxrss // 1024  # Linux: KiB


def generate_chained(engine: Engine, *, entries: int, persons: int) -> None:
    """``entries`` chained entries in March of YEAR (persons drawn at random, recipients and
    services in turn), linked with the chain key as :func:`append` links them, inserted
    straight through the driver in large transactions (synchronous off: bench data). The
    canonical text of each entry is formatted from a template, checked against
    :func:`keyed_message` for the first entries; the links read back are checked after."""
    start = dt.datetime(YEAR, 3, 1, tzinfo=dt.UTC)
    with engine.begin() as connection:  # the head, and the first entry, the ordinary way
        append(connection, [_entry(start, 0, persons)])
    key = key_for_writing(engine)
    with engine.connect() as connection:
        head = read_head(connection)
    assert head is not None
    seq, prev_hash = head.seq, head.hash
    statement = (f"INSERT INTO journal_entries ({', '.join(COLUMNS)}) "
                 f"VALUES ({', '.join('?' for _ in COLUMNS)})")
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("PRAGMA synchronous = OFF")
        cursor.execute("PRAGMA cache_size = -1000000")
        while seq < entries:
            rows = []
            for _ in range(min(500_000, entries - seq)):
                seq += 1
                row, message = _templated(seq, prev_hash, persons, check=seq <= 1_000)
                link = key.link(message)
                rows.append((*row, prev_hash, link, None, KEYED, None, None))
                prev_hash = link
            cursor.execute("BEGIN")
            cursor.executemany(statement, rows)
            cursor.execute("UPDATE journal_head SET last_seq = ?, last_hash = ?",
                           (seq, prev_hash))
            cursor.execute("COMMIT")
    finally:
        raw.close()
    _check_links(engine, key, upto=seq)


_RANDOM = random.Random(12)
_MARCH = dt.datetime(YEAR, 3, 1, tzinfo=dt.UTC)


def _entry(when: dt.datetime, seq: int, persons: int, *, niss: str | None = None,
           ticket: str | None = None) -> JournalEntry:
    return JournalEntry(ticket=ticket or new_ticket(), occurred_at=when, channel="rest",
                        action="consult", client=f"{200_000_000 + 1 + seq % 600:010d}",
                        end_user_id="agent-1", end_user_role="social-worker",
                        service=SERVICES[seq % len(SERVICES)],
                        niss=niss or str(10_000_000_000 + _RANDOM.randrange(persons)),
                        quality_code=2, deliberation="CSI/21/001", sources=("0206731645",),
                        outcome="ok", duration_ms=12.5)


def _templated(seq: int, prev_hash: str, persons: int, *, check: bool
               ) -> tuple[tuple[object, ...], bytes]:
    """The row of entry ``seq`` (up to its links) and the message its link is the HMAC of."""
    when = _MARCH + dt.timedelta(seconds=seq % (28 * 86_400))
    ticket, niss = new_ticket(), str(10_000_000_000 + _RANDOM.randrange(persons))
    client, service = f"{200_000_000 + 1 + seq % 600:010d}", SERVICES[seq % len(SERVICES)]
    iso = when.isoformat(timespec="microseconds")
    message = (f'{prev_hash}\n["{KEYED_FORMAT}",{seq},"{ticket}","{iso}","rest","consult",'
               f'"{client}","agent-1","social-worker","{service}","{niss}",2,"CSI/21/001",'
               f'["0206731645"],"ok","12.5"]').encode("ascii")
    if check and message != keyed_message(prev_hash, seq, _entry(when, seq, persons, niss=niss,
                                                                  ticket=ticket)):
        raise RuntimeError(f"the bench's template does not give entry {seq}'s canonical text")
    row = (seq, ticket, when.strftime("%Y-%m-%d %H:%M:%S.%f"), "rest", "consult", client,
           "agent-1", "social-worker", service, niss, 2, "CSI/21/001", '["0206731645"]', "ok",
           12.5)
    return row, message


def _check_links(engine: Engine, key: ChainKey, *, upto: int) -> None:
    """The links of the last entries, read back, are those :func:`append` would write."""
    with engine.connect() as connection:
        rows = connection.execute(select(journal_entries).where(
            journal_entries.c.seq > upto - 3).order_by(journal_entries.c.seq)).mappings().all()
    for before, row in itertools.pairwise(rows):
        message = keyed_message(before["hash"], row["seq"], entry_from_row(row))
        if row["prev_hash"] != before["hash"] or key.link(message) != row["hash"]:
            raise RuntimeError(f"entry {row['seq']} is not linked as append links it")


def _journal(database: Path) -> Engine:
    load_all_tables()
    engine = build_engine(f"sqlite:///{database}")
    metadata.create_all(engine)
    return engine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000_000)
    parser.add_argument("--persons", type=int, default=11_700_000)
    parser.add_argument("--archive-entries", type=int, default=1_000_000)
    parser.add_argument("--folder", type=Path, default=None)
    parser.add_argument("--archive-journal", type=Path, default=None,
                        help="archive a copy of this journal (the archive.sqlite3 a run left) "
                        "instead of generating one")
    parser.add_argument("--measure-statistics", type=Path, default=None, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.measure_statistics is not None:  # the child process
        folder = options.measure_statistics
        print(json.dumps(measure_statistics(folder, folder / "journal.sqlite3")))
        return
    folder = options.folder or Path(tempfile.mkdtemp(prefix="carrefour-warehouse-"))
    folder.mkdir(parents=True, exist_ok=True)
    machine = describe_machine(REPOSITORY)
    print(f"Machine: {machine.summary()}, commit {machine.commit}; folder {folder}", flush=True)
    if options.rows:
        engine = _journal(folder / "journal.sqlite3")
        generated = generate(folder, engine, rows=options.rows, persons=options.persons)
        engine.dispose()
        size = sum(p.stat().st_size for p in (folder / "journal").rglob("*.parquet"))
        print(f"generated {options.rows:,} rows in {generated:.1f} s "
              f"({size / 2**30:.2f} GiB of Parquet)", flush=True)
        child = subprocess.run([sys.executable, "-m", "bench.warehouse", "--measure-statistics",
                                str(folder)], capture_output=True, text=True, check=True,
                               cwd=REPOSITORY)
        print(f"statistics: {child.stdout.strip()}", flush=True)
    if options.archive_entries:
        measured = measure_archive(folder, entries=options.archive_entries,
                                   journal=options.archive_journal)
        print(f"archive: {json.dumps(measured)}")


if __name__ == "__main__":
    main()
