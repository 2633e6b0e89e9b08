"""Granting derived rights as the statuses change, in the transaction of the change.

For every person whose statuses or household changed, the rules are evaluated for the
person's household (and for the person, for rights of scope ``person``) on the day; a right
newly held is told to the granting institutions with ``right-granted``, a right no longer held
with ``right-ended``: one mutation per holder and change, delivered to every institution of the
granting kind that subscribed, with only the fields the rule's deliberation gives it. The
``rights_granted`` table remembers what was told, so a change that changes nothing about a
right tells nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Row, bindparam, insert, select, update

from carrefour.directory.cache import ReferenceSnapshot
from carrefour.journal.recorded import Act, Stamp
from carrefour.rights.domain import HOUSEHOLD, Rule, RuleSet
from carrefour.rights.grants import granted_fields
from carrefour.rights.tables import granted
from carrefour.signal.domain import Mutation, MutationTypes, Recipient, Subscription
from carrefour.signal.expiry import HUB
from carrefour.signal.repository import Intake, store_intakes, to_subscription
from carrefour.signal.tables import subscriptions
from carrefour.statuses import repository

RIGHT_GRANTED, RIGHT_ENDED = "right-granted", "right-ended"


@dataclass(frozen=True, slots=True)
class Holder:
    """Who may hold a right: a household (or, for rights of scope person, one person)."""

    key: str
    members: tuple[str, ...]
    postal_code: str | None
    facts: frozenset[str]
    scope: str


class RightsEngine:
    def __init__(self, rules: RuleSet, types: MutationTypes) -> None:
        self.rules = rules
        self._types = types
        self._person_rules = any(r.scope != HOUSEHOLD for r in rules.rules)

    def follow(self, connection: Connection, nisses: Sequence[str],
               snapshot: ReferenceSnapshot, today: dt.date, now: dt.datetime) -> None:
        """Evaluate the rules for the persons' households and tell what changed."""
        holders = _holders(connection, nisses, today, persons=self._person_rules)
        told = _told(connection, list(holders))
        subs = _subscriptions(connection)
        remembered = _Remembered()
        intakes = [intake for holder in holders.values()
                   for rule in self.rules.rules
                   if (intake := self._transition(remembered, holder, rule, told, subs,
                                                  snapshot, today)) is not None]
        remembered.store(connection)
        if intakes:
            store_intakes(connection, intakes, snapshot=snapshot, today=today, now=now)

    def _transition(self, remembered: _Remembered, holder: Holder, rule: Rule,
                    told: Mapping[tuple[str, str], Row[Any]], subs: Sequence[Subscription],
                    snapshot: ReferenceSnapshot, today: dt.date) -> Intake | None:
        if rule.scope != holder.scope:
            return None
        held = rule.name in self.rules.evaluate(holder.facts)
        row = told.get((rule.name, holder.key))
        if held == bool(row is not None and row.active):
            return None
        version = 1 if row is None else row.version + 1
        subject = holder.members[0] if held or row is None else row.niss
        remembered.add(rule, holder, subject, held=held, version=version, today=today,
                       new=row is None)
        kind = RIGHT_GRANTED if held else RIGHT_ENDED
        data = _notice(rule, holder, held=held, today=today)
        return self._intake(kind, rule, subject, f"{rule.name}:{holder.key}:{version}", data,
                            _recipients(rule, kind, data, subs, snapshot, today), today)

    def _intake(self, kind: str, rule: Rule, niss: str, ref: str, data: dict[str, Any],
                found: tuple[Recipient, ...], today: dt.date) -> Intake:
        act = Act(channel="signal", action="publish-mutation", client=HUB, end_user_id=None,
                  end_user_role=None, service=kind, niss=niss)
        mutation = Mutation(type=kind, niss=niss, source_ref=ref, effective_on=today, data=data)
        return Intake(kind=self._types.get(kind), mutation=mutation, source=None,
                      stamp=Stamp(act), recipients=found)


def _notice(rule: Rule, holder: Holder, *, held: bool, today: dt.date) -> dict[str, Any]:
    data: dict[str, Any] = {"right": rule.name, "household_id": holder.key,
                            "members": list(holder.members), "postal_code": holder.postal_code}
    if held:
        data["start"] = today.isoformat()
        data["grounds"] = sorted(holder.facts & rule.names)
    else:
        data["end"] = today.isoformat()
    return data


@dataclass
class _Remembered:
    """What the granting institutions are told, stored at once for the batch."""

    fresh: list[dict[str, Any]] = field(default_factory=list)
    changed: list[dict[str, Any]] = field(default_factory=list)

    def add(self, rule: Rule, holder: Holder, subject: str, *, held: bool, version: int,
            today: dt.date, new: bool) -> None:
        values = {"niss": subject, "active": held, "since": today, "version": version}
        if new:
            self.fresh.append({**values, "right_name": rule.name, "household_id": holder.key})
        else:
            self.changed.append({**values, "key_right": rule.name, "key_holder": holder.key})

    def store(self, connection: Connection) -> None:
        if self.fresh:
            connection.execute(insert(granted), self.fresh)
        if self.changed:
            connection.execute(update(granted).where(
                granted.c.right_name == bindparam("key_right"),
                granted.c.household_id == bindparam("key_holder"),
            ), self.changed)


def _recipients(rule: Rule, kind: str, data: Mapping[str, Any], subs: Sequence[Subscription],
                snapshot: ReferenceSnapshot, today: dt.date) -> tuple[Recipient, ...]:
    """Every subscribed institution of the granting kind, with the fields the rule's
    deliberation gives it (none: it gets nothing)."""
    found = []
    for subscription in subs:
        institution = snapshot.institutions.get(subscription.institution_id)
        if (subscription.mutation_type != kind or institution is None
                or not institution.active or institution.kind != rule.granted_by):
            continue
        fields = granted_fields(snapshot, rule, institution.kind, today)
        kept = {k: v for k, v in data.items() if fields and k in fields}
        if kept:
            found.append(Recipient(subscription=subscription, data=kept, quality_code=None,
                                   deliberation=rule.deliberation))
    return tuple(found)


def _subscriptions(connection: Connection) -> list[Subscription]:
    query = select(subscriptions).where(
        subscriptions.c.mutation_type.in_([RIGHT_GRANTED, RIGHT_ENDED]),
        subscriptions.c.active.is_(True))
    return [to_subscription(row) for row in connection.execute(query).mappings()]


def _holders(connection: Connection, nisses: Sequence[str], today: dt.date, *,
             persons: bool) -> dict[str, Holder]:
    """The households of the persons (and the ones they were told to hold a right in), and
    each of their members, with their statuses on the day."""
    places = repository.places_on(connection, nisses, today)
    postal = {p.household_id: p.postal_code for p in places.values()}
    ids = set(postal) | set(_told_about(connection, nisses, set(postal)))
    groups = repository.households_members(connection, ids, today)
    keys: dict[str, tuple[tuple[str, ...], str | None]] = {
        key: (tuple(groups.get(key, ())), postal.get(key)) for key in ids}
    keys.update({f"person-{n}": ((n,), None) for n in nisses if n not in places})
    facts = _facts(connection, {n for members, _ in keys.values() for n in members}, today)
    holders: dict[str, Holder] = {}
    for key, (group, code) in keys.items():
        members: tuple[str, ...] = group or ("",)
        union = frozenset(f for n in group for f in facts.get(n, ()))
        holders[key] = Holder(key, members, code, union, HOUSEHOLD)
        for niss in group if persons else ():
            holders[f"person:{niss}"] = Holder(f"person:{niss}", (niss,), code,
                                               frozenset(facts.get(niss, ())), "person")
    return holders


def _told(connection: Connection, keys: Sequence[str]) -> dict[tuple[str, str], Row[Any]]:
    """What the granting institutions were last told about these holders, per right."""
    if not keys:
        return {}
    rows = connection.execute(select(granted).where(granted.c.household_id.in_(sorted(keys))))
    return {(row.right_name, row.household_id): row for row in rows}


def _told_about(connection: Connection, nisses: Sequence[str], known: set[str]) -> list[str]:
    """Households a person was the subject of a right in, that are not the person's now."""
    query = select(granted.c.household_id).distinct().where(
        granted.c.niss.in_(sorted(set(nisses))), granted.c.active.is_(True),
        granted.c.household_id.not_like("person:%"))
    return [k for k in connection.execute(query).scalars() if k not in known]


def _facts(connection: Connection, nisses: set[str], today: dt.date) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for period in repository.periods_of(connection, nisses):
        if period.active_on(today):
            found.setdefault(period.niss, set()).add(period.status)
    return found
