"""The simulated National Register: legal data, phonetic search and family composition (the
current household and the person's former compositions)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import orjson
from sqlalchemy import Connection, RowMapping, bindparam, select

from carrefour.errors import InvalidInput
from carrefour.exchange.ports import SourceAnswer, SourceRequest
from carrefour.identification.phonetic import phonetic_keys
from carrefour.identification.search import (
    SearchCriteria,
    birth_date_range,
    matches,
    parse_search_criteria,
)
from carrefour.simulation.network import NATIONAL_REGISTER
from carrefour.simulation.sources import records
from carrefour.simulation.sources.household_history import former_compositions
from carrefour.simulation.sources.protocol import NOT_FOUND, Handler, SourceIdentity, found, iso
from carrefour.simulation.sources.schema import persons
from carrefour.simulation.sources.schema import phonetic_keys as keys_table

RELATIONSHIP_ORDER = {"head": 0, "partner": 1, "child": 2, "other": 3}

# Built once: a consultation only binds the number (the statement's compilation is cached).
_BY_NISS = select(persons).where(persons.c.niss == bindparam("niss"))
_BY_HOUSEHOLD = select(persons).where(persons.c.household_id == bindparam("household_id"))


def legal_data(connection: Connection, request: SourceRequest, _: SourceIdentity) -> SourceAnswer:
    row = _person(connection, request.niss)
    return NOT_FOUND if row is None else found(legal_record(row))


def search_person(
    connection: Connection, request: SourceRequest, _: SourceIdentity
) -> SourceAnswer:
    criteria = parse_search_criteria(request.parameters)
    keys = phonetic_keys(criteria.last_name)
    if not keys:
        raise InvalidInput("The parameter last_name has no letters to search on.")
    hits = _search(connection, criteria, keys)
    if not hits:
        return NOT_FOUND
    hits.sort(key=lambda r: (r["last_name"], r["first_names"], r["birth_date"], r["niss"]))
    return found({"persons": [legal_record(row) for row in hits]})


def family_composition(
    connection: Connection, request: SourceRequest, _: SourceIdentity
) -> SourceAnswer:
    """The current household, each member dated by the moving in, and the person's former
    compositions derived from the members' address histories (:mod:`household_history`)."""
    row = _person(connection, request.niss)
    if row is None:
        return NOT_FOUND
    rows = connection.execute(_BY_HOUSEHOLD, {"household_id": row["household_id"]}).mappings()
    members = sorted(rows, key=_member_order)
    histories = _address_histories(connection, [member["niss"] for member in members])
    known = {member["niss"]: _member(member) for member in members}
    former = former_compositions(row["niss"], histories)
    return found({
        "household_id": row["household_id"],
        "members": [{**known[member["niss"]], "since": _moved_in(histories, member["niss"])}
                    for member in members],
        "address": address(row),
        "former_compositions": [
            {**composition, "members": [known[n] for n in known
                                         if n in composition["members"]]}
            for composition in former],
    })


def _address_histories(connection: Connection, numbers: list[str]
                       ) -> dict[str, list[dict[str, Any]]]:
    """The address history of each member the register keeps one of (current first)."""
    files = records.table(NATIONAL_REGISTER, "files")
    query = select(files.c.niss, files.c.data).where(files.c.niss.in_(numbers))
    return {niss: orjson.loads(data).get("addresses") or []
            for niss, data in connection.execute(query)}


def _moved_in(histories: Mapping[str, list[dict[str, Any]]], niss: str) -> str | None:
    """When the member took up the household's address: the start of the current address in
    the member's address history (None when the register keeps none)."""
    addresses = histories.get(niss) or []
    return addresses[0].get("start") if addresses else None


def legal_record(row: RowMapping) -> dict[str, Any]:
    """The legal data of a person, with exactly the fields of the service ``legal-data``."""
    return {
        "niss": row["niss"],
        "last_name": row["last_name"],
        "first_names": row["first_names"],
        "birth_date": iso(row["birth_date"]),
        "birth_place": row["birth_place"],
        "gender": row["gender"],
        "nationality": row["nationality"],
        "civil_state": row["civil_state"],
        "address": address(row),
        "death_date": iso(row["death_date"]),
    }


def address(row: RowMapping) -> dict[str, Any]:
    return {
        "street": row["street"],
        "number": row["house_number"],
        "box": row["box"],
        "postal_code": row["postal_code"],
        "municipality": row["municipality"],
    }


def _person(connection: Connection, niss: str | None) -> RowMapping | None:
    return connection.execute(_BY_NISS, {"niss": niss}).mappings().first()


def _search(
    connection: Connection, criteria: SearchCriteria, keys: Iterable[str]
) -> list[RowMapping]:
    """Candidates whose last name shares a phonetic key (two index lookups), narrowed by birth
    date and gender in SQL, then checked with the shared search rules; at most ``max_results``."""
    names = select(keys_table.c.last_name).where(keys_table.c.key.in_(sorted(keys)))
    query = select(persons).where(persons.c.last_name.in_(names))
    span = birth_date_range(criteria)
    if span is not None:
        query = query.where(persons.c.birth_date.between(*span))
    if criteria.gender is not None:
        query = query.where(persons.c.gender == criteria.gender.value)
    hits: list[RowMapping] = []
    for row in connection.execute(query).mappings():
        if _answers(criteria, row):
            hits.append(row)
            if len(hits) >= criteria.max_results:
                break
    return hits


def _answers(criteria: SearchCriteria, row: RowMapping) -> bool:
    return matches(
        criteria,
        last_name=row["last_name"],
        first_names=row["first_names"],
        birth_date=row["birth_date"],
        gender=row["gender"],
    )


def _member_order(row: RowMapping) -> tuple[int, Any]:
    return RELATIONSHIP_ORDER.get(row["relationship"], 9), row["birth_date"]


def _member(row: RowMapping) -> dict[str, Any]:
    return {
        "niss": row["niss"],
        "last_name": row["last_name"],
        "first_names": row["first_names"],
        "birth_date": iso(row["birth_date"]),
        "relationship": row["relationship"],
    }


HANDLERS: dict[str, Handler] = {
    "legal-data": legal_data,
    "search-person": search_person,
    "family-composition": family_composition,
}
