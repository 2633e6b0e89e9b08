"""The code lists shipped with Carrefour: sectors, quality codes, Belgian postal codes.

Read lazily on first use (never at import time) from the CSV files beside this module.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

__all__ = [
    "PostalCode",
    "QualityCode",
    "Sector",
    "postal_codes",
    "quality_code",
    "quality_codes",
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
            key_sector, int(r["code"]), r["label_fr"], r["label_nl"]
        )
    return codes


def quality_code(sector_number: int, code: int) -> QualityCode | None:
    """The quality code as valid in that sector (or in every sector), None if unknown."""
    table = quality_codes()
    return table.get((sector_number, code)) or table.get((None, code))


@cache
def postal_codes() -> tuple[PostalCode, ...]:
    return tuple(
        PostalCode(r["postal_code"], r["locality"], r["kind"], r["province"])
        for r in _rows("postal_codes.csv")
    )
