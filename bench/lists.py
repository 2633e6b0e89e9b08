"""Benchmark of the lists: the seed's definition (``temporary-unemployment-bridging``) for every
CPAS and commune of the seeded network (about 590), in each format.

``python -m bench.lists [--persons N] [--database-url URL] [--formats csv,jsonl,xml,parquet]
[--profile]``

1. **network**: the directory of the seeded network (its institutions, one CPAS per
   municipality, the shipped deliberations), then N persons in households of one to five
   spread over the postal codes the CPAS serve, written straight into the status buffer
   (``executemany`` on SQLite, ``COPY`` on PostgreSQL): about 12 % of the persons with a
   temporary-unemployment period in April 2020 (one to three periods in the Covid years), about
   3.5 % with a bridging right, others with statuses the list does not select (RIS, BIM,
   complete unemployment), one person in twenty having moved house in the period.
2. **lists**: for each format, in a process of its own (its peak resident memory is its
   own), the list for April 2020 produced for every recipient through
   :func:`carrefour.lists.services.generate` — the files, their manifests, the journal entry of
   every person included and the run's entry, in one transaction: rows, files, bytes, seconds,
   rows per second, peak RSS. ``--profile`` prints the run's cProfile (top 25, cumulative).

Default: 1,000,000 persons in a fresh SQLite file under a temporary folder (deleted after).
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import json
import os
import pstats
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from bench.machine import describe_machine

ROOT = Path(__file__).resolve().parents[1]
LIST = "temporary-unemployment-bridging"
PERIOD = (dt.date(2020, 4, 1), dt.date(2020, 4, 30))
COVID_FIRST, COVID_LAST = dt.date(2020, 3, 16), dt.date(2021, 12, 31)
FORMATS = ("csv", "jsonl", "xml", "parquet")
SINCE, MOVED = dt.date(2000, 1, 1), dt.date(2020, 4, 15)
ONEM, INASTI, OTHER = "0206737484", "0208026705", "0209001247"
HOUSEHOLDS = ("niss", "since", "household_id", "postal_code", "source")
STATUSES = ("source", "event_id", "niss", "status", "starts_on", "ends_on", "cancelled",
            "effective_on", "action_rank", "source_ref")


# --- 1. the network ---------------------------------------------------------------------------
def directory(engine: Engine) -> int:
    """The seeded network's institutions and deliberations; how many receive the list."""
    from carrefour.directory.files import load_reference_file
    from carrefour.simulation.seeding.directory_seed import institution_rows, upsert_institutions
    from carrefour.simulation.seeding.municipal_cpas import municipal_rows

    now = dt.datetime.now(dt.UTC)
    with engine.begin() as connection:
        upsert_institutions(connection, institution_rows(seed=1, base_port=9000, now=now))
        upsert_institutions(connection, municipal_rows(now))
    load_reference_file(engine)
    return len(_recipients(engine))


def _recipients(engine: Engine) -> list[Any]:
    from carrefour.catalogue.model import default_catalogue
    from carrefour.directory.cache import load_snapshot
    from carrefour.lists.services import recipients_of, shipped_definitions

    definition = shipped_definitions(default_catalogue()).get(LIST)
    return recipients_of(load_snapshot(engine), definition)


def served_codes() -> list[str]:
    """The postal codes of the municipalities the CPAS of the network serve."""
    from carrefour.simulation.network import CLIENTS, CPAS
    from carrefour.simulation.seeding.municipal_cpas import municipal_cpas

    members = [*[m for m in CLIENTS if m.kind == CPAS], *municipal_cpas()]
    return sorted({code for member in members for code in member.postal_codes})


def population(persons: int, codes: list[str], *, seed: int = 12
               ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The households' rows and the statuses' rows of ``persons`` persons."""
    rng = random.Random(seed)
    memberships: list[tuple[Any, ...]] = []
    found: list[tuple[Any, ...]] = []
    number = household = 0
    while number < persons:
        household += 1
        code = rng.choice(codes)
        for _ in range(min(rng.choices((1, 2, 3, 4, 5), (35, 30, 15, 13, 7))[0],
                           persons - number)):
            number += 1
            niss = f"{number:011d}"  # the lists never check a NISS: any 11 digits do
            memberships.append((niss, SINCE, f"H{household}", code, "nr"))
            if rng.random() < 0.05:  # moved house in the period: the newest household counts
                memberships.append((niss, MOVED, f"M{number}", rng.choice(codes), "nr"))
            found.extend(_statuses_of(rng, niss))
    return memberships, found


def _statuses_of(rng: random.Random, niss: str) -> Iterator[tuple[Any, ...]]:
    draw = rng.random()
    if draw < 0.12:  # temporary unemployment in April 2020, and maybe later periods
        start = PERIOD[0] + dt.timedelta(days=rng.randint(-16, 25))
        for index in range(rng.choices((1, 2, 3), (60, 30, 10))[0]):
            end = start + dt.timedelta(days=rng.randint(13, 120))
            yield _status(ONEM, f"tu-{niss}-{index}", niss, "temporary-unemployment", start,
                          min(end, COVID_LAST))
            start = end + dt.timedelta(days=rng.randint(20, 90))
            if start > COVID_LAST:
                break
    elif draw < 0.155:  # a bridging right from the first lockdown
        start = COVID_FIRST + dt.timedelta(days=rng.randint(0, 30))
        yield _status(INASTI, f"bridging-{niss}", niss, "bridging-right", start,
                      start + dt.timedelta(days=rng.randint(30, 300)))
    elif draw < 0.18:  # temporary unemployment later in the Covid years: outside the list
        start = dt.date(2020, 10, 1) + dt.timedelta(days=rng.randint(0, 400))
        yield _status(ONEM, f"tu-{niss}-0", niss, "temporary-unemployment", start,
                      start + dt.timedelta(days=rng.randint(13, 60)))
    elif draw < 0.30:  # statuses the list does not select
        status = rng.choice(("ris", "bim", "bim", "disability-allowance"))
        yield _status(OTHER, f"{status}-{niss}", niss, status, dt.date(2015, 1, 1), None)


def _status(source: str, event_id: str, niss: str, status: str, start: dt.date,
            end: dt.date | None) -> tuple[Any, ...]:
    return (source, event_id, niss, status, start, end, False, start, 0, "bench")


def load(engine: Engine, memberships: list[tuple[Any, ...]], found: list[tuple[Any, ...]]
         ) -> None:
    """The rows straight into the buffer's tables: one executemany (SQLite) or COPY each, in
    one transaction (the engine's SQLite connections are in autocommit mode: BEGIN is ours)."""
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "sqlite":
            cursor.execute("BEGIN")
        for table, columns, rows in (("ssh_households", HOUSEHOLDS, memberships),
                                     ("ssh_statuses", STATUSES, found)):
            names = ", ".join(columns)
            if engine.dialect.name == "postgresql":
                with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join("?" * len(columns))
                cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})",
                                   [_sqlite(row) for row in rows])
        raw.commit()
        cursor.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()


def _sqlite(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """Dates as SQLAlchemy writes them on SQLite (ISO text), booleans as 0/1."""
    return tuple(v.isoformat() if isinstance(v, dt.date) else int(v) if isinstance(v, bool)
                 else v for v in row)


def network_phase(engine: Engine, persons: int) -> dict[str, Any]:
    clock = time.perf_counter()
    recipients = directory(engine)
    memberships, found = population(persons, served_codes())
    drawn = time.perf_counter() - clock
    clock = time.perf_counter()
    load(engine, memberships, found)
    return {"persons": persons, "recipients": recipients, "household_rows": len(memberships),
            "status_rows": len(found), "draw_seconds": round(drawn, 1),
            "load_seconds": round(time.perf_counter() - clock, 1)}


# --- 2. the lists -----------------------------------------------------------------------------
def lists_phase(url: str, folder: Path, fmt: str, *, profile: bool) -> dict[str, Any]:
    """In its own process: ``python -m bench.lists --produce URL --format F``."""
    command = [sys.executable, "-m", "bench.lists", "--produce", url, "--folder", str(folder),
               "--formats", fmt, *(["--profile"] if profile else [])]
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)
    if profile or done.returncode != 0:
        print(done.stderr, file=sys.stderr)
    done.check_returncode()
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _produce(url: str, folder: Path, fmt: str, *, profile: bool) -> None:
    from carrefour.catalogue.model import default_catalogue
    from carrefour.db import build_engine
    from carrefour.journal.audit import local_stamp
    from carrefour.lists.domain import Period
    from carrefour.lists.services import ListPolicy, generate, shipped_definitions
    from carrefour.signal.domain import default_mutation_types

    engine = build_engine(url)
    definitions = shipped_definitions(default_catalogue())
    policy = ListPolicy(folder=folder / "lists", retention=dt.timedelta(days=30), every=0)
    profiler = cProfile.Profile() if profile else None
    clock = time.perf_counter()
    if profiler:
        profiler.enable()
    files = generate(engine, definitions, LIST, Period.of(*PERIOD), policy=policy,
                     types=default_mutation_types(), stamp=local_stamp("bench-lists"), fmt=fmt)
    if profiler:
        profiler.disable()
    seconds = time.perf_counter() - clock
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rows = sum(f["rows"] for f in files)
    print(json.dumps({"format": fmt, "files": len(files), "rows": rows,
                      "persons": sum(f["persons"] for f in files),
                      "mib": round(sum(f["size"] for f in files) / 2**20, 1),
                      "seconds": round(seconds, 1), "rows_per_second": round(rows / seconds),
                      "peak_rss_mib": round(peak / 1024)}))
    if profiler:
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(25)
        print(text.getvalue(), file=sys.stderr)
    engine.dispose()


def run(url: str, folder: Path, persons: int, formats: list[str], *, profile: bool
        ) -> dict[str, Any]:
    from carrefour.db import build_engine
    from carrefour.migrations import upgrade

    engine = build_engine(url)
    upgrade(engine)
    machine = describe_machine(ROOT)
    network = network_phase(engine, persons)
    engine.dispose()
    print(json.dumps({"network": network}), file=sys.stderr)
    produced = []
    for fmt in formats:
        produced.append(lists_phase(url, folder, fmt, profile=profile))
        print(json.dumps(produced[-1]), file=sys.stderr)
    return {"machine": machine.summary(), "commit": machine.commit, "load": _load(),
            "date": dt.date.today().isoformat(), "network": network, "lists": produced}


def _load() -> str:
    """The load averages (1, 5, 15 minutes) at the end of the run."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--database-url", help="an empty database (default: a SQLite file)")
    parser.add_argument("--formats", default=",".join(FORMATS))
    parser.add_argument("--profile", action="store_true", help="cProfile each run")
    parser.add_argument("--produce", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args()
    formats = args.formats.split(",")
    if args.produce:
        _produce(args.produce, Path(args.folder), formats[0], profile=args.profile)
        return
    with tempfile.TemporaryDirectory(prefix="bench-lists-") as name:
        folder = Path(name)
        os.environ["CARREFOUR_DATA_DIR"] = str(folder)  # the chain key, for the processes too
        url = args.database_url or f"sqlite:///{folder / 'hub.sqlite3'}"
        print(json.dumps(run(url, folder, args.persons, formats, profile=args.profile),
                         indent=2))


if __name__ == "__main__":
    main()
