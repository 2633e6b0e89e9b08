"""Fixtures of the simulation tests: one population, and its sources served over HTTP."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from carrefour.simulation.network import SOURCES, SimulatedInstitution
from carrefour.simulation.population.population import Population, generate_population
from carrefour.simulation.seeding.directory_seed import source_token
from carrefour.simulation.seeding.seed import source_database_url
from carrefour.simulation.seeding.sources_db import (
    insert_chunks,
    name_key_rows,
    source_rows,
    write_source,
    writer_engine,
)
from carrefour.simulation.sources import schema
from carrefour.simulation.sources.app import create_source_app
from tests.people import niss
from tests.servers import serving

SEED = 2024
PERSONS = 2_000

# A person added by hand to the National Register, for the phonetic search.
DUPONT = {
    "niss": niss(dt.date(1961, 4, 12), 17),
    "last_name": "Dupont",
    "first_names": ["Jean", "Marie"],
    "birth_date": dt.date(1961, 4, 12),
    "birth_place": "Namur",
    "gender": "M",
    "nationality": "BE",
    "civil_state": "single",
    "street": "Rue de Fer",
    "house_number": "12",
    "box": None,
    "postal_code": "5000",
    "municipality": "Namur",
    "death_date": None,
    "household_id": "M99999999",
    "relationship": "head",
}


@pytest.fixture(scope="session")
def population() -> Population:
    return generate_population(persons=PERSONS, seed=SEED)


@pytest.fixture(scope="session")
def source_urls(population: Population, tmp_path_factory: pytest.TempPathFactory
                ) -> dict[str, str]:
    """Every simulated source's SQLite database, written once for the session."""
    folder = tmp_path_factory.mktemp("sources")
    urls = {}
    for member in SOURCES:
        urls[member.slug] = url = source_database_url(folder, member)
        engine = writer_engine(url)
        write_source(engine, member.kind, source_rows(member, population))
        if member.slug == "national-register":
            _add_dupont(url)
        engine.dispose()
    return urls


def _add_dupont(url: str) -> None:
    engine = writer_engine(url)
    with engine.begin() as connection:
        connection.execute(schema.persons.insert(), [DUPONT])
        existing = {row.last_name for row in connection.execute(
            schema.phonetic_keys.select().where(schema.phonetic_keys.c.last_name == "Dupont"))}
        if not existing:
            insert_chunks(connection, schema.phonetic_keys, name_key_rows(["Dupont"]))
    engine.dispose()


@pytest.fixture(scope="session")
def sources(source_urls: dict[str, str]) -> Iterator[dict[str, str]]:
    """Base URL of each simulated source (by slug), served by uvicorn on a free port."""
    with ExitStack() as stack:
        yield {
            member.slug: stack.enter_context(serving(source_app(member, source_urls)))
            for member in SOURCES
        }


def source_app(member: SimulatedInstitution, urls: dict[str, str]) -> Any:
    return create_source_app(member.kind, database_url=urls[member.slug], token=token(member),
                             name=member.display_name, number=member.number)


def token(member: SimulatedInstitution) -> str:
    return source_token(SEED, member)
