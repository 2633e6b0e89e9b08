"""Households of the synthetic population: realistic sizes, living at real Belgian
addresses, with valid NISS numbers and names in the language of their region.

Everything is drawn from ``random.Random(seed)`` and Faker pools seeded with the same seed, and
dated relative to :data:`REFERENCE_DATE` (never today), so one seed always gives one population.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from carrefour.identification.niss import check_digits
from carrefour.simulation.population.names import (
    FOREIGN_BIRTH_PLACES,
    NamePools,
    Region,
    display_locality,
    locale_of,
    name_pools,
    pick_place,
    pick_region,
    street_name,
)

REFERENCE_DATE = dt.date(2025, 1, 1)

# Household sizes in Belgium (Statbel, rounded): a third live alone.
HOUSEHOLD_SIZES: dict[int, float] = {1: 0.34, 2: 0.31, 3: 0.15, 4: 0.13, 5: 0.05, 6: 0.02}

NATIONALITIES: dict[Region, tuple[tuple[str, ...], tuple[float, ...]]] = {
    Region.FLANDERS: (("BE", "NL", "PL", "RO", "MA", "TR"), (90, 3, 2, 2, 2, 1)),
    Region.WALLONIA: (("BE", "IT", "FR", "MA", "TR", "ES", "DE"), (88, 4, 3, 2, 1, 1, 1)),
    Region.BRUSSELS: (("BE", "FR", "MA", "IT", "RO", "PL", "ES", "PT", "CD"),
                      (66, 8, 6, 4, 4, 4, 3, 3, 2)),
}  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class Address:
    street: str
    number: str
    box: str | None
    postal_code: str
    municipality: str

    def as_dict(self) -> dict[str, str | None]:
        return {
            "street": self.street,
            "number": self.number,
            "box": self.box,
            "postal_code": self.postal_code,
            "municipality": self.municipality,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Person:
    niss: str
    last_name: str
    first_names: tuple[str, ...]
    birth_date: dt.date
    birth_place: str
    gender: str  # M or F
    nationality: str
    civil_state: str  # single, married, legally-cohabiting, divorced, widowed
    household_id: str
    relationship: str  # head, partner, child, other
    death_date: dt.date | None = None

    def age_on(self, day: dt.date) -> int:
        before_birthday = (day.month, day.day) < (self.birth_date.month, self.birth_date.day)
        return day.year - self.birth_date.year - before_birthday

    def alive_on(self, day: dt.date) -> bool:
        return self.death_date is None or self.death_date > day


@dataclass(slots=True, kw_only=True)
class Household:
    id: str
    region: Region
    address: Address
    members: list[Person] = field(default_factory=list)

    @property
    def head(self) -> Person:
        return self.members[0]


@dataclass(frozen=True, slots=True)
class Member:
    """A member to create: relationship, gender, age in years, civil state."""

    relationship: str
    gender: str
    age: int
    civil_state: str


class _Generator:
    """Draws one population; one instance per call of :func:`generate_households`."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.pools = name_pools(seed)
        self.used_niss: set[str] = set()

    def household(self, index: int, size: int) -> Household:
        region = pick_region(self.rng)
        locale = locale_of(self.rng, region)
        pools = self.pools[locale]
        nationality = self._pick(NATIONALITIES[region])
        household = Household(id=f"M{index:08d}", region=region, address=self._address(
            region, locale, pools))
        family_name = self.rng.choice(pools.last)
        for member in composition(self.rng, size):
            household.members.append(
                self._person(household, member, pools, family_name, nationality)
            )
        if size == 1:
            household.members[0] = self._maybe_deceased(household.members[0])
        return household

    def _person(self, household: Household, member: Member, pools: NamePools,
                family_name: str, nationality: str) -> Person:
        own_name = member.relationship in ("partner", "other")
        birth_date = self._birth_date(member.age)
        return Person(
            niss=self._niss(birth_date, member.gender),
            last_name=self.rng.choice(pools.last) if own_name else family_name,
            first_names=self._first_names(pools, member.gender),
            birth_date=birth_date,
            birth_place=self._birth_place(household.region, nationality, member),
            gender=member.gender,
            nationality=nationality,
            civil_state=member.civil_state,
            household_id=household.id,
            relationship=member.relationship,
        )

    def _pick(self, choices: tuple[tuple[str, ...], tuple[float, ...]]) -> str:
        return self.rng.choices(choices[0], choices[1])[0]

    def _address(self, region: Region, locale: str, pools: NamePools) -> Address:
        place = pick_place(self.rng, region)
        box_share = 0.45 if region is Region.BRUSSELS else 0.12
        box = str(self.rng.randint(1, 24)) if self.rng.random() < box_share else None
        return Address(
            street=street_name(self.rng, locale, pools),
            number=str(int(self.rng.paretovariate(1.2) * 3) + self.rng.randint(0, 9)),
            box=box,
            postal_code=place.postal_code,
            municipality=display_locality(place.locality),
        )

    def _first_names(self, pools: NamePools, gender: str) -> tuple[str, ...]:
        pool = pools.male if gender == "M" else pools.female
        count = self.rng.choices((1, 2, 3), (45, 40, 15))[0]
        names = [self.rng.choice(pool) for _ in range(count)]
        return tuple(dict.fromkeys(names))

    def _birth_date(self, age: int) -> dt.date:
        days_since_birthday = self.rng.randint(1, 364)
        last_birthday = _years_before(REFERENCE_DATE, age)
        return last_birthday - dt.timedelta(days=days_since_birthday)

    def _birth_place(self, region: Region, nationality: str, member: Member) -> str:
        if nationality != "BE" and member.age > 12 and self.rng.random() < 0.7:
            return FOREIGN_BIRTH_PLACES.get(nationality, nationality)
        return display_locality(pick_place(self.rng, region).locality)

    def _maybe_deceased(self, person: Person) -> Person:
        """Some elderly persons living alone have died; the register keeps their record."""
        if person.age_on(REFERENCE_DATE) < 75 or self.rng.random() > 0.05:
            return person
        died = REFERENCE_DATE - dt.timedelta(days=self.rng.randint(30, 3650))
        return replace(person, death_date=died, civil_state=person.civil_state)

    def _niss(self, birth_date: dt.date, gender: str) -> str:
        prefix = birth_date.strftime("%y%m%d")
        parity = 1 if gender == "M" else 0
        while True:
            serial = self.rng.randrange(1, 998)
            if serial % 2 != parity:
                continue
            first_nine = f"{prefix}{serial:03d}"
            if first_nine not in self.used_niss:
                self.used_niss.add(first_nine)
                return first_nine + check_digits(
                    first_nine, born_after_1999=birth_date.year >= 2000
                )


def composition(rng: random.Random, size: int) -> list[Member]:
    """Who lives in a household of ``size`` persons: a single, a couple, a family..."""
    if size == 1:
        return [_single(rng)]
    couple = rng.random() < (0.72 if size == 2 else 0.82)
    if couple:
        adults = _couple(rng, with_children=size > 2)
    else:
        female = rng.random() < 0.8
        adults = [Member("head", "F" if female else "M", rng.randint(24, 58),
                         rng.choice(("single", "divorced", "divorced")))]
    return adults + _dependants(rng, adults[0], size - len(adults))


def _single(rng: random.Random) -> Member:
    age = int(rng.triangular(18, 96, 58))
    if age < 30:
        state = "single"
    elif age >= 65:
        state = rng.choices(("single", "divorced", "widowed"), (25, 30, 45))[0]
    else:
        state = rng.choices(("single", "divorced", "widowed"), (55, 40, 5))[0]
    return Member("head", rng.choice("MF"), age, state)


def _couple(rng: random.Random, *, with_children: bool) -> list[Member]:
    age = rng.randint(25, 56) if with_children else int(rng.triangular(20, 92, 62))
    state = rng.choices(("married", "legally-cohabiting", "single"), (60, 25, 15))[0]
    head_gender = "M" if rng.random() < 0.7 else "F"
    partner_gender = head_gender if rng.random() < 0.03 else ("F" if head_gender == "M" else "M")
    partner_age = max(18, age + int(rng.gauss(-2 if head_gender == "M" else 2, 4)))
    return [Member("head", head_gender, age, state),
            Member("partner", partner_gender, partner_age, state)]


def _dependants(rng: random.Random, head: Member, count: int) -> list[Member]:
    dependants: list[Member] = []
    for _ in range(count):
        if rng.random() < 0.06:
            age = min(98, head.age + rng.randint(22, 35))
            dependants.append(Member("other", rng.choice("MF"), age, "widowed"))
            continue
        oldest = max(0, min(head.age - 18, 26))
        dependants.append(Member("child", rng.choice("MF"), rng.randint(0, oldest), "single"))
    return dependants


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def generate_households(persons: int, seed: int) -> Iterator[Household]:
    """Households totalling exactly ``persons`` persons (the last one may be cut short)."""
    generator = _Generator(seed)
    sizes, weights = tuple(HOUSEHOLD_SIZES), tuple(HOUSEHOLD_SIZES.values())
    remaining, index = persons, 0
    while remaining > 0:
        size = min(remaining, generator.rng.choices(sizes, weights)[0])
        index += 1
        yield generator.household(index, size)
        remaining -= size


def every_person(households: list[Household]) -> Iterator[Person]:
    for household in households:
        yield from household.members
