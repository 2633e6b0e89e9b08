"""The records of the record sources: deterministic for a seed, consistent across sources, and
with shares close to the published figures; one CPAS per municipality."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from carrefour.simulation.network import CLIENTS, REGIONAL_SERVICES, SOURCES
from carrefour.simulation.population import dossiers
from carrefour.simulation.population.dossiers_social import job_seekers
from carrefour.simulation.population.population import Population, generate_population
from carrefour.simulation.seeding.municipal_cpas import municipal_cpas
from carrefour.simulation.seeding.record_rows import record_rows

PERSONS = 6_000


@pytest.fixture(scope="module")
def population() -> Population:
    return generate_population(persons=PERSONS, seed=77)


def dump(population: Population) -> Iterator[tuple[str, str, Any]]:
    for member in SOURCES:
        for table, rows in record_rows(member, population).items():
            for row in rows:
                yield member.slug, table.name, tuple(sorted(row.items()))


def test_the_same_seed_draws_the_same_records(population: Population) -> None:
    again = generate_population(persons=PERSONS, seed=77)
    other = generate_population(persons=PERSONS, seed=78)
    assert list(dump(again)) == list(dump(population))
    assert list(dump(other)) != list(dump(population))


def test_a_bridging_right_belongs_to_a_self_employed_person(population: Population) -> None:
    bridging = [p for p in population.persons if dossiers.bridging_right(p)]
    assert bridging and all(dossiers.self_employed(p) for p in bridging)
    assert 0.03 <= len(bridging) / PERSONS <= 0.05


def test_the_shares_are_close_to_the_published_figures(population: Population) -> None:
    temporary = {u.niss for u in population.unemployment if u.kind == "temporary"}
    bim = {i.niss for i in population.insurance if i.bim}
    bim_households = sum(1 for h in population.households if h.head.niss in bim)
    living_wage = sum(1 for p in population.persons if dossiers.living_wage(p))
    assert 0.11 <= len(temporary) / PERSONS <= 0.15
    assert 0.14 <= bim_households / len(population.households) <= 0.20
    assert 0.005 <= living_wage / PERSONS <= 0.025


def test_job_seekers_are_registered_at_the_service_of_their_region(
    population: Population,
) -> None:
    region = {p.niss: h.region.value for h in population.households for p in h.members}
    seekers = list(job_seekers(population))
    assert {s.service for s in seekers} == {"vdab", "forem", "actiris"}
    assert all(REGIONAL_SERVICES[region[s.niss]] == s.service for s in seekers)


def test_every_municipality_has_one_cpas() -> None:
    cpas = [*municipal_cpas(), *(c for c in CLIENTS if c.kind == "cpas")]
    assert 560 <= len(cpas) <= 600
    assert len({c.cbe for c in cpas}) == len(cpas)
    codes = [code for c in cpas for code in c.postal_codes]
    assert len(codes) == len(set(codes))  # no postal code served by two CPAS
