"""The National Register's search by address (NRPPersonService): the persons living at an
address, found through the index on (postal code, street, house number)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select

from carrefour.exchange.ports import SourceAnswer, SourceRequest
from carrefour.simulation.sources.national_register import RELATIONSHIP_ORDER, address
from carrefour.simulation.sources.protocol import NOT_FOUND, Handler, SourceIdentity, found, iso
from carrefour.simulation.sources.schema import persons

LIMIT = 200


def search_by_address(
    connection: Connection, request: SourceRequest, _: SourceIdentity
) -> SourceAnswer:
    parameters = request.parameters
    query = select(persons).where(persons.c.postal_code == parameters["postal_code"],
                                  func.lower(persons.c.street) == parameters["street"].lower())
    if parameters.get("number"):
        query = query.where(persons.c.house_number == parameters["number"])
    rows = list(connection.execute(query.limit(LIMIT)).mappings())
    if not rows:
        return NOT_FOUND
    rows.sort(key=lambda r: (r["house_number"], r["household_id"],
                             RELATIONSHIP_ORDER.get(r["relationship"], 9), r["niss"]))
    return found({"persons": [_resident(row) for row in rows]})


def _resident(row: Any) -> dict[str, Any]:
    return {
        "niss": row["niss"], "last_name": row["last_name"], "first_names": row["first_names"],
        "birth_date": iso(row["birth_date"]), "gender": row["gender"],
        "nationality": row["nationality"], "civil_state": row["civil_state"],
        "address": address(row), "household_id": row["household_id"],
    }


HANDLERS: dict[str, Handler] = {"search-by-address": search_by_address}
