"""The code lists shipped with Carrefour: sectors, quality codes, end users' roles, Belgian
postal codes.

Read lazily on first use (never at import time) from the CSV files beside this module.

The quality codes' French and Dutch labels are those of the official list, which has no German;
their German labels (``label_de``) are Carrefour's own translation, in the administrative usage
of the German-speaking Community (ÖSHZ, LfA, ENSS, EGB...).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

__all__ = [
    "EndUserRole",
    "PostalCode",
    "QualityCode",
    "Sector",
    "postal_codes",
    "quality_code",
    "quality_codes",
    "role",
    "roles",
    "roles_of",
    "sector",
    "sectors",
]


@dataclass(frozen=True, slots=True)
class Sector:
    sector: int
    subsector: int
    name_fr: str
    name_nl: str


@dataclass(frozen=True, slots=True)
class QualityCode:
    sector: int | None  # None: valid in every sector
    code: int
    label_fr: str
    label_nl: str
    label_de: str


@dataclass(frozen=True, slots=True)
class EndUserRole:
    """A role an end user may act in, at an institution of the sector."""

    sector: int | None  # None: in every sector (each institution has a DPO, a security adviser)
    role: str
    label_fr: str
    label_nl: str
    label_de: str


@dataclass(frozen=True, slots=True)
class PostalCode:
    postal_code: str
    locality: str
    kind: str  # municipality, submunicipality or special
    province: str


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files(__name__).joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


@cache
def sectors() -> dict[tuple[int, int], Sector]:
    return {
        (int(r["sector"]), int(r["subsector"])): Sector(
            int(r["sector"]), int(r["subsector"]), r["name_fr"], r["name_nl"]
        )
        for r in _rows("sectors.csv")
    }


def sector(number: int, subsector: int = 0) -> Sector | None:
    return sectors().get((number, subsector))


@cache
def quality_codes() -> dict[tuple[int | None, int], QualityCode]:
    codes: dict[tuple[int | None, int], QualityCode] = {}
    for r in _rows("quality_codes.csv"):
        key_sector = int(r["sector"]) if r["sector"] else None
        codes[(key_sector, int(r["code"]))] = QualityCode(
            key_sector, int(r["code"]), r["label_fr"], r["label_nl"], r["label_de"]
        )
    return codes


def quality_code(
    sector_number: int, code: int, *, own_sector_only: bool = False
) -> QualityCode | None:
    """The quality code as valid in that sector (or in every sector, unless
    ``own_sector_only``), None if unknown."""
    table = quality_codes()
    found = table.get((sector_number, code))
    return found if found or own_sector_only else table.get((None, code))


@cache
def roles() -> dict[tuple[int | None, str], EndUserRole]:
    found: dict[tuple[int | None, str], EndUserRole] = {}
    for r in _rows("roles.csv"):
        key_sector = int(r["sector"]) if r["sector"] else None
        found[(key_sector, r["role"])] = EndUserRole(
            key_sector, r["role"], r["label_fr"], r["label_nl"], r["label_de"]
        )
    return found


def role(sector_number: int, name: str) -> EndUserRole | None:
    """The role as declared for that sector (or for every sector), None if unknown."""
    table = roles()
    return table.get((sector_number, name)) or table.get((None, name))


def roles_of(sector_number: int) -> list[EndUserRole]:
    """The roles an end user of that sector may act in, the sector's own first."""
    table = roles().values()
    return [r for r in table if r.sector == sector_number] + [r for r in table if r.sector is None]


@cache
def postal_codes() -> tuple[PostalCode, ...]:
    return tuple(
        PostalCode(r["postal_code"], r["locality"], r["kind"], r["province"])
        for r in _rows("postal_codes.csv")
    )
