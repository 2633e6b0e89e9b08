"""What a simulated source keeps of the declarations it receives (``POST /v1/declare``) and
the consultation services it answers from them (``living-wages`` / L036...).

One row per declaration, keyed by its declarant (CBE number), its type and the declarant's own
reference: sending it again changes nothing, a correction makes a new version, a cancellation
withdraws it (the row stays, in the history). Each row has the source's own ``event_id``; the
``social-status`` mutations published for it carry ``{event_id}/{version}``. Every mutation the
source owes the hub is written to its outbox (``outbox.py``) in the transaction of the change
it describes.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from carrefour.declarations import decisions
from carrefour.declarations.domain import Action, DeclarationType, default_types
from carrefour.errors import DeclarationConflict, InvalidInput, UnknownDeclaration
from carrefour.exchange.ports import SourceAnswer, SourceRequest
from carrefour.identification.niss import parse_niss
from carrefour.simulation.sources import outbox
from carrefour.simulation.sources.kinds import DECLARED_SERVICES, SPP_IS
from carrefour.simulation.sources.protocol import NOT_FOUND, Handler, SourceIdentity, found

ACCEPTED, CORRECTED, CANCELLED = "accepted", "corrected", "cancelled"
RECEIVED = "received"  # the acknowledgement of a type the source decides on later
DECISIONS = "spp-decisions"  # the consultation of the decisions (OCMWCPASListOfAttestation)
DECISION_MUTATION = "spp-decision"
RECENT_DAYS = 365  # a one-off allowance (no end date) counts as received for a year

_TABLES: dict[str, Table] = {}


def attach(metadata: MetaData, kind: str) -> None:
    """Add the declarations table to a source's metadata."""
    _TABLES[kind] = Table(
        "declarations", metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("declarant", String(10), nullable=False),
        Column("type", String(40), nullable=False),
        Column("reference", String(64), nullable=False),
        Column("niss", String(11), nullable=False, index=True),
        Column("version", Integer, nullable=False),
        Column("state", String(10), nullable=False),
        Column("data", Text, nullable=False),  # the declaration's data, as JSON
        Column("event_id", String(60), nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
        Column("ticket", String(64), nullable=True),  # the hub's ticket of the last step
        Column("decision", Text, nullable=True),  # the decision on this version, as JSON
        Column("decisions", Text, nullable=True),  # every decision taken on it, oldest first
        UniqueConstraint("declarant", "type", "reference"),
    )


def table(kind: str) -> Table:
    return _TABLES[kind]


# --- receiving ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Received:
    """What the source answers, and the status changes to publish (none: nothing changed)."""

    answer: dict[str, Any]
    changes: tuple[dict[str, Any], ...] = ()
    pending: tuple[int, int] | None = None  # (row id, version) the source decides on later


@dataclass(frozen=True, slots=True, kw_only=True)
class _Asked:
    kind: DeclarationType
    action: str
    niss: str
    declarant: str
    reference: str
    data: dict[str, Any] | None
    ticket: str | None = None


def parse_declaration(body: bytes) -> _Asked:
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise InvalidInput("The body is not valid JSON.") from None
    if not isinstance(document, dict):
        raise InvalidInput("The body must be a JSON object.")
    action = document.get("action")
    if action not in (Action.DECLARE, Action.CORRECT, Action.CANCEL):
        raise InvalidInput("The member 'action' is declare, correct or cancel.")
    data = document.get("data")
    if action != Action.CANCEL and not isinstance(data, dict):
        raise InvalidInput("The member 'data' must be a JSON object.")
    return _Asked(kind=default_types().get(str(document.get("type"))), action=action,
                  niss=parse_niss(str(document.get("niss"))).value,
                  declarant=_text(document, "declarant"), reference=_text(document, "reference"),
                  data=data if action != Action.CANCEL else None,
                  ticket=str(document.get("ticket"))[:64] if document.get("ticket") else None)


def _text(document: Mapping[str, Any], name: str) -> str:
    value = document.get(name)
    if not isinstance(value, str) or not 0 < len(value) <= 64:
        raise InvalidInput(f"The member '{name}' is required (1 to 64 characters).")
    return value


class _Raced(Exception):
    """Another request changed the declaration between this one's look-up and its write."""


RETRIES = 3


def receive(engine: Engine, kind: str, asked: _Asked, now: dt.datetime) -> Received:
    """Keep, correct or cancel a declaration, in one transaction. Requests racing on one
    reference are taken one after the other: the same first declaration sent twice at once is
    kept once (the loser answers as a resubmission), two corrections at once make two
    versions, never one lost."""
    for _ in range(RETRIES - 1):
        try:
            return _receive(engine, kind, asked, now)
        except (IntegrityError, _Raced):
            continue
    return _receive(engine, kind, asked, now)


def _receive(engine: Engine, kind: str, asked: _Asked, now: dt.datetime) -> Received:
    declarations = table(kind)
    with engine.begin() as connection:
        row = connection.execute(select(declarations).where(
            declarations.c.declarant == asked.declarant,
            declarations.c.type == asked.kind.code,
            declarations.c.reference == asked.reference)).mappings().first()
        if row is not None and row["niss"] != asked.niss:
            raise DeclarationConflict(f"The reference {asked.reference} is a declaration about "
                                      "another person.")
        received = (_first(connection, declarations, asked, now) if row is None
                    else _again(connection, declarations, dict(row), asked, now))
        if received.changes:
            outbox.record(connection, kind, list(received.changes), now)
        return received


def _first(connection: Connection, declarations: Table, asked: _Asked, now: dt.datetime
           ) -> Received:
    if asked.action != Action.DECLARE or asked.data is None:
        raise UnknownDeclaration(f"No {asked.kind.code} with the reference {asked.reference} "
                                 "was declared by this institution.")
    row = {"declarant": asked.declarant, "type": asked.kind.code,
           "reference": asked.reference, "niss": asked.niss, "version": 1, "state": ACCEPTED,
           "data": orjson.dumps(asked.data).decode(), "updated_at": now,
           "event_id": f"{asked.kind.code}-{uuid.uuid4().hex[:20]}", "ticket": asked.ticket,
           "decision": None, "decisions": None}
    inserted = connection.execute(insert(declarations).values(row)).inserted_primary_key
    row["id"] = inserted[0] if inserted else None
    return Received(_answer(row, duplicate=False, kind=asked.kind),
                    _changes(asked.kind, None, row), _pending(asked.kind, row))


def _again(connection: Connection, declarations: Table, row: dict[str, Any], asked: _Asked,
           now: dt.datetime) -> Received:
    held = orjson.loads(row["data"])
    if asked.action == Action.CANCEL and row["state"] == CANCELLED:
        return Received(_answer(row, duplicate=True, kind=asked.kind))
    if asked.action != Action.CANCEL and row["state"] == CANCELLED:
        raise DeclarationConflict(f"The {asked.kind.code} {asked.reference} was cancelled; "
                                  "declare a new one under another reference.")
    if asked.action != Action.CANCEL and asked.data == held:
        return Received(_answer(row, duplicate=True, kind=asked.kind))
    if asked.action == Action.DECLARE:
        raise DeclarationConflict(f"The {asked.kind.code} {asked.reference} was declared with "
                                  "other data; send a correction to change it.")
    state = CANCELLED if asked.action == Action.CANCEL else CORRECTED
    before = dict(row)
    changes = {"version": row["version"] + 1, "state": state, "updated_at": now,
               "data": row["data"] if asked.data is None else orjson.dumps(asked.data).decode(),
               "ticket": asked.ticket, "decision": None}
    written = connection.execute(update(declarations).where(
        declarations.c.id == row["id"], declarations.c.version == row["version"])
        .values(changes))
    if written.rowcount != 1:
        raise _Raced(asked.reference)
    row.update(changes)
    return Received(_answer(row, duplicate=False, kind=asked.kind),
                    _changes(asked.kind, before, row),
                    _pending(asked.kind, row))


def _answer(row: Mapping[str, Any], *, duplicate: bool, kind: DeclarationType
            ) -> dict[str, Any]:
    """The source's answer; a type it decides on later is only ``received`` (its decision,
    once taken, comes with the answer to a resubmission)."""
    later = kind.decision is not None and row["state"] != CANCELLED
    answer = {"state": RECEIVED if later else row["state"], "version": row["version"],
              "duplicate": duplicate, "event_id": row["event_id"]}
    if kind.decision is not None:
        answer["decision"] = orjson.loads(row["decision"]) if row.get("decision") else None
    return answer


def _pending(kind: DeclarationType, row: Mapping[str, Any]) -> tuple[int, int] | None:
    return (int(row["id"]), int(row["version"])) if kind.decision is not None else None


def _changes(kind: DeclarationType, before: Mapping[str, Any] | None,
             after: Mapping[str, Any]) -> tuple[dict[str, Any], ...]:
    """The ``social-status`` mutations of a new version, when the type carries a status (a type
    the source decides on publishes its status with its decisions instead, ``status_changes``):
    the record of the version it replaces withdrawn (``cancel``), its own given (``set``) unless
    it is a cancellation. Each version is its own record, so a correction that moves the period
    either way and a cancellation leave the buffer right in whatever order they arrive."""
    if kind.decision is not None:
        return ()
    changes = []
    withdrawn = _record(kind, before) if before is not None else None
    if withdrawn is not None:
        changes.append(_status_mutation(after["niss"], withdrawn, "cancel",
                                        source_id=f"{withdrawn['event_id']}/cancel"))
    given = _record(kind, after) if after["state"] != CANCELLED else None
    if given is not None:
        changes.append(_status_mutation(after["niss"], given, "set",
                                        source_id=given["event_id"]))
    return tuple(changes)


def _record(kind: DeclarationType, row: Mapping[str, Any]) -> dict[str, Any] | None:
    """The status record a version of a declaration gives (None: the type carries none):
    ``{status, start, end, event_id}``, the record named ``{event id}/{version}``."""
    data = orjson.loads(row["data"])
    status = kind.status.of(data) if kind.status else None
    if kind.status is None or status is None or kind.period is None:
        return None
    start = data[kind.period.start]
    end = data.get(kind.period.end) if kind.period.end else None
    return {"status": status, "start": start, "end": kind.status.end(start, end),
            "event_id": f"{row['event_id']}/{row['version']}"}


def _status_mutation(niss: str, record: Mapping[str, Any], action: str, *, source_id: str
                     ) -> dict[str, Any]:
    return {"type": "social-status", "niss": niss, "source_id": source_id,
            "effective_date": record["start"], "data": {**record, "action": action}}


def status_changes(mutation: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The ``social-status`` mutations that follow an ``spp-decision``: the record of the
    previous granted version withdrawn (``cancel``), the one of this version given (``set``)
    when granted. Each version is its own record, so a grant, a refused correction and a
    cancellation leave the buffer right whatever order they arrive in."""
    decision, niss = mutation["data"]["decision"], str(mutation["niss"])
    changes = []
    if decision.get("withdraws"):
        withdrawn = decision["withdraws"]
        changes.append(_status_mutation(niss, withdrawn, "cancel",
                                        source_id=f"{withdrawn['event_id']}/cancel"))
    if decision.get("status"):
        given = decision["status"]
        changes.append(_status_mutation(niss, given, "set", source_id=f"{given['event_id']}/set"))
    return changes


# --- deciding ----------------------------------------------------------------------------------
def decide(engine: Engine, kind: str, pending: tuple[int, int], now: dt.datetime
           ) -> list[dict[str, Any]]:
    """Decide on one version of a declaration (the rules of its type), keep the decision and
    owe the declarant its ``spp-decision`` mutation (the outbox, same transaction); then the
    declarations resting on it that it no longer holds are annulled, each a version of its
    own with its mutation. The mutations, the decision's first; none when a later version
    superseded it (that one is decided in turn)."""
    declarations = table(kind)
    row_id, version = pending
    with engine.begin() as connection:
        current = connection.execute(select(declarations).where(
            declarations.c.id == row_id)).mappings().first()
        if current is None or current["version"] != version or current["decision"] is not None:
            return []
        row = dict(current)
        declared = default_types().get(row["type"])
        decision = (decisions.cancelled() if row["state"] == CANCELLED
                    else decisions.decide(_rule(declared), _asked(connection, declarations,
                                                                  declared, row)))
        decision.update(decided_on=now.date().isoformat(), ticket=row["ticket"],
                        decision_id=f"{row['event_id']}/{version}", version=version)
        before = orjson.loads(row["decisions"]) if row["decisions"] else []
        decision.update(_statuses(declared, row, decision, before[-1] if before else None))
        if not _keep(connection, declarations, row, decision):
            return []  # corrected or cancelled meanwhile: that version is next
        mutations = [*_told(row, decision), *_revise(connection, declarations, row, now)]
        outbox.record(connection, kind, mutations, now)
    return mutations


def _told(row: Mapping[str, Any], decision: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A decision's mutation, then the status changes it makes (``status_changes``)."""
    told = _decision_mutation(row, decision)
    return [told, *status_changes(told)]


def _keep(connection: Connection, declarations: Table, row: dict[str, Any],
          decision: dict[str, Any]) -> bool:
    """Write the decision on the row's version (False: the row changed meanwhile)."""
    taken = [*(orjson.loads(row["decisions"]) if row["decisions"] else []), decision]
    changes = {"decision": orjson.dumps(decision).decode(),
               "decisions": orjson.dumps(taken).decode()}
    written = connection.execute(update(declarations).where(
        declarations.c.id == row["id"], declarations.c.version == row["version"],
        declarations.c.decision.is_(None)).values(changes))
    row.update(changes)
    return bool(written.rowcount == 1)


def _decision_mutation(row: Mapping[str, Any], decision: Mapping[str, Any]) -> dict[str, Any]:
    return {"type": DECISION_MUTATION, "niss": row["niss"],
            "source_id": decision["decision_id"], "effective_date": decision["decided_on"],
            "data": {"cpas": row["declarant"], "type": row["type"],
                     "reference": row["reference"], "version": decision["version"],
                     "decision": dict(decision)}}


# --- the declarations resting on a grant whose decision changed --------------------------------
def _revise(connection: Connection, declarations: Table, grant_row: Mapping[str, Any],
            now: dt.datetime) -> list[dict[str, Any]]:
    """Annul the granted declarations of the same declarant resting on the grant just decided
    (a type whose ``rests_on`` ``follows`` it) that it no longer holds
    (``decisions.revision``): the decision mutations."""
    types = default_types()
    resting = {t.code: (t, t.decision.rests_on) for t in types.all()
               if t.decision is not None and t.decision.rests_on is not None
               and t.decision.rests_on.follows and t.decision.rests_on.type == grant_row["type"]}
    if not resting:
        return []
    grant = _held(grant_row, {})
    grant_period = types.get(grant_row["type"]).bounds()
    rows = connection.execute(select(declarations).where(
        declarations.c.declarant == grant_row["declarant"],
        declarations.c.niss == grant_row["niss"], declarations.c.type.in_(list(resting)),
        declarations.c.state != CANCELLED, declarations.c.decision.is_not(None))
        .order_by(declarations.c.id)).mappings().all()
    mutations: list[dict[str, Any]] = []
    for dependent in rows:
        (kind, rests_on), data = resting[dependent["type"]], orjson.loads(dependent["data"])
        if str(data.get(rests_on.field)) != grant.reference or (
                orjson.loads(dependent["decision"]).get("granted") is not True):
            continue
        reason = decisions.revision(rests_on, grant, grant_period, kind.bounds(), data)
        if reason is not None:
            mutations += _annul(connection, declarations, kind, dict(dependent), reason,
                                grant_row, now)
    return mutations


def _annul(connection: Connection, declarations: Table, kind: DeclarationType,
           row: dict[str, Any], reason: str, grant_row: Mapping[str, Any], now: dt.datetime
           ) -> list[dict[str, Any]]:
    """A new version of ``row``, decided ``annulled`` for ``reason`` by the grant's step (its
    ticket, and the grant's version as its ``cause``), withdrawing the status its grant gave;
    its mutations (none if the row changed meanwhile)."""
    version = int(row["version"]) + 1
    decision = {**decisions.annulled(reason), "decided_on": now.date().isoformat(),
                "ticket": grant_row["ticket"], "decision_id": f"{row['event_id']}/{version}",
                "version": version, "cause": {"type": grant_row["type"],
                                              "reference": grant_row["reference"],
                                              "version": grant_row["version"]}}
    before = orjson.loads(row["decisions"]) if row["decisions"] else []
    decision.update(_statuses(kind, row, decision, before[-1] if before else None))
    written = connection.execute(update(declarations).where(
        declarations.c.id == row["id"], declarations.c.version == row["version"]).values(
        version=version, updated_at=now, ticket=grant_row["ticket"],
        decision=orjson.dumps(decision).decode(),
        decisions=orjson.dumps([*before, decision]).decode()))
    return _told(row, decision) if written.rowcount == 1 else []


def _statuses(kind: DeclarationType, row: Mapping[str, Any], decision: Mapping[str, Any],
              previous: Mapping[str, Any] | None) -> dict[str, Any]:
    """What a decision does to the status of a type that carries one: the record of this
    version it gives (``status``, when granted), the one the previous decision gave that it
    withdraws (``withdraws``)."""
    if kind.status is None:
        return {}
    given = _record(kind, row) if decision["granted"] else None
    return {"status": given, "withdraws": (previous or {}).get("status")}


def _rule(kind: DeclarationType) -> decisions.DecisionRule:
    assert kind.decision is not None  # only a type with a decision is ever pending
    return kind.decision


def _asked(connection: Connection, declarations: Table, kind: DeclarationType,
           row: Mapping[str, Any]) -> decisions.Asked:
    ended = _ended(connection, declarations, kind.code, row["niss"])
    others = [_held(dict(r), ended) for r in connection.execute(select(declarations).where(
        declarations.c.niss == row["niss"], declarations.c.type == kind.code)).mappings()]
    files = _beneficiaries(connection, declarations, kind, row)
    data = orjson.loads(row["data"])
    grant, grant_period = None, None
    rests_on = _rule(kind).rests_on
    if rests_on is not None and data.get(rests_on.field) is not None:
        found = connection.execute(select(declarations).where(
            declarations.c.declarant == row["declarant"], declarations.c.type == rests_on.type,
            declarations.c.reference == str(data.get(rests_on.field)),
            declarations.c.niss == row["niss"])).mappings().first()
        grant = None if found is None else _held(
            dict(found), _ended(connection, declarations, rests_on.type, row["niss"]))
        grant_period = default_types().get(rests_on.type).bounds()
    return decisions.Asked(type=kind.code, declarant=row["declarant"],
                           reference=row["reference"], data=data, period=kind.bounds(),
                           others=others, files=int(files), grant=grant,
                           grant_period=grant_period)


def _beneficiaries(connection: Connection, declarations: Table, kind: DeclarationType,
                   row: Mapping[str, Any]) -> int:
    """The CPAS's category, as the refund rate by files reads it: the number of persons for
    whom the declarant holds a granted declaration of the type, this person included. A
    refused, cancelled or undecided declaration makes no beneficiary."""
    held = connection.execute(select(
        declarations.c.niss, declarations.c.state, declarations.c.decision).where(
        declarations.c.declarant == row["declarant"], declarations.c.type == kind.code,
        declarations.c.niss != row["niss"], declarations.c.decision.is_not(None)))
    persons = {r.niss for r in held
               if r.state != CANCELLED and orjson.loads(r.decision).get("granted") is True}
    return len(persons) + 1


def undecided(engine: Engine, kind: str) -> list[tuple[int, int]]:
    """The versions acknowledged but not yet decided (row id, version), oldest first: what a
    source that stopped before deciding decides when it starts again."""
    declarations = table(kind)
    later = [t.code for t in default_types().all() if t.decision is not None]
    with engine.connect() as connection:
        rows = connection.execute(select(declarations.c.id, declarations.c.version).where(
            declarations.c.type.in_(later), declarations.c.decision.is_(None))
            .order_by(declarations.c.id))
        return [(int(r.id), int(r.version)) for r in rows]


def _ended(connection: Connection, declarations: Table, code: str, niss: str
           ) -> dict[tuple[str, str], dt.date]:
    """The grants of type ``code`` on the person that a granted end (a type with ``ends``)
    closed, (declarant, reference) → their last day, the earliest end's."""
    enders = {t.code: t for t in default_types().all() if t.decision is not None
              and t.decision.ends and t.decision.rests_on is not None
              and t.decision.rests_on.type == code}
    ended: dict[tuple[str, str], dt.date] = {}
    if not enders:
        return ended
    rows = connection.execute(select(declarations).where(
        declarations.c.niss == niss, declarations.c.type.in_(list(enders)),
        declarations.c.state != CANCELLED, declarations.c.decision.is_not(None))
        .order_by(declarations.c.id)).mappings()
    for r in rows:
        last = _last_day(enders[r["type"]], dict(r))
        if last is not None:
            key, day = last
            ended[key] = min(day, ended.get(key, day))
    return ended


def _last_day(kind: DeclarationType, row: Mapping[str, Any]
              ) -> tuple[tuple[str, str], dt.date] | None:
    """The grant a granted end closes, and its last day (None: the end was not granted)."""
    rule, bounds = kind.decision, kind.bounds()
    if rule is None or rule.rests_on is None or bounds is None or (
            orjson.loads(row["decision"]).get("granted") is not True):
        return None
    data = orjson.loads(row["data"])
    return (row["declarant"], str(data[rule.rests_on.field])), bounds.of(data)[0]


def _held(row: Mapping[str, Any], ended: Mapping[tuple[str, str], dt.date]
          ) -> decisions.Held:
    return decisions.Held(declarant=row["declarant"], type=row["type"],
                          reference=row["reference"], state=row["state"],
                          data=orjson.loads(row["data"]),
                          decision=orjson.loads(row["decision"]) if row["decision"] else None,
                          ended=ended.get((row["declarant"], row["reference"])))


def _decisions(connection: Connection, request: SourceRequest, _: SourceIdentity
               ) -> SourceAnswer:
    """``spp-decisions``: the asking CPAS's own declarations on the person, each with the
    decision on its current version and every decision taken on it (``decisions``, one per
    version decided, oldest first); narrowed by ``type`` and ``reference``."""
    declarations = table(SPP_IS)
    decided = [t.code for t in default_types().all() if t.decision is not None]
    query = select(declarations).where(
        declarations.c.niss == request.niss, declarations.c.declarant == (request.client or ""),
        declarations.c.type.in_(decided))
    for name in ("type", "reference"):
        if request.parameters.get(name):
            query = query.where(declarations.c[name] == str(request.parameters[name]))
    rows = connection.execute(query.order_by(declarations.c.id)).mappings().all()
    listed = [{"type": r["type"], "reference": r["reference"], "version": r["version"],
               "state": r["state"], "data": orjson.loads(r["data"]),
               "decision": orjson.loads(r["decision"]) if r["decision"] else None,
               "decisions": orjson.loads(r["decisions"]) if r["decisions"] else []}
              for r in rows]
    one = listed[0] if request.parameters.get("reference") and listed else {}
    return found({"cpas": request.client, "type": one.get("type"),
                  "reference": one.get("reference"), "version": one.get("version"),
                  "decision": one.get("decision"), "declarations": listed})


# --- consulting --------------------------------------------------------------------------------
def handlers(kind: str) -> dict[str, Handler]:
    """The consultation services a kind of source answers from the declarations it keeps."""
    return {name: _decisions if name == DECISIONS else _handler(kind, name)
            for name in DECLARED_SERVICES.get(kind, ())}


def _handler(kind: str, service: str) -> Handler:
    def answer(connection: Connection, request: SourceRequest, _: SourceIdentity
               ) -> SourceAnswer:
        declared = default_types()
        code = next(t.code for t in declared.all() if t.consultation == service)
        declarations = table(kind)
        rows = connection.execute(select(declarations).where(
            declarations.c.niss == request.niss, declarations.c.type == code)
            .order_by(declarations.c.id)).mappings().all()
        if not rows:
            return NOT_FOUND
        on = dt.date.fromisoformat(request.parameters.get("date") or dt.date.today().isoformat())
        items = [_item(declared.get(code), dict(row)) for row in rows]
        return found(SUMMARIES[service](items, on))

    return answer


def _item(kind: DeclarationType, row: Mapping[str, Any]) -> dict[str, Any]:
    data = orjson.loads(row["data"])
    item = {**data, "cpas": data.get("competent_cpas") or row["declarant"],
            "cpas_reference": row["reference"], "state": row["state"],
            "version": row["version"], "event_id": row["event_id"]}
    item.pop("competent_cpas", None)
    if kind.decision is not None:  # what the source decides on counts once granted
        item["_granted"] = bool(row["decision"]) and orjson.loads(row["decision"]).get(
            "granted") is True and row["state"] != CANCELLED
    if kind.period is not None:
        item["_start"] = data[kind.period.start]
        item["_end"] = data.get(kind.period.end) if kind.period.end else None
    return item


def _runs(item: Mapping[str, Any], on: dt.date) -> bool:
    if item["state"] == CANCELLED:
        return False
    start = dt.date.fromisoformat(item["_start"])
    end = (dt.date.fromisoformat(item["_end"]) if item["_end"]
           else start + dt.timedelta(days=RECENT_DAYS))
    return start <= on <= end


def _public(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if not k.startswith("_")}


def _living_wages(items: list[dict[str, Any]], on: dt.date) -> dict[str, Any]:
    live = [i for i in items if i["state"] != CANCELLED]
    current = next((i for i in live if _runs(i, on)), None) or (
        max(live, key=lambda i: i["_start"]) if live else None)
    shown = current or {}
    return {"entitled": current is not None and _runs(current, on),
            "status": shown.get("type"), "start": shown.get("start"), "end": shown.get("end"),
            "competent_cpas": shown.get("cpas"), "cpas_reference": shown.get("cpas_reference"),
            "event_id": shown.get("event_id"),
            "history": [{("status" if k == "type" else k): v for k, v in _public(i).items()}
                        for i in items]}


def _heating(items: list[dict[str, Any]], on: dt.date) -> dict[str, Any]:
    """The allowances the SPP IS granted (not those refused, undecided or cancelled);
    ``received``: one invoiced in the calendar year of ``on`` (the fund's year), by then."""
    granted = [i for i in items if i.get("_granted")]
    return {"received": any(i["invoice_date"][:4] == on.isoformat()[:4]
                            and i["invoice_date"] <= on.isoformat() for i in granted),
            "last_invoice_date": max((i["invoice_date"] for i in granted), default=None),
            "allowances": [_public(i) for i in granted]}


def _listing(flag: str, name: str) -> Callable[[list[dict[str, Any]], dt.date], dict[str, Any]]:
    def summary(items: list[dict[str, Any]], on: dt.date) -> dict[str, Any]:
        return {flag: any(_runs(i, on) for i in items), name: [_public(i) for i in items]}

    return summary


SUMMARIES: dict[str, Callable[[list[dict[str, Any]], dt.date], dict[str, Any]]] = {
    "living-wages": _living_wages,
    "heating-allowances": _heating,
    "water-allowances": _listing("received", "allowances"),
    "family-allowance-advances": _listing("advanced", "advances"),
}
