"""Names, streets and places of the synthetic population, consistent with the region.

Names come from Faker's ``fr_BE`` and ``nl_BE`` providers, drawn once per seed into pools (a
Faker call costs tens of microseconds; a pool pick costs nothing), so that 100,000 persons are
named in a fraction of a second and the same seed always names them alike.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from faker import Faker

from carrefour.reference import PostalCode, postal_codes


class Region(StrEnum):
    FLANDERS = "flanders"
    WALLONIA = "wallonia"
    BRUSSELS = "brussels"


PROVINCES: dict[str, Region] = {
    "Anvers": Region.FLANDERS,
    "Limbourg": Region.FLANDERS,
    "Flandre-Orientale": Region.FLANDERS,
    "Flandre-Occidentale": Region.FLANDERS,
    "Brabant Flamand": Region.FLANDERS,
    "Hainaut": Region.WALLONIA,
    "Namur": Region.WALLONIA,
    "Liège": Region.WALLONIA,
    "Luxembourg": Region.WALLONIA,
    "Brabant Wallon": Region.WALLONIA,
    "Bruxelles (19 communes)": Region.BRUSSELS,
}

# Share of the population living in each region (Statbel, rounded).
REGION_WEIGHTS: dict[Region, float] = {
    Region.FLANDERS: 0.58,
    Region.WALLONIA: 0.31,
    Region.BRUSSELS: 0.11,
}

# Share of French-speaking households; the rest are Dutch-speaking.
FRENCH_SHARE: dict[Region, float] = {
    Region.FLANDERS: 0.0,
    Region.WALLONIA: 1.0,
    Region.BRUSSELS: 0.75,
}

LOCALES = ("fr_BE", "nl_BE")
_POOL_SIZES = {"last": 2500, "male": 700, "female": 700}

_FR_STREETS = (
    "Rue de la Station", "Rue de l'Église", "Rue du Moulin", "Rue des Écoles", "Place communale",
    "Chaussée de Bruxelles", "Avenue des Tilleuls", "Rue du Château", "Rue de la Gare",
    "Rue Haute", "Rue Neuve", "Avenue Reine Astrid", "Rue des Champs", "Rue du Centre",
    "Boulevard du Souverain", "Rue Albert Ier", "Rue de la Paix", "Drève des Chênes",
)  # fmt: skip
_NL_STREETS = (
    "Kerkstraat", "Stationsstraat", "Molenstraat", "Schoolstraat", "Dorpsstraat", "Nieuwstraat",
    "Kapelstraat", "Beekstraat", "Lindelaan", "Kasteelstraat", "Veldstraat", "Markt",
    "Bosstraat", "Hoogstraat", "Steenweg", "Koningin Astridlaan", "Meersstraat", "Kouterstraat",
)  # fmt: skip
_FR_PATTERNS = ("Rue {name}", "Avenue {name}", "Rue {first} {name}", "Place {first} {name}")
_NL_PATTERNS = ("{first} {name}straat", "{name}straat", "{first} {name}laan")

FOREIGN_BIRTH_PLACES: dict[str, str] = {
    "FR": "Lille", "NL": "Rotterdam", "IT": "Palermo", "MA": "Casablanca", "TR": "Emirdağ",
    "PL": "Kraków", "RO": "București", "ES": "Madrid", "PT": "Porto", "CD": "Kinshasa",
    "DE": "Aachen",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class NamePools:
    """Names drawn from one Faker locale."""

    last: tuple[str, ...]
    male: tuple[str, ...]
    female: tuple[str, ...]


def name_pools(seed: int) -> dict[str, NamePools]:
    """Pools of names per locale, the same for the same seed."""
    return {locale: _pools(locale, seed) for locale in LOCALES}


def _pools(locale: str, seed: int) -> NamePools:
    faker = Faker(locale)
    faker.seed_instance(seed)
    return NamePools(
        last=tuple(faker.last_name() for _ in range(_POOL_SIZES["last"])),
        male=tuple(faker.first_name_male() for _ in range(_POOL_SIZES["male"])),
        female=tuple(faker.first_name_female() for _ in range(_POOL_SIZES["female"])),
    )


def street_name(rng: random.Random, locale: str, pools: NamePools) -> str:
    """A street name in the language of the locale."""
    french = locale.startswith("fr")
    if rng.random() < 0.6:
        return rng.choice(_FR_STREETS if french else _NL_STREETS)
    pattern = rng.choice(_FR_PATTERNS if french else _NL_PATTERNS)
    return pattern.format(first=rng.choice(pools.male), name=rng.choice(pools.last))


@dataclass(frozen=True, slots=True)
class Places:
    """The localities of a region and their cumulative weights, for fast weighted picks."""

    codes: tuple[PostalCode, ...]
    cumulative: tuple[float, ...]


@cache
def places() -> dict[Region, Places]:
    """Localities per region; a municipality weighs more than one of its former villages."""
    grouped: dict[Region, list[PostalCode]] = {region: [] for region in Region}
    for code in postal_codes():
        region = PROVINCES.get(code.province)
        if region is not None and code.kind in ("municipality", "submunicipality"):
            grouped[region].append(code)
    return {
        region: Places(
            tuple(codes),
            tuple(itertools.accumulate(4.0 if c.kind == "municipality" else 1.0 for c in codes)),
        )
        for region, codes in grouped.items()
    }


def pick_place(rng: random.Random, region: Region) -> PostalCode:
    found = places()[region]
    return rng.choices(found.codes, cum_weights=found.cumulative)[0]


def display_locality(locality: str) -> str:
    """Municipalities are listed in capitals (``LA LOUVIÈRE``); addresses write ``La Louvière``."""
    return locality.title() if locality.isupper() else locality


def pick_region(rng: random.Random) -> Region:
    return rng.choices(tuple(REGION_WEIGHTS), tuple(REGION_WEIGHTS.values()))[0]


def locale_of(rng: random.Random, region: Region) -> str:
    return "fr_BE" if rng.random() < FRENCH_SHARE[region] else "nl_BE"


def region_of(postal_code: str) -> Region | None:
    """The region of a postal code, None for special codes."""
    for code in postal_codes():
        if code.postal_code == postal_code and code.province in PROVINCES:
            return PROVINCES[code.province]
    return None
