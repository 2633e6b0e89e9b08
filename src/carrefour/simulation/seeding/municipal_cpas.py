"""One CPAS per Belgian municipality, from the shipped postal codes (about 580 municipalities).

The five CPAS of :data:`carrefour.simulation.network.CLIENTS` (with credentials and demo files)
keep their rows; every other municipality gets a CPAS of its own in the directory, serving the
municipality's postal codes and those of its sub-municipalities (a sub-municipality belongs to
the municipality with the nearest postal code at or below its own: 6001 Marcinelle to 6000
Charleroi). Built on demand (never at import time); deterministic, enterprise numbers valid.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterator
from functools import cache
from typing import Any

from carrefour.directory.domain import Role
from carrefour.reference import postal_codes
from carrefour.simulation.network import CLIENTS, CPAS, SimulatedInstitution
from carrefour.simulation.population.names import PROVINCES, Region, display_locality

CPAS_SECTOR, CPAS_SUBSECTOR = 17, 1


@cache
def municipal_cpas() -> tuple[SimulatedInstitution, ...]:
    """The CPAS of every municipality that no CPAS of the network serves already."""
    served = {code for member in CLIENTS if member.kind == CPAS for code in member.postal_codes}
    areas = _areas()
    chosen = [(name, codes) for name, codes in areas.items() if not served & set(codes)]
    return tuple(_cpas(index, name, codes) for index, (name, codes) in enumerate(chosen))


def _areas() -> dict[str, list[str]]:
    """The postal codes of each municipality (by name), sub-municipalities included."""
    seats = sorted((c.postal_code, c.locality) for c in postal_codes()
                   if c.kind == "municipality" and c.province in PROVINCES)
    codes = [code for code, _ in seats]
    areas: dict[str, list[str]] = {}
    for code, name in seats:
        areas.setdefault(name, []).append(code)
    for place in postal_codes():
        if place.kind != "submunicipality" or place.postal_code in codes:
            continue
        index = bisect.bisect_right(codes, place.postal_code) - 1
        if index >= 0:
            owner = areas[seats[index][1]]
            if place.postal_code not in owner:
                owner.append(place.postal_code)
    return areas


def _cpas(index: int, locality: str, codes: list[str]) -> SimulatedInstitution:
    name = display_locality(locality)
    base = 3_000_000 + index
    province = next(c.province for c in postal_codes() if c.postal_code == codes[0])
    french = PROVINCES[province] is not Region.FLANDERS
    return SimulatedInstitution(
        slug=f"cpas-{codes[0]}", kind=CPAS, cbe=f"{base:08d}{97 - base % 97:02d}",
        name_fr=f"CPAS de {name}", name_nl=name if french else f"OCMW {name}",
        name_de=f"ÖSHZ {name}",
        sector=CPAS_SECTOR, subsector=CPAS_SUBSECTOR, role=Role.CLIENT,
        postal_codes=tuple(codes),
    )


def municipal_rows(now: dt.datetime) -> Iterator[tuple[SimulatedInstitution, dict[str, Any]]]:
    """Directory rows of the municipal CPAS (for ``upsert_institutions``)."""
    for member in municipal_cpas():
        yield member, {
            "cbe": member.cbe, "name_fr": member.name_fr, "name_nl": member.name_nl,
            "name_de": member.name_de,
            "sector": member.sector, "subsector": member.subsector, "kind": member.kind,
            "role": member.role.value, "endpoint": None, "source_token": None,
            "postal_code": member.postal_codes[0], "active": True, "created_at": now,
        }
