"""Benchmark of the status buffer and derived rights (docs/benchmarks.md).

1. Load: the buffer loaded at seeding from the sources' files of a synthetic population
   (``load_status_buffer``: households from the National Register, RIS, BIM, temporary
   unemployment, bridging right, disability allowance), rows per second.
2. Changes: the hub (in this process, its intake group commit, journal and rules) takes
   ``social-status`` mutations at ``--rate`` per second for ``--seconds``, each about a
   person whose household held no right, so each one grants the social energy tariff to its
   household: latency from the publication to the commit of the transaction that holds the
   buffer change, its journal entries and the ``right-granted`` delivery queued for the SPF
   Economy (pull feed; pushing over HTTP is measured by ``bench.deliveries``); p50/p99.
3. What-if: the rules in force against the rules before the 2020 extension over every
   household (its own process: its peak memory is its own).

``python -m bench.statuses [--persons N] [--database-url URL]`` (default: 1,000,000 persons in
a fresh SQLite file).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, func, select

from bench.machine import describe_machine

ROOT = Path(__file__).resolve().parents[1]
BEFORE_2020 = ROOT / "docs" / "examples" / "social-energy-tariff-2019.toml"
TOKEN_SECRET = "bench-token-secret-0123456789abcdef"


def load_phase(engine: Engine, persons: int) -> dict[str, Any]:
    from carrefour.simulation.population.population import generate_population
    from carrefour.simulation.seeding.statuses_seed import load_status_buffer

    clock = time.perf_counter()
    population = generate_population(persons=persons, seed=11)
    drawn = time.perf_counter() - clock
    clock = time.perf_counter()
    counts = load_status_buffer(engine, population)
    seconds = time.perf_counter() - clock
    rows = counts["households"] + counts["statuses"]
    return {"persons": persons, "households": len(population.households),
            "population_seconds": round(drawn, 1), "load_seconds": round(seconds, 1),
            "rows": rows, "rows_per_second": round(rows / seconds), "counts": counts}


def _directory(engine: Engine) -> tuple[int, int]:
    from carrefour.directory.domain import Role
    from carrefour.directory.files import load_reference_file
    from carrefour.directory.services import InstitutionSpec, register_institution

    source = register_institution(engine, InstitutionSpec(
        cbe="0209001247", name_fr="SPP IS", name_nl="POD MI", sector=16, subsector=2,
        kind="spp-is", role=Role.SOURCE, endpoint="http://127.0.0.1:9/unused"))
    granting = register_institution(engine, InstitutionSpec(
        cbe="0209000653", name_fr="SPF Economie", name_nl="FOD Economie", sector=70,
        subsector=3, kind="spf-economy", role=Role.CLIENT, endpoint=None))
    load_reference_file(engine)
    return source.id, granting.id


def _unentitled(engine: Engine, count: int) -> list[str]:
    """Persons of households where nobody holds a status (one per household)."""
    from carrefour.statuses.tables import households, statuses

    member = households.alias("member")
    held = (select(member.c.household_id)
            .join(statuses, statuses.c.niss == member.c.niss)
            .where(member.c.household_id == households.c.household_id))
    query = (select(households.c.household_id, func.min(households.c.niss))
             .where(~held.exists())
             .group_by(households.c.household_id).limit(count))
    with engine.connect() as connection:
        return [row[1] for row in connection.execute(query)]


async def changes_phase(engine: Engine, url: str, *, rate: int, seconds: int) -> dict[str, Any]:
    from carrefour.auth.services import Caller
    from carrefour.bootstrap import build_hub
    from carrefour.config import Settings
    from carrefour.signal.delivery import DeliveryPolicy

    source_id, granting_id = _directory(engine)
    nisses = _unentitled(engine, rate * seconds)
    hub = build_hub(Settings(database_url=url, token_secret=TOKEN_SECRET), engine=engine,
                    delivery=DeliveryPolicy(enabled=False))
    spf = Caller("bench-spf", granting_id, frozenset({"consult"}))
    await hub.start()
    try:
        await hub.signal.subscribe(spf, mutation_type="right-granted", endpoint=None,
                                   batch_max=1)
        latencies = await _publish_all(hub, Caller("bench-sppis", source_id,
                                                   frozenset({"publish"})), nisses, rate)
    finally:
        await hub.stop()
    return {"rate": rate, "sent": len(nisses), **_stats(latencies),
            "right_granted_queued": _queued(engine)}


async def _publish_all(hub: Any, caller: Any, nisses: list[str], rate: int) -> list[float]:
    start = time.perf_counter()
    today = dt.date.today().isoformat()

    async def one(index: int, niss: str) -> float:
        await asyncio.sleep(max(0.0, start + index / rate - time.perf_counter()))
        body = orjson.dumps({"type": "social-status", "niss": niss, "source_id": f"b-{index}",
                             "effective_date": today, "data": {
                                 "status": "ris", "event_id": f"bench-{index}",
                                 "action": "set", "start": "2024-01-01", "end": None}})
        sent = time.perf_counter()
        await hub.signal.publish(caller, body)
        return time.perf_counter() - sent

    return list(await asyncio.gather(*(one(i, n) for i, n in enumerate(nisses))))


def _stats(latencies: list[float]) -> dict[str, Any]:
    ordered = sorted(latencies)
    return {"p50_ms": round(statistics.median(ordered) * 1000, 1),
            "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 1),
            "max_ms": round(ordered[-1] * 1000, 1)}


def _queued(engine: Engine) -> int:
    from carrefour.signal.tables import deliveries, mutations

    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(deliveries).join(
            mutations, deliveries.c.mutation_id == mutations.c.id).where(
            mutations.c.type == "right-granted")).scalar_one())


def whatif_phase(url: str) -> dict[str, Any]:
    """In its own process: ``python -m bench.statuses --whatif URL``."""
    done = subprocess.run([sys.executable, "-m", "bench.statuses", "--whatif", url],
                          capture_output=True, text=True, check=True, cwd=ROOT)
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _whatif(url: str) -> None:
    from carrefour.db import build_engine
    from carrefour.rights.domain import parse_rules
    from carrefour.rights.services import rules_in_force, what_if

    engine = build_engine(url)
    before = _rss_kib()
    clock = time.perf_counter()
    result = what_if(engine, rules_in_force(), parse_rules(BEFORE_2020.read_text()),
                     dt.date.today())
    seconds = time.perf_counter() - clock
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tariff = result["rights"][0]
    print(json.dumps({"seconds": round(seconds, 1), "peak_rss_mib": round(peak / 1024),
                      "rss_before_mib": round(before / 1024), "households": result["households"],
                      "in_force": tariff["in_force"], "proposed": tariff["proposed"],
                      "gaining": tariff["gaining"]}))


def _rss_kib() -> int:
    """The resident memory of this process now (KiB)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--rate", type=int, default=1_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--database-url")
    parser.add_argument("--whatif", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.whatif:
        _whatif(args.whatif)
        return
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'hub.sqlite3'}"
        print(json.dumps(run(url, args.persons, args.rate, args.seconds), indent=2))


def run(url: str, persons: int, rate: int, seconds: int) -> dict[str, Any]:
    from carrefour.db import build_engine
    from carrefour.migrations import upgrade

    engine = build_engine(url)
    upgrade(engine)
    machine = describe_machine(ROOT)
    loaded = load_phase(engine, persons)
    print(json.dumps({"load": loaded}), file=sys.stderr)
    whatif = whatif_phase(url)
    print(json.dumps({"whatif": whatif}), file=sys.stderr)
    changes = asyncio.run(changes_phase(engine, url, rate=rate, seconds=seconds))
    engine.dispose()
    return {"machine": machine.summary(), "commit": machine.commit,
            "date": dt.date.today().isoformat(), "load": loaded, "whatif": whatif,
            "changes": changes}


if __name__ == "__main__":
    main()
