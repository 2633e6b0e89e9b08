"""``python -m bench.checks --database-url postgresql+psycopg://...``: the checks before routing
on PostgreSQL with a directory at Belgian scale, the hub's read against the thread-hop read it
replaced, alternating in one run.

A small network is seeded on the (emptied) database, then the directory is grown on the
server to ``--persons`` persons (``generate_series``: valid NISS numbers, one integration each
with an institution of the network, about one in twenty with a second one), indexed and
analysed. The checks of :func:`bench.catalogue.checks` — NISS, parameters, the person's
integrations, finality, deliberation, routing — then run for ``--count`` persons, in rounds
alternating the two reads of the integrations:

- **async**: the hub's read, psycopg's asynchronous connection on the event loop;
- **thread hop**: the read before it, SQLAlchemy in autocommit in a worker thread.

The target (the speed issue): p99 at most 1 ms at 11.7 million persons. Figures are printed
and added to ``docs/benchmarks.md``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import statistics
import tempfile
import time
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import Engine, bindparam, select, text

from bench import network as net
from bench.catalogue import checks
from bench.machine import describe_machine
from carrefour.db import build_engine
from carrefour.directory.domain import Integration
from carrefour.directory.reader import IntegrationReader
from carrefour.directory.repository import to_integration
from carrefour.directory.tables import integrations

REPOSITORY = Path(__file__).resolve().parent.parent
DOCUMENT = REPOSITORY / "docs" / "benchmarks.md"
BEGIN, END = "<!-- bench:checks:begin -->", "<!-- bench:checks:end -->"
HEADER = ("| date (UTC) | commit | machine | persons | integrations | read | p50 (ms) | p99 (ms) "
          "| target (p99 ≤ 1 ms) |\n|---|---|---|--:|--:|---|--:|--:|---|\n")
TARGET_MS = 1.0

# Persons born 1930-01-01 + (n % 25,000) days, serial 1 + (n / 25,000) % 997: all different,
# born before 2000, so the check digits are 97 - (first nine digits mod 97).
GROW = """
INSERT INTO integrations (niss, institution_id, quality_code, starts_on, created_at)
SELECT lpad(nine::text, 9, '0') || lpad((97 - nine % 97)::text, 2, '0'),
       CAST(:institution AS integer), 1, DATE '2020-01-01', now()
FROM (SELECT (to_char(DATE '1930-01-01' + (n % 25000)::integer, 'YYMMDD')::bigint * 1000
              + 1 + (n / 25000) % 997) AS nine
      FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS n) AS numbers
"""


class ThreadHopReader:
    """The read of a person's integrations before the asynchronous one: SQLAlchemy, in
    autocommit, in a worker thread."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._query = select(integrations).where(
            integrations.c.niss == bindparam("niss")).order_by(integrations.c.id)

    async def of(self, niss: str) -> list[Integration]:
        return await asyncio.to_thread(self._read, niss)

    def _read(self, niss: str) -> list[Integration]:
        with self._engine.connect() as connection:
            rows = connection.execute(self._query, {"niss": niss}).mappings()
            return [to_integration(row) for row in rows]

    def close(self) -> None:
        pass


def main(
    database_url: Annotated[str, typer.Option(help="An empty PostgreSQL database (emptied).")],
    persons: Annotated[int, typer.Option(min=1_000, help="Persons in the directory.")
                       ] = 11_700_000,
    count: Annotated[int, typer.Option(min=100, help="Persons checked per round.")] = 5_000,
    rounds: Annotated[int, typer.Option(min=1, help="Rounds of each read.")] = 3,
    record_figures: Annotated[bool, typer.Option("--record/--no-record")] = True,
) -> None:
    """Checks before routing at scale: the asynchronous read against the thread hop."""
    machine = describe_machine(REPOSITORY)
    with tempfile.TemporaryDirectory(prefix="carrefour-checks-") as folder:
        net.empty_database(database_url)
        net.seed(Path(folder), persons=2_000, seed=1, sample=100, database_url=database_url)
        rows, seconds = _grow(database_url, persons)
        print(f"directory: {rows:,} integrations ({seconds:.0f} s to grow and index)")
        timings = asyncio.run(_alternate(database_url, count=count, rounds=rounds))
    lines = []
    for name, samples in timings.items():
        p50, p99 = _percentile(samples, 0.5), _percentile(samples, 0.99)
        print(f"{name}: p50 {p50:.3f} ms, p99 {p99:.3f} ms (n={len(samples):,})")
        verdict = "met" if p99 <= TARGET_MS else "missed"
        lines.append(f"| {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} | `{machine.commit}` | "
                     f"{machine.summary()} | {persons:,} | {rows:,} | {name} | {p50:.3f} | "
                     f"{p99:.3f} | {verdict} |\n")
    if record_figures:
        _record("".join(lines))


def _grow(database_url: str, persons: int) -> tuple[int, float]:
    started = time.perf_counter()
    engine = build_engine(database_url)
    try:
        with engine.begin() as connection:
            institution = connection.execute(text(
                "SELECT id FROM institutions WHERE kind = 'cpas' ORDER BY id LIMIT 1")).scalar()
            other = connection.execute(text(
                "SELECT id FROM institutions WHERE kind <> 'cpas' ORDER BY id LIMIT 1")).scalar()
            connection.execute(text("DROP INDEX IF EXISTS ix_integrations_niss_institution"))
            connection.execute(text(GROW), {"institution": institution, "first": 1,
                                            "last": persons})
            connection.execute(text(GROW), {"institution": other, "first": 1,
                                            "last": persons // 20})
            connection.execute(text("CREATE INDEX ix_integrations_niss_institution "
                                    "ON integrations (niss, institution_id)"))
        with engine.connect() as connection:
            connection.execute(text("COMMIT"))
            connection.execute(text("ANALYZE integrations"))
            rows = int(connection.execute(text("SELECT count(*) FROM integrations")).scalar_one())
    finally:
        engine.dispose()
    return rows, time.perf_counter() - started


async def _alternate(database_url: str, *, count: int, rounds: int) -> dict[str, list[float]]:
    engine = build_engine(database_url)
    readers: dict[str, IntegrationReader | ThreadHopReader] = {
        "async": IntegrationReader(engine), "thread hop": ThreadHopReader(engine)}
    found: dict[str, list[float]] = {name: [] for name in readers}
    try:
        for round_ in range(rounds):
            for name, reader in readers.items():
                found[name] += await checks(engine, reader, count=count, seed=round_ + 1)
    finally:
        for reader in readers.values():
            reader.close()
        engine.dispose()
    return found


def _percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    if share == 0.5:
        return statistics.median(ordered) * 1000
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] * 1000


def _record(lines: str) -> None:
    document = DOCUMENT.read_text()
    if BEGIN not in document:
        document += ("\n## Checks before routing at Belgian scale, PostgreSQL\n\n"
                     f"{BEGIN}\n{HEADER}{END}\n")
    head, rest = document.split(END, 1)
    DOCUMENT.write_text(head + lines + END + rest)


if __name__ == "__main__":
    typer.run(main)
