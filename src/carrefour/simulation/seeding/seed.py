"""Seeding the simulated network: the sources' databases and the hub's directory, consistent
with each other, from one synthetic population.

``seed_network`` is deterministic for a seed and a day: the same seed writes the same source
databases and the same directory rows (and the same demo secrets and source tokens).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from carrefour.directory.files import load_reference_file
from carrefour.simulation.demo.files import cpas_files, examples
from carrefour.simulation.network import SOURCES, SimulatedInstitution, endpoint
from carrefour.simulation.population.dossiers_social import job_seekers
from carrefour.simulation.population.population import Population, Progress, generate_population
from carrefour.simulation.seeding.directory_seed import (
    DemoCredentials,
    demo_credentials,
    source_token,
    write_directory,
)
from carrefour.simulation.seeding.sources_db import (
    clear_database,
    source_rows,
    write_source,
    writer_engine,
)
from carrefour.simulation.seeding.statuses_seed import load_status_buffer

DEFAULT_BASE_PORT = 8100


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceDatabase:
    """Where a simulated source keeps its data, and how to start it."""

    slug: str
    kind: str
    name: str
    number: int | None
    database_url: str
    endpoint: str
    port: int
    token: str
    rows: Mapping[str, int]


@dataclass(frozen=True, slots=True, kw_only=True)
class SeedReport:
    seed: int
    persons: int
    households: int
    unemployment_periods: int
    bim_persons: int
    institutions: int
    integrations: int
    cpas_files: int
    sources: tuple[SourceDatabase, ...]
    credentials: tuple[DemoCredentials, ...]
    examples: Mapping[str, str]
    reference_loaded: tuple[int, int] | None = None  # deliberations, availability rows
    statuses: Mapping[str, int] = field(default_factory=dict)  # rows of the status buffer
    seconds: Mapping[str, float] = field(default_factory=dict)


def source_database_url(sources_dir: Path, member: SimulatedInstitution) -> str:
    return f"sqlite:///{sources_dir / (member.slug + '.sqlite3')}"


def seed_network(
    *,
    hub_engine: Engine,
    sources_dir: Path | None = None,
    source_urls: Mapping[str, str] | None = None,
    persons: int,
    seed: int,
    base_port: int = DEFAULT_BASE_PORT,
    today: dt.date | None = None,
    load_reference: bool = True,
    reference_file: Path | None = None,
    progress: Progress | None = None,
) -> SeedReport:
    """Write every simulated source's database and the hub's directory for ``persons`` persons.

    A source's database is ``source_urls[slug]`` or a SQLite file ``{sources_dir}/{slug}.sqlite3``.
    With ``load_reference`` the deliberations and availability rows are loaded too
    (``reference_file``, or the one shipped with the catalogue).
    """
    today = today or dt.date.today()
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    population = generate_population(persons=persons, seed=seed, progress=progress)
    timings["population"] = _lap(clock)
    clock = time.perf_counter()
    sources = tuple(
        _write_source(member, population, _url(member, sources_dir, source_urls),
                      seed=seed, base_port=base_port, progress=progress)
        for member in SOURCES
    )
    timings["sources"] = _lap(clock)
    return _seed_directory(hub_engine, population, sources, seed=seed, base_port=base_port,
                           today=today, timings=timings, progress=progress,
                           reference=(load_reference, reference_file))


def _seed_directory(
    hub_engine: Engine, population: Population, sources: tuple[SourceDatabase, ...], *,
    seed: int, base_port: int, today: dt.date, timings: dict[str, float],
    progress: Progress | None, reference: tuple[bool, Path | None],
) -> SeedReport:
    clock = time.perf_counter()
    files = cpas_files(population, seed=seed, today=today)
    seekers = tuple(job_seekers(population))
    total = len(population.insurance) + len(files) + len(seekers)
    advance = _advance(progress, "directory", total)
    ids, written = write_directory(hub_engine, population, files, seekers, seed=seed,
                                   base_port=base_port, today=today, advance=advance)
    issued = demo_credentials(hub_engine, ids, seed=seed)
    loaded = _load_reference(hub_engine, *reference)
    timings["directory"] = _lap(clock)
    clock = time.perf_counter()
    buffer = load_status_buffer(hub_engine, population)
    timings["statuses"] = _lap(clock)
    return SeedReport(
        seed=seed, persons=len(population.persons), households=len(population.households),
        unemployment_periods=len(population.unemployment),
        bim_persons=sum(1 for i in population.insurance if i.bim),
        institutions=len(ids), integrations=written, cpas_files=len(files),
        sources=sources, credentials=tuple(issued),
        examples=examples(population, files, today), reference_loaded=loaded,
        statuses=buffer, seconds=timings,
    )


def _write_source(
    member: SimulatedInstitution, population: Population, url: str, *, seed: int,
    base_port: int, progress: Progress | None,
) -> SourceDatabase:
    rows = source_rows(member, population)
    clear_database(url)
    engine = writer_engine(url)
    try:
        written = write_source(engine, member.kind, rows,
                               _advance(progress, f"source {member.slug}", None))
    finally:
        engine.dispose()
    assert member.port_offset is not None
    return SourceDatabase(
        slug=member.slug, kind=member.kind, name=member.display_name, number=member.number,
        database_url=url, endpoint=endpoint(member, base_port=base_port),
        port=base_port + member.port_offset, token=source_token(seed, member), rows=written,
    )


def _url(member: SimulatedInstitution, sources_dir: Path | None,
         source_urls: Mapping[str, str] | None) -> str:
    if source_urls and member.slug in source_urls:
        return source_urls[member.slug]
    if sources_dir is None:
        raise ValueError(f"no database for the source {member.slug}: give sources_dir or "
                         "its URL in source_urls")
    return source_database_url(sources_dir, member)


def _advance(progress: Progress | None, step: str, total: int | None
             ) -> Callable[[int], None] | None:
    if progress is None:
        return None
    done = 0

    def advance(count: int) -> None:
        nonlocal done
        done += count
        progress(step, done, total if total is not None else 0)

    return advance


def _load_reference(engine: Engine, load: bool, path: Path | None) -> tuple[int, int] | None:
    if not load:
        return None
    return load_reference_file(engine, path)


def _lap(start: float) -> float:
    return round(time.perf_counter() - start, 3)
