"""The CPAS files of the simulation and the example persons a demonstration starts from.

Each CPAS helps a few households of its area: the applicant is integrated with quality code 2
(RIS) and the other members with code 5 (household member without aid). The demo CPAS's files
include a BIM household and a household with unemployment, so every service has a showcase.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence

from carrefour.simulation.network import CPAS, DEMO_CPAS_SLUG, NETWORK, SimulatedInstitution
from carrefour.simulation.population.dossiers import disabled, living_wage
from carrefour.simulation.population.population import Household, Person, Population
from carrefour.simulation.seeding.directory_seed import HOUSEHOLD_MEMBER, RIS, CpasFile


def demo_size(persons: int, *, demo: bool) -> int:
    """Households helped by a CPAS of the simulation."""
    if demo:
        return max(5, min(40, persons // 500))
    return max(2, min(10, persons // 2_000))


def cpas_files(population: Population, *, seed: int, today: dt.date) -> list[CpasFile]:
    """The files of every CPAS of the network (no household is helped by two CPAS)."""
    rng = random.Random(f"cpas-files:{seed}")
    statuses = _Statuses(population)
    taken: set[str] = set()
    files: list[CpasFile] = []
    for member in NETWORK:
        if member.kind != CPAS:
            continue
        demo = member.slug == DEMO_CPAS_SLUG
        count = demo_size(len(population.persons), demo=demo)
        for household, applicant in _households(population, member, rng, count, statuses,
                                                taken=taken, demo=demo, today=today):
            taken.add(household.id)
            files.extend(_files(member, household, applicant, today))
    return files


class _Statuses:
    """Who is BIM and who has unemployment periods, for choosing showcase households."""

    def __init__(self, population: Population) -> None:
        self.bim = {i.niss for i in population.insurance if i.bim}
        self.unemployed = {u.niss for u in population.unemployment}


def _households(
    population: Population, member: SimulatedInstitution, rng: random.Random, count: int,
    statuses: _Statuses, *, taken: set[str], demo: bool, today: dt.date,
) -> list[tuple[Household, Person]]:
    local = [h for h in population.households if h.address.postal_code in member.postal_codes]
    pool = [h for h in local if h.id not in taken and _applicant(h, today) is not None]
    if len(pool) < count:  # a small population: fall back on households from anywhere
        seen = taken | {h.id for h in pool}
        pool += [h for h in population.households if h.id not in seen
                 and _applicant(h, today) is not None][: count * 20]
    chosen: list[tuple[Household, Person]] = []
    if demo:
        for wanted in (statuses.bim, statuses.unemployed):
            pick = _first(pool, chosen, wanted, today)
            if pick is not None:
                chosen.append(pick)
    picked = {c[0].id for c in chosen}
    rest = [h for h in pool if h.id not in picked]
    for household in rng.sample(rest, min(len(rest), count - len(chosen))):
        applicant = _applicant(household, today)
        assert applicant is not None
        chosen.append((household, applicant))
    return chosen


def _first(pool: Sequence[Household], chosen: Sequence[tuple[Household, Person]],
           wanted: set[str], today: dt.date) -> tuple[Household, Person] | None:
    """The first household of the pool not yet chosen with an adult among ``wanted``."""
    picked = {c[0].id for c in chosen}
    for household in pool:
        if household.id in picked:
            continue
        for person in household.members:
            if person.niss in wanted and _adult_alive(person, today):
                return household, person
    return None


def _applicant(household: Household, today: dt.date) -> Person | None:
    return next((p for p in household.members if _adult_alive(p, today)), None)


def _adult_alive(person: Person, today: dt.date) -> bool:
    return person.alive_on(today) and person.age_on(today) >= 18


def _files(member: SimulatedInstitution, household: Household, applicant: Person,
           today: dt.date) -> list[CpasFile]:
    files = [CpasFile(cpas=member.slug, niss=applicant.niss, quality_code=RIS)]
    files += [CpasFile(cpas=member.slug, niss=p.niss, quality_code=HOUSEHOLD_MEMBER)
              for p in household.members if p is not applicant and p.alive_on(today)]
    return files


def examples(population: Population, files: Sequence[CpasFile], today: dt.date
             ) -> dict[str, str]:
    """NISS numbers to start a demonstration from (absent when the population has none)."""
    demo = [f.niss for f in files if f.cpas == DEMO_CPAS_SLUG and f.quality_code == RIS]
    integrated = {f.niss for f in files}
    statuses = _Statuses(population)
    bim = next((n for n in demo if n in statuses.bim), None)
    outsider = _outsider(population, integrated, statuses, today)
    found: dict[str, str] = {}
    for name, niss in (
        ("integrated", next(iter(demo[2:] or demo), None)),
        ("integrated_bim", bim),
        ("integrated_unemployed",
         next((n for n in demo if n in statuses.unemployed and n != bim), None)),
        ("not_integrated", outsider),
        ("without_right", _without_right(population, integrated | {outsider or ""}, statuses,
                                         today)),
        ("deceased", next((p.niss for p in population.persons if p.death_date), None)),
    ):
        if niss is not None:
            found[name] = niss
    return found


def _without_right(population: Population, taken: set[str], statuses: _Statuses,
                   today: dt.date) -> str | None:
    """An adult of a household no CPAS helps (nor the demo's first example person lives in)
    that holds no derived right (nobody in it has a living wage, a disability allowance or
    BIM): an A036 for them grants one."""
    for household in population.households:
        if any(p.niss in taken or p.niss in statuses.bim or living_wage(p) or disabled(p)
               for p in household.members):
            continue
        adult = _applicant(household, today)
        if adult is not None:
            return adult.niss
    return None


def _outsider(population: Population, integrated: set[str], statuses: _Statuses,
              today: dt.date) -> str | None:
    """An adult no CPAS helps, preferably one with unemployment periods and BIM."""
    candidates = [p for p in population.persons
                  if p.niss not in integrated and _adult_alive(p, today)]
    for person in candidates:
        if person.niss in statuses.unemployed and person.niss in statuses.bim:
            return person.niss
    return candidates[0].niss if candidates else None
