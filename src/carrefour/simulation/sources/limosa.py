"""Limosa's search of posted workers by name (findPostedWorkers): the workers whose last name
is the one asked (case does not matter), narrowed by first name and birth date when given.
The detail of a worker and of a posting document are record services (``kinds.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from sqlalchemy import Connection, bindparam, select

from carrefour.exchange.ports import SourceAnswer, SourceRequest
from carrefour.simulation.sources import records
from carrefour.simulation.sources.kinds import LIMOSA
from carrefour.simulation.sources.protocol import NOT_FOUND, Handler, SourceIdentity, found

LIMIT = 100


def find_posted_workers(
    connection: Connection, request: SourceRequest, _: SourceIdentity
) -> SourceAnswer:
    names = records.table(LIMOSA, "names")
    query = select(names.c.data).where(names.c.key == bindparam("key"))
    parameters = request.parameters
    text = connection.execute(query, {"key": str(parameters["last_name"]).upper()}).scalar()
    if text is None:
        return NOT_FOUND
    workers = [w for w in orjson.loads(text)["workers"] if _matches(w, parameters)]
    return found({"workers": workers[:LIMIT]}) if workers else NOT_FOUND


def _matches(worker: Mapping[str, Any], parameters: Mapping[str, Any]) -> bool:
    first = parameters.get("first_name")
    if first and str(first).lower() not in (name.lower() for name in worker["first_names"]):
        return False
    born = parameters.get("birth_date")
    return not born or worker["birth_date"] == str(born)


HANDLERS: dict[str, Handler] = {"posted-workers": find_posted_workers}
