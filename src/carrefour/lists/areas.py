"""Where a postal code lies: its municipality (a sub-municipality belongs to the municipality
with the nearest postal code at or below its own: 6001 Marcinelle to 6000 Charleroi) and its
region, from the shipped Belgian postal-code list. Read lazily, never at import time."""

from __future__ import annotations

import bisect
from functools import cache

from carrefour.reference import postal_codes
from carrefour.rights.evaluation import place_of

MUNICIPALITY, REGION = "municipality", "region"
AREAS = (MUNICIPALITY, REGION)


@cache
def _seats() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The postal codes of the municipalities' seats, sorted, and their names."""
    seats = sorted((c.postal_code, c.locality) for c in postal_codes()
                   if c.kind == "municipality")
    return tuple(code for code, _ in seats), tuple(name for _, name in seats)


def municipality_of(postal_code: str | None) -> str | None:
    """The municipality (its name, as the list writes it) of a postal code; None: unknown."""
    if not postal_code:
        return None
    codes, names = _seats()
    index = bisect.bisect_right(codes, postal_code) - 1
    return names[index] if index >= 0 else None


def area_of(area: str, postal_code: str | None) -> str | None:
    """The key of the area of that kind a postal code lies in (None: not known)."""
    if area == MUNICIPALITY:
        return municipality_of(postal_code)
    region, _ = place_of(postal_code)
    return None if region == "unknown" else region
