"""The record engine of the simulated sources: one JSON document per person (or per employer)
and a generic handler per service that answers with the service's declared fields.

A history list (periods, quarters, decisions, attestations) is cut to the ``from``/``to``
window when the service declares those parameters: an item stays when its ``start``..``end``
overlaps the window. A record holding none of the service's fields is no file for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from sqlalchemy import Column, Connection, MetaData, String, Table, Text, bindparam, select

from carrefour.catalogue.model import default_catalogue
from carrefour.exchange.ports import SourceAnswer, SourceRequest
from carrefour.simulation.sources.kinds import RECORD_KINDS, RECORD_SERVICES, Lookup, record_tables
from carrefour.simulation.sources.protocol import NOT_FOUND, Handler, SourceIdentity, found

_TABLES: dict[tuple[str, str], Table] = {}


def attach(metadata: MetaData, kind: str) -> None:
    """Add the record tables of ``kind`` to a source's metadata."""
    for name in record_tables(kind):
        key = "niss" if name == "files" else "key"
        _TABLES[kind, name] = Table(
            name, metadata,
            Column(key, String(20), primary_key=True),
            Column("data", Text, nullable=False),  # the record, as JSON
        )


def table(kind: str, name: str = "files") -> Table:
    return _TABLES[kind, name]


def _record_schemas() -> dict[str, MetaData]:
    schemas = {kind: MetaData() for kind in RECORD_KINDS}
    for kind, metadata in schemas.items():
        attach(metadata, kind)
    return schemas


SCHEMAS: dict[str, MetaData] = _record_schemas()
PERSON_TABLES: dict[str, Table] = {kind: table(kind) for kind in RECORD_KINDS}


def handlers(kind: str) -> dict[str, Handler]:
    """The handler of every record service of ``kind``."""
    return {name: _handler(kind, name, lookup)
            for name, lookup in RECORD_SERVICES.get(kind, {}).items()}


def _handler(kind: str, service_name: str, lookup: Lookup) -> Handler:
    records = table(kind, lookup.table)
    query = select(records.c.data).where(records.c[records.primary_key.columns.keys()[0]]
                                         == bindparam("key"))

    def answer(connection: Connection, request: SourceRequest, _: SourceIdentity
               ) -> SourceAnswer:
        key = request.niss if lookup.parameter is None else request.parameters[lookup.parameter]
        text = connection.execute(query, {"key": key}).scalar()
        if text is None:
            return NOT_FOUND
        fields = default_catalogue().get(service_name).fields  # read once, on first use
        return project(orjson.loads(text), fields, request.parameters)

    return answer


def project(record: Mapping[str, Any], fields: tuple[str, ...],
            parameters: Mapping[str, Any]) -> SourceAnswer:
    """The service's fields of a record, history lists cut to the requested window."""
    if not any(name in record for name in fields):
        return NOT_FOUND
    first, last = parameters.get("from"), parameters.get("to")
    data = {name: record.get(name) for name in fields}
    if first or last:
        data = {k: _window(v, first, last) if isinstance(v, list) else v for k, v in data.items()}
    return found(data)


def _window(items: list[Any], first: str | None, last: str | None) -> list[Any]:
    return [item for item in items if not isinstance(item, dict) or _overlaps(item, first, last)]


def _overlaps(item: Mapping[str, Any], first: str | None, last: str | None) -> bool:
    start, end = item.get("start"), item.get("end")
    starts_in_time = last is None or start is None or start <= last
    ends_in_time = first is None or end is None or end >= first
    return starts_in_time and ends_in_time


def record_row(key: str, record: Mapping[str, Any], *, column: str = "niss") -> dict[str, str]:
    """A row of a record table (ISO dates: a record is plain JSON)."""
    return {column: key, "data": orjson.dumps(record).decode()}
