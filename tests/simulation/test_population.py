"""The synthetic population: deterministic, valid, and shaped like Belgium's."""

from __future__ import annotations

import statistics
from collections import Counter

from carrefour.identification.niss import Gender, parse_niss
from carrefour.reference import postal_codes
from carrefour.simulation.network import mutualities
from carrefour.simulation.population.households import REFERENCE_DATE
from carrefour.simulation.population.names import PROVINCES, Region, name_pools, region_of
from carrefour.simulation.population.population import Population, generate_population
from tests.simulation.conftest import PERSONS, SEED


def test_the_same_seed_gives_the_same_population(population: Population) -> None:
    again = generate_population(persons=PERSONS, seed=SEED)
    assert again == population


def test_another_seed_gives_another_population(population: Population) -> None:
    other = generate_population(persons=PERSONS, seed=SEED + 1)
    assert {p.niss for p in other.persons} != {p.niss for p in population.persons}
    names = [p.last_name for p in population.persons[:50]]
    assert [p.last_name for p in other.persons[:50]] != names


def test_the_population_has_exactly_the_persons_asked(population: Population) -> None:
    assert len(population.persons) == PERSONS
    assert len({p.niss for p in population.persons}) == PERSONS


def test_every_niss_is_valid_and_encodes_the_birth_date_and_gender(
    population: Population,
) -> None:
    for person in population.persons:
        parsed = parse_niss(person.niss)
        assert parsed.birth_date == person.birth_date
        assert parsed.gender is Gender(person.gender)


def test_household_sizes_are_plausible(population: Population) -> None:
    sizes = [len(h.members) for h in population.households]
    assert max(sizes) <= 6
    assert 2.1 <= statistics.mean(sizes) <= 2.6
    assert 0.28 <= sizes.count(1) / len(sizes) <= 0.40


def test_a_household_has_one_head_first_and_children_younger_than_their_parent(
    population: Population,
) -> None:
    for household in population.households:
        relationships = [p.relationship for p in household.members]
        assert relationships[0] == "head" and relationships.count("head") == 1
        assert relationships.count("partner") <= 1
        head_age = household.head.age_on(REFERENCE_DATE)
        for child in (p for p in household.members if p.relationship == "child"):
            assert head_age - child.age_on(REFERENCE_DATE) >= 17


def test_addresses_are_real_postal_codes_of_municipalities(population: Population) -> None:
    localities = {(c.postal_code, c.locality.casefold()) for c in postal_codes()
                  if c.kind in ("municipality", "submunicipality")}
    for household in population.households:
        address = household.address
        assert (address.postal_code, address.municipality.casefold()) in localities
        assert region_of(address.postal_code) is household.region


def test_the_regions_have_roughly_their_share_of_the_population(population: Population) -> None:
    shares = Counter(h.region for h in population.households)
    total = len(population.households)
    assert 0.50 <= shares[Region.FLANDERS] / total <= 0.66
    assert 0.24 <= shares[Region.WALLONIA] / total <= 0.38
    assert 0.06 <= shares[Region.BRUSSELS] / total <= 0.16
    assert set(PROVINCES.values()) == set(Region)


def test_names_are_in_the_language_of_the_region(population: Population) -> None:
    pools = name_pools(SEED)
    dutch, french = set(pools["nl_BE"].last), set(pools["fr_BE"].last)
    for household in population.households:
        name = household.head.last_name
        if household.region is Region.FLANDERS:
            assert name in dutch
        elif household.region is Region.WALLONIA:
            assert name in french


def test_about_13_percent_had_temporary_unemployment_in_2020_and_2021(
    population: Population,
) -> None:
    temporary = [u for u in population.unemployment if u.kind == "temporary"]
    share = len({u.niss for u in temporary}) / PERSONS
    assert 0.10 <= share <= 0.16
    assert all(u.starts_on.year in (2020, 2021) and u.ends_on is not None for u in temporary)
    assert all(u.days is not None and 0 < u.days <= (u.ends_on - u.starts_on).days + 1
               for u in temporary if u.ends_on)


def test_some_persons_are_completely_unemployed_and_only_adults(population: Population) -> None:
    complete = {u.niss for u in population.unemployment if u.kind == "complete"}
    assert 0.02 <= len(complete) / PERSONS <= 0.08
    ages = {p.niss: p.age_on(REFERENCE_DATE) for p in population.persons}
    assert all(18 <= ages[n] <= 64 for n in complete)


def test_every_person_is_insured_at_exactly_one_mutuality(population: Population) -> None:
    insured = Counter(i.niss for i in population.insurance)
    assert set(insured) == {p.niss for p in population.persons}
    assert set(insured.values()) == {1}
    slugs = {m.slug for m in mutualities()}
    assert {i.mutuality for i in population.insurance} == slugs


def test_about_17_percent_of_households_are_bim_with_all_their_members(
    population: Population,
) -> None:
    bim = {i.niss: i.bim for i in population.insurance}
    flags = [{bim[p.niss] for p in h.members} for h in population.households]
    assert all(len(f) == 1 for f in flags)  # the whole household, or nobody
    share = sum(1 for f in flags if True in f) / len(flags)
    assert 0.13 <= share <= 0.21


def test_holder_codes_are_pairs_ending_in_1_for_bim(population: Population) -> None:
    for insured in population.insurance:
        first, second = insured.holder_code.split("/")
        assert first == second and len(first) == 3
        assert first.endswith("1") is insured.bim
        assert (insured.bim_since is not None) is insured.bim
