"""Throughput of the journal writer alone: concurrent ``record`` calls, group-committed.

``python -m bench.journal_writer [--database-url URL] [--entries N] [--rounds R] [--every N]
[--processes P]`` (default: a fresh SQLite file). Prints entries per second for each round and
the best; the writer seals the chain with checkpoints as the hub does, every N entries
(``--no-checkpoints`` to compare). With ``--processes P``, P processes each run a writer of
their own on the same database at once, as P hub processes do (each records N entries; the
rate is all their entries over the time from the common start to the last one's end), and the
chain is verified after each round.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from multiprocessing.synchronize import Barrier
from pathlib import Path

from sqlalchemy import Engine

from bench.machine import describe_machine, load_note
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


def _one_process(url: str, folder: Path, entries: int, every: int | None,
                 barrier: Barrier, results: multiprocessing.Queue[tuple[float, float, float]]
                 ) -> None:
    """One of several writers: its own engine, key and sealer, started with the others."""
    engine = build_engine(url)
    settings = replace(JournalSettings.in_folder(folder), checkpoint_every=every or 10_000)
    use_key(engine, chain_key(settings, create=False))
    sealer = None if every is None else Sealer.from_settings(engine, settings)
    barrier.wait()
    rate, cpu = asyncio.run(one_round(engine, entries, sealer))
    results.put((time.time(), rate, cpu))
    engine.dispose()


def processes_round(url: str, folder: Path, entries: int, every: int | None, processes: int
                    ) -> tuple[float, float]:
    """All the processes' entries per second, and their mean CPU time per entry."""
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(processes + 1), context.Queue()
    workers = [context.Process(target=_one_process,
                               args=(url, folder, entries, every, barrier, results))
               for _ in range(processes)]
    for worker in workers:
        worker.start()
    barrier.wait()
    started = time.time()
    ended = [results.get(timeout=600) for _ in workers]
    for worker in workers:
        worker.join()
    elapsed = max(end for end, _, _ in ended) - started
    return processes * entries / elapsed, sum(cpu for _, _, cpu in ended) / processes


def verified(url: str, folder: Path) -> str:
    """What ``carrefour journal verify`` says of the chain."""
    done = subprocess.run(
        [str(Path(sys.executable).with_name("carrefour")), "journal", "verify"],
        capture_output=True, text=True, check=False,
        env={**os.environ, "CARREFOUR_DATABASE_URL": url, "CARREFOUR_DATA_DIR": str(folder)})
    said = (done.stdout + done.stderr).strip()
    return said.splitlines()[0] if done.returncode == 0 else f"chain NOT verified: {said[-300:]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url")
    parser.add_argument("--entries", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--every", type=int, default=10_000, help="entries per checkpoint")
    parser.add_argument("--no-checkpoints", action="store_true")
    parser.add_argument("--processes", type=int, default=1,
                        help="writers in processes of their own, at once")
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="carrefour-bench-journal-"))
    url = options.database_url or f"sqlite:///{folder / 'hub.sqlite3'}"
    engine = build_engine(url)
    load_all_tables()
    metadata.drop_all(engine)
    metadata.create_all(engine)
    settings = replace(JournalSettings.in_folder(folder), checkpoint_every=options.every)
    use_key(engine, chain_key(settings, create=True))
    print(f"{describe_machine(Path.cwd()).summary()} — {url.split(':')[0]}, "
          f"{options.processes} process(es) — {load_note()}")
    rates, cpus = [], []
    every = None if options.no_checkpoints else options.every
    for number in range(1, options.rounds + 1):
        if options.processes > 1:
            rate, cpu = processes_round(url, folder, options.entries, every, options.processes)
            chain = f"; {verified(url, folder)}"
        else:
            sealer = None if every is None else Sealer.from_settings(engine, settings)
            rate, cpu = asyncio.run(one_round(engine, options.entries, sealer))
            chain = ""
        rates.append(rate)
        cpus.append(cpu)
        print(f"round {number}: {rate:,.0f} entries/s, {cpu:.1f} µs of CPU per entry{chain}")
    sealed = settings.checkpoint_file
    lines = len(sealed.read_text().splitlines()) if sealed.exists() else 0
    print(f"best: {max(rates):,.0f} entries/s, {min(cpus):.1f} µs of CPU per entry; "
          f"{lines} checkpoints written")
    engine.dispose()


if __name__ == "__main__":
    main()
