"""Social statuses of the synthetic population: unemployment (ONEM) and health insurance
(one mutuality per household, BIM for about one household in six)."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from carrefour.simulation.population.households import REFERENCE_DATE, Household, Person
from carrefour.simulation.population.names import Region

# About 1.5 million of Belgium's 11.5 million inhabitants had temporary unemployment in the
# Covid years (DOMAIN.md): 13 % of the whole population, drawn among those of working age.
TEMPORARY_SHARE = 0.13
COMPLETE_SHARE = 0.07  # of the persons of working age
BIM_HOUSEHOLD_SHARE = 0.17
# Households with a living wage or a disability allowance are BIM by right (about 11 % of the
# synthetic households); the others are drawn so that about 17 % of all households are BIM.
BIM_OTHERS_SHARE = 0.067
COVID_FIRST, COVID_LAST = dt.date(2020, 3, 16), dt.date(2021, 12, 31)

# Where each mutuality is strong: weights per region, in the order of the mutualities given.
MUTUALITY_WEIGHTS: dict[Region, tuple[float, ...]] = {
    Region.FLANDERS: (0.55, 0.20, 0.25),
    Region.WALLONIA: (0.35, 0.40, 0.25),
    Region.BRUSSELS: (0.30, 0.35, 0.35),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class UnemploymentPeriod:
    niss: str
    kind: str  # complete or temporary
    starts_on: dt.date
    ends_on: dt.date | None
    days: int | None
    daily_allowance_cents: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Insurance:
    niss: str
    mutuality: str  # slug of the mutuality in the simulated network
    holder_code: str
    insured_from: dt.date
    insured_until: dt.date | None
    bim: bool
    bim_since: dt.date | None
    third_party_payer: bool


def unemployment(rng: random.Random, persons: Sequence[Person]) -> list[UnemploymentPeriod]:
    """Temporary unemployment in 2020-2021 for ~13 % of all persons, complete unemployment
    for ~7 % of those of working age; periods in the order of the persons."""
    covid_workers = [p for p in persons if _working_age(p, COVID_FIRST)]
    temporary_chance = min(0.95, TEMPORARY_SHARE * len(persons) / max(1, len(covid_workers)))
    periods: list[UnemploymentPeriod] = []
    for person in persons:
        if _working_age(person, COVID_FIRST) and rng.random() < temporary_chance:
            periods.extend(_temporary_periods(rng, person.niss))
        if _working_age(person, REFERENCE_DATE) and rng.random() < COMPLETE_SHARE:
            periods.append(_complete_period(rng, person.niss))
    return periods


def _working_age(person: Person, day: dt.date) -> bool:
    return person.alive_on(day) and 18 <= person.age_on(day) <= 64


def _temporary_periods(rng: random.Random, niss: str) -> list[UnemploymentPeriod]:
    count = rng.choices((1, 2, 3), (60, 30, 10))[0]
    span = (COVID_LAST - COVID_FIRST).days
    offsets = sorted(rng.randint(0, span - 14) for _ in range(count))
    starts = [COVID_FIRST + dt.timedelta(days=offset) for offset in offsets]
    allowance = rng.randint(4_200, 7_600)
    periods: list[UnemploymentPeriod] = []
    for index, start in enumerate(starts):
        limit = starts[index + 1] - dt.timedelta(days=1) if index + 1 < count else COVID_LAST
        end = min(limit, start + dt.timedelta(days=rng.randint(13, 180)))
        if end < start:
            continue
        worked_share = rng.uniform(0.3, 1.0)  # temporary unemployment is often part-time
        days = max(1, round(((end - start).days + 1) * 5 / 7 * worked_share))
        periods.append(UnemploymentPeriod(niss=niss, kind="temporary", starts_on=start,
                                          ends_on=end, days=days, daily_allowance_cents=allowance))
    return periods


def _complete_period(rng: random.Random, niss: str) -> UnemploymentPeriod:
    allowance = rng.randint(3_400, 7_000)
    if rng.random() < 0.7:
        start = REFERENCE_DATE - dt.timedelta(days=rng.randint(20, 3 * 365))
        return UnemploymentPeriod(niss=niss, kind="complete", starts_on=start, ends_on=None,
                                  days=None, daily_allowance_cents=allowance)
    start = dt.date(2012, 1, 1) + dt.timedelta(days=rng.randint(0, 10 * 365))
    end = start + dt.timedelta(days=rng.randint(60, 700))
    return UnemploymentPeriod(niss=niss, kind="complete", starts_on=start, ends_on=end,
                              days=None, daily_allowance_cents=allowance)


def insurance(
    rng: random.Random, households: Sequence[Household], mutualities: Sequence[str],
    entitled: Callable[[Person], bool] | None = None,
) -> list[Insurance]:
    """Every person insured at one mutuality (the household's); ~17 % of households BIM: every
    household with an ``entitled`` member (a living wage, a disability allowance), and some
    others drawn."""
    insured: list[Insurance] = []
    share = BIM_HOUSEHOLD_SHARE if entitled is None else BIM_OTHERS_SHARE
    for household in households:
        weights = MUTUALITY_WEIGHTS[household.region][: len(mutualities)]
        mutuality = rng.choices(tuple(mutualities), weights)[0]
        drawn = rng.random() < share
        if entitled is not None and any(entitled(p) for p in household.members):
            drawn = True
        bim_since = _bim_since(rng) if drawn else None
        code = holder_code(household.head, bim=bim_since is not None)
        insured.extend(
            _insured(rng, person, mutuality=mutuality, code=code, bim_since=bim_since)
            for person in household.members
        )
    return insured


def _bim_since(rng: random.Random) -> dt.date:
    return dt.date(2008, 1, 1) + dt.timedelta(days=rng.randint(0, 16 * 365))


def holder_code(head: Person, *, bim: bool) -> str:
    """CT1/CT2 pair: 110 active or dependant, 130 pensioner, 140 widow(er); ends in 1 if BIM."""
    if head.age_on(REFERENCE_DATE) >= 65:
        base = 130
    elif head.civil_state == "widowed":
        base = 140
    else:
        base = 110
    code = base + 1 if bim else base
    return f"{code}/{code}"


def _insured(rng: random.Random, person: Person, *, mutuality: str, code: str,
             bim_since: dt.date | None) -> Insurance:
    adult_from = _eighteenth_birthday(person.birth_date)
    last = person.death_date or REFERENCE_DATE
    if adult_from >= last or rng.random() < 0.5:
        insured_from = person.birth_date
    else:
        span = (last - adult_from).days
        insured_from = adult_from + dt.timedelta(days=rng.randint(0, span - 1))
    bim = bim_since is not None
    return Insurance(
        niss=person.niss,
        mutuality=mutuality,
        holder_code=code,
        insured_from=insured_from,
        insured_until=person.death_date,
        bim=bim,
        bim_since=max(bim_since, person.birth_date) if bim_since else None,
        third_party_payer=bim or rng.random() < 0.08,
    )


def _eighteenth_birthday(birth_date: dt.date) -> dt.date:
    try:
        return birth_date.replace(year=birth_date.year + 18)
    except ValueError:
        return birth_date.replace(year=birth_date.year + 18, day=28)
