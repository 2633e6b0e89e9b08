"""What-if: a changed rule file evaluated over the whole buffer against the rules in force,
granting nothing. For each right of either file: how many households (or persons) hold it
under each, and who would gain or lose it, by region and by province."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from carrefour.rights.domain import RuleSet
from carrefour.rights.evaluation import BufferView, Candidate, as_dict, holders, place_of


@dataclass
class Tally:
    households: int = 0
    persons: int = 0

    def add(self, candidate: Candidate) -> None:
        self.households += 1
        self.persons += candidate.size

    def as_dict(self) -> dict[str, int]:
        return {"households": self.households, "persons": self.persons}


@dataclass
class Change:
    """The holders of one right under the rules in force and under the proposed ones."""

    right: str
    before: Tally = field(default_factory=Tally)
    after: Tally = field(default_factory=Tally)
    gaining: Tally = field(default_factory=Tally)
    losing: Tally = field(default_factory=Tally)
    by_region: dict[str, Counter[str]] = field(default_factory=dict)
    by_province: dict[str, Counter[str]] = field(default_factory=dict)

    def count(self, candidate: Candidate, *, before: bool, after: bool) -> None:
        if before:
            self.before.add(candidate)
        if after:
            self.after.add(candidate)
        if before == after:
            return
        way = "gaining" if after else "losing"
        (self.gaining if after else self.losing).add(candidate)
        region, province = place_of(candidate.postal_code)
        for table, name in ((self.by_region, region), (self.by_province, province)):
            counter = table.setdefault(name, Counter())
            counter[f"households_{way}"] += 1
            counter[f"persons_{way}"] += candidate.size

    def as_dict(self) -> dict[str, Any]:
        return {
            "right": self.right, "in_force": self.before.as_dict(),
            "proposed": self.after.as_dict(), "gaining": self.gaining.as_dict(),
            "losing": self.losing.as_dict(),
            "by_region": {k: as_dict(v) for k, v in sorted(self.by_region.items())},
            "by_province": {k: as_dict(v) for k, v in sorted(self.by_province.items())},
        }


def simulate(view: BufferView, in_force: RuleSet, proposed: RuleSet) -> dict[str, Any]:
    """The changes the proposed rules would make on the view's day (nothing is granted)."""
    names = [r.name for r in in_force.rules]
    names += [r.name for r in proposed.rules if r.name not in names]
    changes = {name: Change(name) for name in names}
    now = {c.key: (c, r) for c, r in holders(view, in_force)}
    then = {c.key: (c, r) for c, r in holders(view, proposed)}
    for key in now.keys() | then.keys():
        candidate = (now.get(key) or then[key])[0]
        before, after = now.get(key, (None, set()))[1], then.get(key, (None, set()))[1]
        for name in before | after:
            changes[name].count(candidate, before=name in before, after=name in after)
    return {"date": view.day.isoformat(), "households": view.households,
            "persons": view.persons, "rights": [changes[n].as_dict() for n in names]}
