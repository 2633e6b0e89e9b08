"""Evaluating rules over the whole buffer on a date: who would hold each right, by region and
province (what-if), and who holds it (a granting institution's beneficiaries). Reads only."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlalchemy import Connection

from carrefour.reference import postal_codes
from carrefour.rights.domain import HOUSEHOLD, RuleSet
from carrefour.statuses import repository

REGIONS = {
    "Anvers": "flanders", "Brabant Flamand": "flanders", "Flandre-Occidentale": "flanders",
    "Flandre-Orientale": "flanders", "Limbourg": "flanders", "Brabant Wallon": "wallonia",
    "Hainaut": "wallonia", "Liège": "wallonia", "Luxembourg": "wallonia", "Namur": "wallonia",
    "Bruxelles (19 communes)": "brussels",
}
UNKNOWN = "unknown"


@cache
def provinces() -> dict[str, str]:
    return {p.postal_code: p.province for p in postal_codes() if p.province}


def place_of(postal_code: str | None) -> tuple[str, str]:
    """(region, province) of a postal code; unknown when the code is not in the list."""
    province = provinces().get(postal_code or "")
    if province is None:
        return UNKNOWN, UNKNOWN
    return REGIONS.get(province, UNKNOWN), province


@dataclass(frozen=True, slots=True)
class Candidate:
    """A household (or a person) that holds some status on the day."""

    key: str
    size: int
    postal_code: str | None
    facts: frozenset[str]
    scope: str


@dataclass
class BufferView:
    """Who holds which status on the day, grouped by household; every household's size."""

    day: dt.date
    households: int = 0
    persons: int = 0
    candidates: list[Candidate] = field(default_factory=list)


def view_on(connection: Connection, day: dt.date) -> BufferView:
    by_person: dict[str, set[str]] = defaultdict(set)
    for niss, status in repository.all_statuses_on(connection, day):
        by_person[niss].add(status)
    sizes: Counter[str] = Counter()
    postal: dict[str, str | None] = {}
    union: dict[str, set[str]] = {}
    homes: dict[str, str] = {}
    for niss, (household_id, postal_code) in repository.all_places_on(connection, day).items():
        sizes[household_id] += 1
        postal[household_id] = postal_code
        if niss in by_person:
            union.setdefault(household_id, set()).update(by_person[niss])
            homes[niss] = household_id
    view = BufferView(day, households=len(sizes), persons=sum(sizes.values()))
    view.candidates = [Candidate(k, sizes[k], postal[k], frozenset(f), HOUSEHOLD)
                       for k, f in union.items()]
    view.candidates += _homeless(by_person, homes)
    view.candidates += [Candidate(f"person:{n}", 1, postal[homes[n]], frozenset(f), "person")
                        for n, f in by_person.items() if n in homes]
    return view


def _homeless(by_person: Mapping[str, set[str]], homes: Mapping[str, str]) -> list[Candidate]:
    """A person with statuses but no known household is a household of one."""
    found = []
    for niss, facts in by_person.items():
        if niss not in homes:
            frozen = frozenset(facts)
            found.append(Candidate(f"person-{niss}", 1, None, frozen, HOUSEHOLD))
            found.append(Candidate(f"person:{niss}", 1, None, frozen, "person"))
    return found


def holders(view: BufferView, rules: RuleSet) -> Iterator[tuple[Candidate, set[str]]]:
    """Each candidate with the rights (of its scope) it holds."""
    scopes = {r.name: r.scope for r in rules.rules}
    for candidate in view.candidates:
        rights = {r for r in rules.evaluate(candidate.facts) if scopes[r] == candidate.scope}
        if rights:
            yield candidate, rights


def as_dict(counter: Mapping[str, int]) -> dict[str, Any]:
    return dict(sorted(counter.items()))
