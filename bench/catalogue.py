"""The CPAS catalogue at scale (``python -m bench.catalogue``): figures for docs/benchmarks.md.

- **checks**: inside the hub, in process, what a consultation does before routing — NISS
  parsing, parameters, the person's integrations (one indexed read), finality, deliberation,
  routing — on a seeded hub database (e.g. 1,000,000 persons); p50 / p99 of each pass;
- **search**: the National Register's phonetic search on its seeded database, in process;
- **fan-out**: the full picture through the real hub (a subprocess) with every simulated source
  (another subprocess) answering 50 ms late: latency end to end, against the slowest source.

The first two need ``--hub-url`` and ``--sources-dir`` of a seeded network (``carrefour seed``);
the fan-out seeds a small network of its own in a temporary folder.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import statistics
import time
from collections.abc import Sequence
from contextlib import suppress
from pathlib import Path
from typing import Protocol

from sqlalchemy import Engine, select, text

from carrefour.catalogue.model import default_catalogue, validate_parameters
from carrefour.db import build_engine
from carrefour.directory.cache import ReferenceCache
from carrefour.directory.domain import Integration, check_finality, find_deliberation
from carrefour.directory.reader import IntegrationReader
from carrefour.directory.tables import institutions, integrations
from carrefour.errors import CarrefourError
from carrefour.exchange.ports import SourceRequest
from carrefour.exchange.routing import route
from carrefour.identification.niss import parse_niss
from carrefour.simulation.sources.app import HANDLERS, source_engine
from carrefour.simulation.sources.protocol import Source, SourceIdentity

SERVICES = ("health-insurance", "job-seeker", "tax-assessment", "unemployment")


def percentiles(samples: Sequence[float]) -> str:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"p50 {p50 * 1000:.3f} ms, p99 {p99 * 1000:.3f} ms (n={len(ordered)})"


class Reader(Protocol):
    async def of(self, niss: str) -> list[Integration]: ...


async def checks(engine: Engine, reader: Reader, *, count: int, seed: int) -> list[float]:
    """The time of the checks before routing, for ``count`` persons of the directory, their
    integrations read by ``reader``."""
    cache = ReferenceCache(engine)
    catalogue = default_catalogue()
    with engine.connect() as connection:
        people = list(connection.execute(select(integrations.c.niss).where(
            integrations.c.id % 97 == seed % 97).limit(count * 3)).scalars())
        cpas = connection.execute(select(institutions).where(
            institutions.c.kind == "cpas")).mappings().first()
    assert cpas is not None
    random.Random(seed).shuffle(people)
    timings = []
    for index, niss in enumerate(people[:count]):
        service = catalogue.get(SERVICES[index % len(SERVICES)])
        started = time.perf_counter()
        snapshot = await cache.current()
        institution = snapshot.institution(cpas["id"])
        parsed = parse_niss(niss)
        validate_parameters(service, {})
        found = await reader.of(parsed.value)
        day = dt.date.today()
        with suppress(CarrefourError):  # most persons have no CPAS file: a refusal is a check
            check_finality(found, institution_id=institution.id, capacity=2, today=day)
        with suppress(CarrefourError):
            find_deliberation(snapshot.deliberations_by_service.get(service.name, []),
                              client_kind="cpas", capacity=2, service=service.name, today=day)
            route(service, niss_kind=parsed.kind, availability=snapshot.availability,
                  sources_by_kind=snapshot.sources_by_kind, integrations=found, today=day)
        timings.append(time.perf_counter() - started)
    return timings


def search(sources_dir: Path, *, count: int, seed: int) -> list[float]:
    """The phonetic search of the National Register for ``count`` last names it holds."""
    engine = source_engine(f"sqlite:///{sources_dir / 'national-register.sqlite3'}")
    source = Source(identity=SourceIdentity(kind="national-register", name="NR"),
                    engine=engine, handlers=HANDLERS["national-register"])
    with engine.connect() as connection:
        names = list(connection.execute(text(
            "SELECT last_name, birth_date FROM persons WHERE rowid % 499 = 7 LIMIT 5000")))
    random.Random(seed).shuffle(names)
    timings = []
    for index, (name, born) in enumerate(names[:count]):
        parameters: dict[str, object] = {"last_name": name, "max_results": 20}
        if index % 2:
            parameters["birth_date"] = str(born)[:4]
        request = SourceRequest(ticket="bench", service="search-person", version=1, niss=None,
                                parameters=parameters)
        started = time.perf_counter()
        source.answer(request)
        timings.append(time.perf_counter() - started)
    engine.dispose()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--hub-url")
    parser.add_argument("--sources-dir", type=Path)
    parser.add_argument("--count", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--fan-out", action="store_true", help="measure the fan-out too")
    options = parser.parse_args()
    if options.hub_url:
        engine = build_engine(options.hub_url)
        reader = IntegrationReader(engine)
        try:
            timings = asyncio.run(checks(engine, reader, count=options.count,
                                         seed=options.seed))
        finally:
            reader.close()
            engine.dispose()
        print("checks before routing:", percentiles(timings))
    if options.sources_dir:
        print("phonetic search:", percentiles(search(options.sources_dir,
                                                       count=min(options.count, 2_000),
                                                       seed=options.seed)))
    if options.fan_out:
        from bench.fanout import fan_out

        fan_out()


if __name__ == "__main__":
    main()
