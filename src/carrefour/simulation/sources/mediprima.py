"""The simulated Mediprima: the register of the CPAS's medical aid decisions (ManageCarmed).

Mediprima is the authentic source of the decisions: it keeps every version of each, keyed on
the deciding CPAS (the protocol's ``client``) and the CPAS's own reference, decides whether a
decision may be registered, calculates it and answers care providers. Its rules:

- one decision at a time per person: a decision whose period overlaps a running decision of
  another CPAS (or another of the same CPAS) is refused (``overlap``), naming the other one;
  the CPAS settle the conflict between them, then the SPP IS (seed 002);
- idempotent on the reference: the same decision sent again is answered as registered
  (``replayed``); the reference sent with another content is refused (``reference-reused``);
- a stopped decision can no longer change (``stopped``); a stop ends it on a day of its
  period (``invalid-stop`` otherwise); an unknown reference is ``unknown-decision``;
- the calculation (the notification eCarmedCalculationNotification, published to the hub after
  each registered version): the days covered, and the shares of the costs: the State (SPP IS)
  refunds 100 % of full and hospital coverage, 90 % of ambulatory care, the CPAS the rest.

Refusals are answers (``found`` with ``refusal``), not protocol errors: the hub reads them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Integer,
    MetaData,
    RowMapping,
    String,
    Table,
    UniqueConstraint,
    func,
    select,
)

from carrefour.errors import InvalidInput
from carrefour.exchange.ports import SourceAnswer, SourceRequest
from carrefour.simulation.sources.protocol import found, iso

metadata = MetaData()
versions = Table(
    "decision_versions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("decision", String(12), nullable=False, index=True),
    Column("cpas", String(10), nullable=False),
    Column("reference", String(36), nullable=False),
    Column("niss", String(11), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("action", String(10), nullable=False),
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date, nullable=False),
    Column("coverage", String(12), nullable=False),
    Column("ceiling", Integer, nullable=True),
    Column("stopped", Boolean, nullable=False, default=False),
    Column("recorded_at", DateTime, nullable=False),
    UniqueConstraint("cpas", "reference", "version"),
)

Row = Mapping[Any, Any]  # a version as stored (a RowMapping) or as built
STATE_SHARE = {"full": 100, "hospital": 100, "ambulatory": 90}
CONTENT = ("starts_on", "ends_on", "coverage", "ceiling")


@dataclass(frozen=True, slots=True)
class Notification:
    """A calculation to publish to the hub once the version is registered."""

    niss: str
    source_id: str
    effective_date: str
    data: dict[str, Any]


Outcome = tuple[SourceAnswer, Notification | None]


class Refusal(Exception):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code, self.detail = code, detail


def handle(connection: Connection, request: SourceRequest) -> Outcome:
    """The answer to one operation (its transaction is the caller's)."""
    operation = OPERATIONS[request.service]
    try:
        return operation(connection, request)
    except Refusal as refusal:
        return found({"refusal": {"code": refusal.code, "detail": refusal.detail}}), None


# --- registrations ---------------------------------------------------------------------------
def open_decision(connection: Connection, request: SourceRequest) -> Outcome:
    cpas, niss, wanted = client_of(request), str(request.niss), _content(request.parameters)
    reference = request.parameters["reference"]
    current = _current(connection, cpas, reference)
    if current is not None:
        return _replay(current, wanted)
    _check_overlap(connection, niss, wanted, cpas=cpas, reference=reference)
    number = f"MP{_count(connection) + 1:06d}"
    row = _insert(connection, decision=number, cpas=cpas, reference=reference, niss=niss,
                  version=1, action="open", content=wanted)
    return _registered(row)


def modify_decision(connection: Connection, request: SourceRequest) -> Outcome:
    current = _changeable(connection, request)
    wanted = _content(request.parameters)
    if _same(current, wanted):
        return _answer(current, replayed=True), None
    _check_overlap(connection, current["niss"], wanted, cpas=current["cpas"],
                   reference=current["reference"])
    return _registered(_next(connection, current, "modify", wanted))


def stop_decision(connection: Connection, request: SourceRequest) -> Outcome:
    current = _known(connection, request)
    end = dt.date.fromisoformat(request.parameters["end"])
    if current["stopped"] and current["ends_on"] == end:
        return _answer(current, replayed=True), None
    if current["stopped"]:
        raise _stopped(current)
    if not current["starts_on"] <= end <= current["ends_on"]:
        raise Refusal("invalid-stop", f"A decision stops on a day of its period "
                      f"({current['starts_on']} to {current['ends_on']}), not on {end}.")
    wanted = {**{k: current[k] for k in CONTENT}, "ends_on": end}
    return _registered(_next(connection, current, "stop", wanted, stopped=True))


# --- questions -------------------------------------------------------------------------------
def consult_decision(connection: Connection, request: SourceRequest) -> Outcome:
    current = _known(connection, request)
    return found({"cpas": current["cpas"], "decision": decision_of(current),
                  "calculation": calculation_of(current)}), None


def evaluate(connection: Connection, request: SourceRequest) -> Outcome:
    """What opening the decision would give, registering nothing."""
    cpas, wanted = client_of(request), _content(request.parameters)
    current = _current(connection, cpas, request.parameters["reference"])
    if current is not None and not _same(current, wanted):
        return _refused_simulation(Refusal("reference-reused", _reused(current))), None
    try:
        _check_overlap(connection, str(request.niss), wanted, cpas=cpas,
                       reference=request.parameters["reference"])
    except Refusal as refusal:
        return _refused_simulation(refusal), None
    return _simulation(wanted, number=current["decision"] if current else None), None


def evaluate_modified(connection: Connection, request: SourceRequest) -> Outcome:
    """What modifying the decision would give, registering nothing."""
    current = _known(connection, request)
    wanted = _content(request.parameters)
    try:
        if current["stopped"]:
            raise _stopped(current)
        _check_overlap(connection, current["niss"], wanted, cpas=current["cpas"],
                       reference=current["reference"])
    except Refusal as refusal:
        return _refused_simulation(refusal), None
    return _simulation(wanted, number=current["decision"], version=current["version"] + 1), None


def history(connection: Connection, request: SourceRequest) -> Outcome:
    rows = connection.execute(
        select(versions).where(versions.c.cpas == client_of(request),
                               versions.c.niss == request.niss)
        .order_by(versions.c.decision, versions.c.version)).mappings()
    return found({"decisions": [{**decision_of(r), "action": r["action"]} for r in rows]}), None


def coverage(connection: Connection, request: SourceRequest) -> Outcome:
    """Whether a decision covers the person on the day, whoever asks (a care provider)."""
    day = dt.date.fromisoformat(request.parameters["date"])
    for row in _running(connection, str(request.niss)):
        if row["starts_on"] <= day <= row["ends_on"]:
            return found({"covered": True, "coverage": row["coverage"], "cpas": row["cpas"],
                          "period": {"start": iso(row["starts_on"]), "end": iso(row["ends_on"])},
                          "decision": row["decision"]}), None
    return found({"covered": False}), None


OPERATIONS: Mapping[str, Callable[[Connection, SourceRequest], Outcome]] = {
    "mediprima-open": open_decision, "mediprima-modify": modify_decision,
    "mediprima-stop": stop_decision, "mediprima-consult": consult_decision,
    "mediprima-evaluate": evaluate, "mediprima-evaluate-modified": evaluate_modified,
    "mediprima-history": history, "mediprima-coverage": coverage,
}
CLIENTLESS = frozenset({"mediprima-coverage"})  # the others are a CPAS's own decisions


# --- the decisions as answered ---------------------------------------------------------------
def decision_of(row: Row) -> dict[str, Any]:
    return {"id": row["decision"], "reference": row["reference"], "version": row["version"],
            "start": iso(row["starts_on"]), "end": iso(row["ends_on"]),
            "coverage": row["coverage"], "ceiling": row["ceiling"],
            "status": "stopped" if row["stopped"] else "open"}


def calculation_of(row: Row) -> dict[str, Any]:
    share = STATE_SHARE[row["coverage"]]
    return {"decision": row["decision"], "version": row["version"],
            "covered_days": (row["ends_on"] - row["starts_on"]).days + 1,
            "state_share_percent": share, "cpas_share_percent": 100 - share,
            "ceiling": row["ceiling"]}


def _answer(row: Row, *, replayed: bool) -> SourceAnswer:
    return found({"decision": decision_of(row), "calculation": calculation_of(row),
                  "replayed": replayed})


def _registered(row: Row) -> Outcome:
    notification = Notification(
        niss=row["niss"], source_id=f"{row['decision']}-v{row['version']}",
        effective_date=iso(row["starts_on"]) or "",
        data={"cpas": row["cpas"], "decision": decision_of(row),
              "calculation": calculation_of(row)})
    return _answer(row, replayed=False), notification


def _simulation(wanted: Mapping[str, Any], *, number: str | None, version: int = 1
                ) -> SourceAnswer:
    row = {**wanted, "decision": number, "version": version, "reference": None,
           "stopped": False}
    return found({"outcome": "accepted", "calculation": calculation_of(row)})


def _refused_simulation(refusal: Refusal) -> SourceAnswer:
    return found({"outcome": "refused",
                  "refusal": {"code": refusal.code, "detail": refusal.detail}})


# --- rules -----------------------------------------------------------------------------------
def client_of(request: SourceRequest) -> str:
    if not request.client:
        raise InvalidInput("Mediprima registers a CPAS's decisions: the member 'client' (the "
                           "CPAS's enterprise number) is required.")
    return request.client


def _content(parameters: Mapping[str, Any]) -> dict[str, Any]:
    return {"starts_on": dt.date.fromisoformat(parameters["start"]),
            "ends_on": dt.date.fromisoformat(parameters["end"]),
            "coverage": parameters["coverage"], "ceiling": parameters.get("ceiling")}


def _same(row: Row, wanted: Mapping[str, Any]) -> bool:
    return all(row[key] == wanted[key] for key in CONTENT)


def _replay(current: Row, wanted: Mapping[str, Any]) -> Outcome:
    if current["version"] == 1 and _same(current, wanted) and not current["stopped"]:
        return _answer(current, replayed=True), None
    raise Refusal("reference-reused", _reused(current))


def _reused(current: Row) -> str:
    return (f"The reference {current['reference']} already names the decision "
            f"{current['decision']} of this CPAS, with another content; modify it, or give "
            "the new decision a reference of its own.")


def _stopped(current: Row) -> Refusal:
    return Refusal("stopped", f"The decision {current['decision']} ({current['reference']}) "
                   f"was stopped on {current['ends_on']}; take a new decision.")


def _check_overlap(connection: Connection, niss: str, wanted: Mapping[str, Any], *,
                   cpas: str, reference: str) -> None:
    for row in _running(connection, niss):
        if (row["cpas"], row["reference"]) == (cpas, reference):
            continue
        if row["starts_on"] <= wanted["ends_on"] and wanted["starts_on"] <= row["ends_on"]:
            whose = "this CPAS" if row["cpas"] == cpas else f"the CPAS {row['cpas']}"
            raise Refusal("overlap", f"The decision {row['decision']} of {whose} already "
                          f"covers this person from {row['starts_on']} to {row['ends_on']}.")


def _changeable(connection: Connection, request: SourceRequest) -> RowMapping:
    current = _known(connection, request)
    if current["stopped"]:
        raise _stopped(current)
    return current


def _known(connection: Connection, request: SourceRequest) -> RowMapping:
    reference = request.parameters["reference"]
    current = _current(connection, client_of(request), reference)
    if current is None or current["niss"] != request.niss:
        raise Refusal("unknown-decision", f"This CPAS has no decision {reference} on this "
                      "person.")
    return current


# --- storage ---------------------------------------------------------------------------------
def _current(connection: Connection, cpas: str, reference: str) -> RowMapping | None:
    return connection.execute(
        select(versions).where(versions.c.cpas == cpas, versions.c.reference == reference)
        .order_by(versions.c.version.desc()).limit(1)).mappings().first()


def _running(connection: Connection, niss: str) -> list[RowMapping]:
    """The current version of every decision on the person (stopped ones end on their stop)."""
    latest = (select(versions.c.decision, func.max(versions.c.version).label("version"))
              .where(versions.c.niss == niss).group_by(versions.c.decision).subquery())
    query = select(versions).join(latest, (versions.c.decision == latest.c.decision)
                                  & (versions.c.version == latest.c.version))
    return list(connection.execute(query.order_by(versions.c.starts_on)).mappings())


def _count(connection: Connection) -> int:
    return int(connection.execute(
        select(func.count(versions.c.decision.distinct()))).scalar_one())


def _next(connection: Connection, current: Row, action: str,
          wanted: Mapping[str, Any], *, stopped: bool = False) -> dict[str, Any]:
    return _insert(connection, decision=current["decision"], cpas=current["cpas"],
                   reference=current["reference"], niss=current["niss"],
                   version=current["version"] + 1, action=action, content=wanted,
                   stopped=stopped)


def _insert(connection: Connection, *, decision: str, cpas: str, reference: str, niss: str,
            version: int, action: str, content: Mapping[str, Any],
            stopped: bool = False) -> dict[str, Any]:
    row = {"decision": decision, "cpas": cpas, "reference": reference, "niss": niss,
           "version": version, "action": action, **{k: content[k] for k in CONTENT},
           "stopped": stopped, "recorded_at": dt.datetime.now(dt.UTC).replace(tzinfo=None)}
    connection.execute(versions.insert().values(**row))
    return row
