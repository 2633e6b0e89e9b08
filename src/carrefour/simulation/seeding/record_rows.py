"""The rows of the record tables of a simulated source, from the population."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from sqlalchemy import Table

from carrefour.simulation.network import SimulatedInstitution
from carrefour.simulation.population import dossiers, dossiers_regional, dossiers_social
from carrefour.simulation.population.dossiers import Record
from carrefour.simulation.population.population import Population
from carrefour.simulation.sources import kinds, records

Generator = Callable[[Population, SimulatedInstitution], dict[str, Iterator[Record]]]


def _every(generate: Callable[[Population], dict[str, Iterator[Record]]]) -> Generator:
    return lambda population, _member: generate(population)


GENERATORS: dict[str, Generator] = {
    "national-register": _every(dossiers.national_register),
    "onem": _every(dossiers.onem),
    kinds.ONSS: _every(dossiers.onss),
    kinds.INASTI: _every(dossiers.inasti),
    kinds.SPF_FINANCES: _every(dossiers.spf_finances),
    kinds.DISABILITY: _every(dossiers_social.disability),
    kinds.FAMILY_ALLOWANCE: _every(dossiers_social.family_allowance),
    kinds.SPF_ECONOMY: _every(dossiers_social.spf_economy),
    kinds.PENSION_REGISTER: _every(dossiers_social.pension_register),
    kinds.REGIONAL_EMPLOYMENT: lambda population, member: dossiers_social.regional_employment(
        population, member.slug),
    kinds.INAMI: _every(dossiers_social.inami),
    kinds.SPP_IS: _every(dossiers_social.spp_is),
    kinds.LIMOSA: _every(dossiers_regional.limosa),
    kinds.ONVA: _every(dossiers_regional.onva),
    kinds.LED: _every(dossiers_regional.led),
    kinds.VESTA: _every(dossiers_regional.vesta),
}


def record_rows(member: SimulatedInstitution, population: Population
                ) -> dict[Table, Iterable[dict[str, Any]]]:
    """The rows of each record table of the member's database (none if it keeps no records)."""
    generate = GENERATORS.get(member.kind)
    if generate is None:
        return {}
    return {records.table(member.kind, name): _rows(name, generated)
            for name, generated in generate(population, member).items()}


def _rows(table: str, generated: Iterator[Record]) -> Iterator[dict[str, Any]]:
    column = "niss" if table == "files" else "key"
    for record in generated:
        key = record.pop(column)
        yield records.record_row(key, record, column=column)
