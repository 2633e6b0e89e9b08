"""Throughput of the journal writer alone: concurrent ``record`` calls, group-committed.

``python -m bench.journal_writer [--database-url URL] [--entries N] [--rounds R] [--every N]``
(default: a fresh SQLite file). Prints entries per second for each round and the best; the
writer seals the chain with checkpoints as the hub does, every N entries (``--no-checkpoints``
to compare).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from sqlalchemy import Engine

from carrefour.config import JournalSettings
from carrefour.db import build_engine, metadata
from carrefour.journal.entries import JournalEntry, new_ticket
from carrefour.journal.keys import chain_key, use_key
from carrefour.journal.sealing import Sealer
from carrefour.journal.writer import JournalWriter
from carrefour.tables import load_all_tables

CONCURRENCY = 256


def entry() -> JournalEntry:
    return JournalEntry(
        ticket=new_ticket(), occurred_at=dt.datetime.now(dt.UTC), channel="rest",
        action="consult", client="0212344876", end_user_id="social-worker-17",
        end_user_role="social-worker", service="legal-data", niss="85073003328",
        quality_code=2, deliberation="CSSS/12/013", sources=("0200065765",), outcome="ok",
        duration_ms=2.5,
    )


async def one_round(engine: Engine, entries: int, sealer: Sealer | None) -> tuple[float, float]:
    """Entries per second, and the process's CPU time per entry in microseconds (every thread:
    the event loop, the writer's and the sealer's), which other load on the machine disturbs
    less than the wall clock."""
    writer = JournalWriter(engine, sealer=sealer)
    await writer.start()
    if sealer is not None:
        sealer.start()
    remaining = entries

    async def client() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await writer.record(entry())

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(client() for _ in range(CONCURRENCY)))
    await writer.stop()
    if sealer is not None:
        sealer.stop()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return entries / elapsed, cpu / entries * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url")
    parser.add_argument("--entries", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--every", type=int, default=10_000, help="entries per checkpoint")
    parser.add_argument("--no-checkpoints", action="store_true")
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="carrefour-bench-journal-"))
    engine = build_engine(options.database_url or f"sqlite:///{folder / 'hub.sqlite3'}")
    load_all_tables()
    metadata.drop_all(engine)
    metadata.create_all(engine)
    settings = replace(JournalSettings.in_folder(folder), checkpoint_every=options.every)
    use_key(engine, chain_key(settings, create=True))
    rates, cpus = [], []
    for number in range(1, options.rounds + 1):
        sealer = None if options.no_checkpoints else Sealer.from_settings(engine, settings)
        rate, cpu = asyncio.run(one_round(engine, options.entries, sealer))
        rates.append(rate)
        cpus.append(cpu)
        print(f"round {number}: {rate:,.0f} entries/s, {cpu:.1f} µs of CPU per entry")
    sealed = settings.checkpoint_file
    lines = len(sealed.read_text().splitlines()) if sealed.exists() else 0
    print(f"best: {max(rates):,.0f} entries/s, {min(cpus):.1f} µs of CPU per entry; "
          f"{lines} checkpoints written")
    engine.dispose()


if __name__ == "__main__":
    main()
