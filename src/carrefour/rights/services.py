"""Use cases of derived rights: the rules in force, the what-if of a changed rule file, and a
granting institution's beneficiaries on a date (checked like a consultation, journaled; for a
right of finality ``integration``, only among the persons the institution integrated)."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from carrefour.auth.services import Caller, Scope
from carrefour.directory.cache import ReferenceCache
from carrefour.directory.repository import customers_on
from carrefour.errors import InvalidInput, NoDeliberation, NotFound
from carrefour.journal.recorded import Act, Stamp, Ticketed, journaled
from carrefour.journal.writer import JournalWriter
from carrefour.rights.domain import INTEGRATION, Rule, RuleSet, parse_rules
from carrefour.rights.evaluation import holders, view_on
from carrefour.rights.grants import DERIVED_RIGHTS, deliberation_for
from carrefour.rights.whatif import simulate
from carrefour.statuses import repository

RULES_ENV = "CARREFOUR_RIGHTS_RULES"  # a rule file replacing the one shipped
MAX_PAGE = 1_000
CHUNK = 500  # customers evaluated per query


def rules_in_force() -> RuleSet:
    """The rules of ``$CARREFOUR_RIGHTS_RULES``, or those shipped with the hub."""
    path = os.environ.get(RULES_ENV)
    if path:
        return parse_rules(read_rule_file(Path(path)))
    text = resources.files("carrefour.rights").joinpath("rules.toml").read_text("utf-8")
    return parse_rules(text)


def read_rule_file(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidInput(f"The rule file {path} cannot be read: {error}.") from None


def what_if(engine: Engine, proposed: RuleSet, in_force: RuleSet, day: dt.date
            ) -> dict[str, Any]:
    """The proposed rules against those in force over the whole buffer; grants nothing."""
    with engine.connect() as connection:
        view = view_on(connection, day)
    return simulate(view, in_force, proposed)


class Rights:
    def __init__(self, *, engine: Engine, reference_cache: ReferenceCache,
                 journal: JournalWriter, rules: RuleSet,
                 today: Callable[[], dt.date] = dt.date.today) -> None:
        self._engine = engine
        self._reference = reference_cache
        self._journal = journal
        self.rules = rules
        self._today = today

    async def simulate(self, text: str, against: str | None, day: dt.date | None
                       ) -> dict[str, Any]:
        """What-if (the caller is an operator, checked and journaled by the entry point)."""
        proposed = parse_rules(text)
        in_force = parse_rules(against) if against is not None else self.rules
        return await asyncio.to_thread(what_if, self._engine, proposed, in_force,
                                       day or self._today())

    async def beneficiaries(self, caller: Caller, right: str, *, day: dt.date | None,
                            after: str | None, limit: int) -> Ticketed[dict[str, Any]]:
        """The holders of a right on a date, for an institution of its granting kind with a
        valid deliberation; only the fields the deliberation gives."""
        snapshot = await self._reference.current()
        institution = snapshot.institution(caller.institution_id)
        act = Act(channel="rest", action="list-beneficiaries", client=institution.cbe,
                  end_user_id=None, end_user_role=None, service=DERIVED_RIGHTS, niss=None)

        async def work(stamp: Stamp) -> dict[str, Any]:
            caller.require(Scope.CONSULT)
            if not 1 <= limit <= MAX_PAGE:
                raise InvalidInput(f"limit must be between 1 and {MAX_PAGE}.")
            rule = self.rules.get(right)
            if rule is None:
                raise NotFound(f"There is no right {right!r}.")
            when = day or self._today()
            if institution.kind != rule.granted_by:
                raise NoDeliberation(f"The right {right!r} is granted by a {rule.granted_by}, "
                                     f"not a {institution.kind}.")
            grant = deliberation_for(snapshot, rule, institution.kind, when)
            if rule.finality == INTEGRATION:  # only its own customers
                page = await asyncio.to_thread(self._customers_page, rule, institution.id,
                                               grant.quality_codes, when, after, limit)
            else:
                page = await asyncio.to_thread(self._page, right, when, after, limit)
            return {"right": right, "date": when.isoformat(),
                    "households": [{k: v for k, v in h.items() if k in grant.fields}
                                   for h in page["households"]],
                    "next": page["next"]}

        return await journaled(self._journal, act, work)

    def _page(self, right: str, day: dt.date, after: str | None, limit: int
              ) -> dict[str, Any]:
        with self._engine.connect() as connection:
            view = view_on(connection, day)
            keys = sorted(c.key for c, rights in holders(view, self.rules) if right in rights
                          and (after is None or c.key > after))
            found = {c.key: c for c in view.candidates}
            page = keys[:limit]
            households = [self._holder(connection, found[k], right, day) for k in page]
        return {"households": households, "next": page[-1] if len(keys) > limit else None}

    def _customers_page(self, rule: Rule, institution_id: int, codes: frozenset[int],
                        day: dt.date, after: str | None, limit: int) -> dict[str, Any]:
        """The holders of a right of finality ``integration`` among the persons the
        institution integrated (keys ``person:NISS``), evaluated on their own statuses."""
        with self._engine.connect() as connection:
            customers = [n for n in customers_on(connection, institution_id, codes, day)
                         if after is None or f"person:{n}" > after]
            found: list[dict[str, Any]] = []
            for start in range(0, len(customers), CHUNK):
                found += self._holding(connection, rule, customers[start:start + CHUNK], day)
                if len(found) > limit:
                    break
        page = found[:limit]
        return {"households": page,
                "next": page[-1]["household_id"] if len(found) > limit else None}

    def _holding(self, connection: Any, rule: Rule, nisses: list[str], day: dt.date
                 ) -> list[dict[str, Any]]:
        facts: dict[str, set[str]] = {n: set() for n in nisses}
        for period in repository.periods_of(connection, nisses):
            if period.active_on(day):
                facts[period.niss].add(period.status)
        return [{"household_id": f"person:{n}", "members": [n], "postal_code": None,
                 "grounds": sorted(facts[n] & rule.names)}
                for n in nisses if rule.name in self.rules.evaluate(facts[n])]

    def _holder(self, connection: Any, candidate: Any, right: str, day: dt.date
                ) -> dict[str, Any]:
        rule = self.rules.get(right)
        assert rule is not None
        if candidate.key.startswith(("person:", "person-")):
            members = [candidate.key.split(":")[-1].removeprefix("person-")]
        else:
            members = repository.members_on(connection, candidate.key, day)
        return {"household_id": candidate.key, "members": members,
                "postal_code": candidate.postal_code,
                "grounds": sorted(candidate.facts & rule.names)}
