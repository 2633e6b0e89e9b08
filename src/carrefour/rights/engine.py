"""Granting derived rights as the statuses change, in the transaction of the change.

For every person whose statuses or household changed, the rules are evaluated for the
person's household (and for the person, for rights of scope ``person``) on the day; a right
newly held is told to the granting institutions with ``right-granted``, a right no longer held
with ``right-ended``: one mutation per holder and change, delivered to every institution of the
granting kind that subscribed, with only the fields the rule's deliberation gives it. A right
of finality ``integration`` (a client outside social security, such as the STIB) goes only to
the institutions holding an active file on the person, and to an institution that integrates
a person already holding it, at the integration. The ``rights_granted`` table remembers what
the hub holds and told, so a change that changes nothing about a right tells nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Row, bindparam, insert, select, update

from carrefour.directory.cache import ReferenceSnapshot
from carrefour.directory.domain import Institution, Integration
from carrefour.directory.repository import active_files
from carrefour.journal.recorded import Act, Stamp
from carrefour.rights.domain import HOUSEHOLD, INTEGRATION, PERSON, Rule, RuleSet
from carrefour.rights.grants import grant_for
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


Files = Mapping[str, Mapping[int, set[int]]]  # NISS -> institution id -> quality codes


@dataclass(frozen=True, slots=True)
class _Batch:
    """What every transition of one evaluation reads: the directory, the day, the granting
    institutions' subscriptions and the files they hold on the persons evaluated."""

    snapshot: ReferenceSnapshot
    today: dt.date
    subs: Sequence[Subscription]
    files: Files


class RightsEngine:
    def __init__(self, rules: RuleSet, types: MutationTypes) -> None:
        self.rules = rules
        self._types = types
        self._person_rules = any(r.scope != HOUSEHOLD for r in rules.rules)
        self._own = [r for r in rules.rules if r.finality == INTEGRATION]

    def follow(self, connection: Connection, nisses: Sequence[str],
               snapshot: ReferenceSnapshot, today: dt.date, now: dt.datetime) -> None:
        """Evaluate the rules for the persons' households and tell what changed."""
        holders = _holders(connection, nisses, today, persons=self._person_rules)
        self._tell(connection, list(holders.values()), snapshot, today, now)

    def integrated(self, connection: Connection, *, institution: Institution,
                   integration: Integration, snapshot: ReferenceSnapshot, today: dt.date,
                   now: dt.datetime) -> int:
        """An institution integrated its customer (in the transaction of the integration):
        the rights of finality ``integration`` its kind grants and the customer holds are told
        to it alone with ``right-granted`` (a change not told yet goes to every institution
        that integrated the person). How many mutations."""
        rules = [r for r in self._own if r.granted_by == institution.kind]
        if not rules or not integration.active_on(today):
            return 0
        niss = integration.niss
        holder = _holders(connection, [niss], today, persons=True)[f"person:{niss}"]
        return self._tell(connection, [holder], snapshot, today, now, rules=rules,
                          newcomer=integration)

    def _tell(self, connection: Connection, holders: Sequence[Holder],
              snapshot: ReferenceSnapshot, today: dt.date, now: dt.datetime, *,
              rules: Sequence[Rule] | None = None, newcomer: Integration | None = None) -> int:
        told = _told(connection, [h.key for h in holders])
        subs = _subscriptions(connection)
        batch = _Batch(snapshot, today, subs,
                       _files(connection, holders, self._own, subs, snapshot, today))
        remembered = _Remembered()
        intakes = []
        for holder in holders:
            for rule in rules or self.rules.rules:
                intake = self._transition(remembered, holder, rule, told, batch)
                if intake is None and newcomer is not None:
                    intake = self._welcome(holder, rule, told, batch, newcomer)
                if intake is not None:
                    intakes.append(intake)
        remembered.store(connection)
        if intakes:
            store_intakes(connection, intakes, snapshot=snapshot, today=today, now=now)
        return len(intakes)

    def _transition(self, remembered: _Remembered, holder: Holder, rule: Rule,
                    told: Mapping[tuple[str, str], Row[Any]], batch: _Batch) -> Intake | None:
        if rule.scope != holder.scope:
            return None
        held = rule.name in self.rules.evaluate(holder.facts)
        row = told.get((rule.name, holder.key))
        if held == bool(row is not None and row.active):
            return None
        version = 1 if row is None else row.version + 1
        subject = holder.members[0] if held or row is None else row.niss
        remembered.add(rule, holder, subject, held=held, version=version, today=batch.today,
                       new=row is None)
        kind = RIGHT_GRANTED if held else RIGHT_ENDED
        data = _notice(rule, holder, held=held, today=batch.today)
        found = _recipients(rule, kind, subject, data, batch, batch.files)
        if rule.finality == INTEGRATION and not found:
            return None  # nobody integrated the person: remembered, told to no one
        return self._intake(kind, rule, subject, f"{rule.name}:{holder.key}:{version}", data,
                            found, batch.today)

    def _welcome(self, holder: Holder, rule: Rule, told: Mapping[tuple[str, str], Row[Any]],
                 batch: _Batch, newcomer: Integration) -> Intake | None:
        """The right the newly integrated customer already holds, for its institution."""
        row = told.get((rule.name, holder.key))
        if (rule.scope != holder.scope or row is None or not row.active
                or rule.name not in self.rules.evaluate(holder.facts)):
            return None
        data = {**_notice(rule, holder, held=True, today=batch.today),
                "start": row.since.isoformat()}
        files = {newcomer.niss: {newcomer.institution_id: {newcomer.quality_code}}}
        found = _recipients(rule, RIGHT_GRANTED, newcomer.niss, data, batch, files)
        if not found:
            return None
        ref = f"{rule.name}:{holder.key}:{row.version}:file-{newcomer.id}"
        return self._intake(RIGHT_GRANTED, rule, newcomer.niss, ref, data, found, batch.today)

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


def _recipients(rule: Rule, kind: str, niss: str, data: Mapping[str, Any], batch: _Batch,
                files: Files) -> tuple[Recipient, ...]:
    """Every subscribed institution of the granting kind — for a right of finality
    ``integration``, only those holding an active file on the person with a quality code of the
    deliberation — with the fields the rule's deliberation gives it (none: it gets nothing)."""
    grant = grant_for(batch.snapshot, rule, rule.granted_by, batch.today)
    kept = {k: v for k, v in data.items() if grant is not None and k in grant.fields}
    if grant is None or not kept:
        return ()
    found = []
    for subscription in batch.subs:
        institution = batch.snapshot.institutions.get(subscription.institution_id)
        if (subscription.mutation_type != kind or institution is None
                or not institution.active or institution.kind != rule.granted_by):
            continue
        code = None
        if rule.finality == INTEGRATION:
            codes = files.get(niss, {}).get(institution.id, set()) & grant.quality_codes
            if not codes:
                continue
            code = min(codes)
        found.append(Recipient(subscription=subscription, data=kept, quality_code=code,
                               deliberation=rule.deliberation))
    return tuple(found)


def _files(connection: Connection, holders: Sequence[Holder], rules: Sequence[Rule],
           subs: Sequence[Subscription], snapshot: ReferenceSnapshot, today: dt.date) -> Files:
    """The files the subscribed institutions granting a right of finality ``integration``
    hold on the persons evaluated."""
    kinds = {r.granted_by for r in rules}
    ids = {s.institution_id for s in subs
           if (i := snapshot.institutions.get(s.institution_id)) is not None and i.kind in kinds}
    nisses = [h.members[0] for h in holders if h.scope == PERSON]
    if not ids or not nisses:
        return {}
    return active_files(connection, nisses, ids, today)


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
