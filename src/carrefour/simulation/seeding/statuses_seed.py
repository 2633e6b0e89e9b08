"""The initial load of the hub's status buffer from the sources' own files, at seeding.

Each status comes from the file of the source that is its authority, so the buffer agrees
with what the simulated sources answer: RIS from the SPP IS attestations (living wages),
BIM from the mutualities' members, temporary unemployment from the ONEM periods, the bridging
right from the INASTI decisions, the disability allowance from the DG Persons with
disabilities; the household each person belongs to from the National Register. (ERIS and the
heating allowance come from the CPAS's declarations, not loaded here.)"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine, delete

from carrefour.simulation.network import institution, mutualities
from carrefour.simulation.population.dossiers import Record, alive, inasti
from carrefour.simulation.population.dossiers_social import disability, spp_is
from carrefour.simulation.population.population import Population
from carrefour.statuses import repository
from carrefour.statuses.tables import households, statuses

SEED_REF = "seed"


def load_status_buffer(hub_engine: Engine, population: Population) -> dict[str, int]:
    """Replace the buffer with the statuses and households of the sources' files; counts."""
    with hub_engine.begin() as connection:
        connection.execute(delete(statuses))
        connection.execute(delete(households))
        counts = {"households": repository.load(connection, _memberships(population),
                                                "households")}
        found: dict[str, int] = {}
        counts["statuses"] = repository.load(connection, _counted(_statuses(population), found),
                                             "statuses")
        if hub_engine.dialect.name != "sqlite":
            connection.exec_driver_sql("ANALYZE ssh_statuses")
            connection.exec_driver_sql("ANALYZE ssh_households")
    return {**counts, **found}


def _counted(rows: Iterator[dict[str, Any]], found: dict[str, int]
             ) -> Iterator[dict[str, Any]]:
    for row in rows:
        found[row["status"]] = found.get(row["status"], 0) + 1
        yield row


def _memberships(population: Population) -> Iterator[dict[str, Any]]:
    source = institution("national-register").cbe
    for household in population.households:
        for person in household.members:
            if alive(person):
                yield {"niss": person.niss, "since": person.birth_date,
                       "household_id": household.id, "source": source,
                       "postal_code": household.address.postal_code}


def _statuses(population: Population) -> Iterator[dict[str, Any]]:
    yield from _living_wages(population)
    yield from _bim(population)
    yield from _temporary_unemployment(population)
    yield from _bridging(population)
    yield from _disability(population)


def _row(source: str, event_id: str, niss: str, status: str, start: dt.date,
         end: dt.date | None) -> dict[str, Any]:
    return {"source": source, "event_id": event_id, "niss": niss, "status": status,
            "starts_on": start, "ends_on": end, "cancelled": False, "effective_on": start,
            "action_rank": 0, "source_ref": SEED_REF}


def _living_wages(population: Population) -> Iterator[dict[str, Any]]:
    source = institution("spp-is").cbe
    for record in spp_is(population)["files"]:
        attestations: list[Record] = record["attestations"]
        if not attestations:
            continue
        start = dt.date.fromisoformat(attestations[0]["start"])
        end = None if record["currently_entitled"] else dt.date.fromisoformat(
            attestations[-1]["end"])
        yield _row(source, f"ris-{record['niss']}", record["niss"], "ris", start, end)


def _bim(population: Population) -> Iterator[dict[str, Any]]:
    sources = {m.slug: m.cbe for m in mutualities()}
    for insured in population.insurance:
        if insured.bim and insured.bim_since is not None:
            yield _row(sources.get(insured.mutuality, insured.mutuality), f"bim-{insured.niss}",
                       insured.niss, "bim", insured.bim_since, insured.insured_until)


def _temporary_unemployment(population: Population) -> Iterator[dict[str, Any]]:
    source = institution("onem").cbe
    for index, period in enumerate(population.unemployment):
        if period.kind == "temporary":
            yield _row(source, f"tu-{index}", period.niss, "temporary-unemployment",
                       period.starts_on, period.ends_on)


def _bridging(population: Population) -> Iterator[dict[str, Any]]:
    source = institution("inasti").cbe
    for record in inasti(population)["files"]:
        for index, decision in enumerate(record["decisions"]):
            yield _row(source, f"bridging-{record['niss']}-{index}", record["niss"],
                       "bridging-right", dt.date.fromisoformat(decision["start"]),
                       dt.date.fromisoformat(decision["end"]))


def _disability(population: Population) -> Iterator[dict[str, Any]]:
    source = institution("dg-handicap").cbe
    for record in disability(population)["files"]:
        yield _row(source, f"allowance-{record['niss']}", record["niss"],
                   "disability-allowance", dt.date.fromisoformat(record["recognised_since"]),
                   None)
