"""The deterministic synthetic population of the simulated network, for a seed: households,
persons, unemployment periods and health insurance. Pure: no database, no clock."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from carrefour.simulation.network import mutualities
from carrefour.simulation.population.dossiers import disabled, living_wage
from carrefour.simulation.population.households import (
    REFERENCE_DATE,
    Address,
    Household,
    Person,
    generate_households,
)
from carrefour.simulation.population.statuses import (
    Insurance,
    UnemploymentPeriod,
    insurance,
    unemployment,
)

__all__ = [
    "REFERENCE_DATE",
    "Address",
    "Household",
    "Insurance",
    "Person",
    "Population",
    "UnemploymentPeriod",
    "generate_population",
]

Progress = Callable[[str, int, int], None]
"""Called as ``progress(step, done, total)`` while a long task advances (done of total)."""


@dataclass(frozen=True, slots=True)
class Population:
    households: tuple[Household, ...]
    persons: tuple[Person, ...]
    unemployment: tuple[UnemploymentPeriod, ...]
    insurance: tuple[Insurance, ...]

    def household(self, household_id: str) -> Household:
        index = int(household_id.removeprefix("M")) - 1
        return self.households[index]


def _bim_by_right(person: Person) -> bool:
    """A living wage or a disability allowance gives the increased reimbursement (BIM)."""
    return living_wage(person) or disabled(person)


def generate_population(
    *, persons: int, seed: int, mutuality_slugs: Sequence[str] | None = None,
    progress: Progress | None = None,
) -> Population:
    """The population of ``persons`` persons drawn for ``seed``: the same seed, the same one."""
    households: list[Household] = []
    done = 0
    for household in generate_households(persons, seed):
        households.append(household)
        done += len(household.members)
        if progress and len(households) % 1_000 == 0:
            progress("population", done, persons)
    if progress:
        progress("population", persons, persons)
    everyone = tuple(person for household in households for person in household.members)
    rng = random.Random(f"statuses:{seed}")
    slugs = list(mutuality_slugs or [m.slug for m in mutualities()])
    return Population(
        households=tuple(households),
        persons=everyone,
        unemployment=tuple(unemployment(rng, everyone)),
        insurance=tuple(insurance(rng, households, slugs, entitled=_bim_by_right)),
    )
