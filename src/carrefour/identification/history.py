"""NISS history: which number replaced which, and when.

A BIS number is replaced when the person gets a National Register number (or when two BIS
numbers turn out to be one person). Replacements form chains (A → B → C) and trees (two
duplicates both replaced by C); the history of a number is every replacement connected to it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Any

from carrefour.identification.niss import Niss


@dataclass(frozen=True, kw_only=True)
class NissReplacement:
    old_niss: Niss
    new_niss: Niss
    replaced_at: dt.datetime
    reason: str


Fetch = Callable[[Collection[str]], Iterable[NissReplacement]]
"""Gives the replacements in which any of the numbers is the old or the new one."""


def connected_replacements(start: Niss, fetch: Fetch) -> list[NissReplacement]:
    """Every replacement reachable from ``start`` in either direction, oldest first."""
    seen_numbers = {start.value}
    frontier: set[str] = {start.value}
    found: dict[str, NissReplacement] = {}
    while frontier:
        for replacement in fetch(frontier):
            found[replacement.old_niss.value] = replacement
        numbers = {n.value for r in found.values() for n in (r.old_niss, r.new_niss)}
        frontier = numbers - seen_numbers
        seen_numbers |= numbers
    return sorted(found.values(), key=lambda r: (r.replaced_at, r.old_niss.value))


def as_record(replacement: NissReplacement) -> dict[str, Any]:
    """A replacement as the ``niss-history`` service and the ``niss-replaced`` mutation give it."""
    return {
        "old_niss": replacement.old_niss.value,
        "new_niss": replacement.new_niss.value,
        "replaced_at": replacement.replaced_at.isoformat(),
        "reason": replacement.reason,
    }
