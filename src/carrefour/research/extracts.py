"""Making one extract for a project: its population read from the status buffer, analysed by
DuckDB (:mod:`carrefour.research.analysis`), released as pseudonymised rows (beyond the
policy's inline rows, as a file of the researcher's mailbox: :mod:`carrefour.research.files`),
as a table whose small cells are suppressed, or as a differentially private table
(:mod:`carrefour.research.privacy`) — and, in one transaction, the budget spent, the release
recorded, the file put in the mailbox, one journal entry per person included
(``research-inclusion``, under the person's NISS: "who consulted my data" shows it) and the
extract's own entry."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from carrefour.db import reading
from carrefour.directory.domain import Institution
from carrefour.errors import (
    AllCellsSuppressed,
    CarrefourError,
    NotProjectResearcher,
    PrivacyBudgetExceeded,
    UnknownResearchProject,
)
from carrefour.identification.niss import parse_niss
from carrefour.journal.chain import append as journal_append
from carrefour.journal.entries import JournalEntry, new_ticket
from carrefour.journal.recorded import Stamp
from carrefour.lists.repository import insert_files
from carrefour.research import domain, files, repository
from carrefour.research.analysis import Person, Population, Record
from carrefour.research.domain import ExtractKind, Variable
from carrefour.research.privacy import laplace_counts
from carrefour.research.repository import Project
from carrefour.rights.evaluation import UNKNOWN as UNKNOWN_PLACE
from carrefour.rights.evaluation import place_of


@dataclass(frozen=True, slots=True, kw_only=True)
class Order:
    """What the researcher asks: a kind of extract, the variables (default: the project's),
    and the epsilon a differentially private table spends."""

    kind: ExtractKind
    variables: tuple[str, ...] | None = None
    epsilon: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Policy:
    secret: bytes  # the hub's research key, from which each project's key is derived
    place: files.Place  # where a rows extract too large to answer inline is written
    min_cell: int = domain.DEFAULT_MIN_CELL
    inline_rows: int = domain.DEFAULT_INLINE_ROWS  # more rows: a file, not the answer


@dataclass(frozen=True, slots=True, kw_only=True)
class Asked:
    """An order checked against its project."""

    project: Project
    kind: ExtractKind
    variables: tuple[Variable, ...]
    epsilon: float | None


def own_project(engine: Engine, project_id: str, researcher: Institution) -> Project:
    """The project, for its researcher only (another institution: 403)."""
    with reading(engine).connect() as connection:
        project = repository.project_by_id(connection, project_id)
    if project is None:
        raise UnknownResearchProject(f"There is no research project {project_id}.")
    if project.institution_id != researcher.id:
        raise NotProjectResearcher(f"The research project {project_id} is another "
                                   "institution's.")
    return project


def check_order(project: Project, order: Order) -> Asked:
    chosen = domain.parse_variables(order.variables or project.variables,
                                    allowed=project.variables)
    epsilon = domain.parse_epsilon(order.kind, order.epsilon)
    if epsilon is not None:
        domain.dp_cells(chosen, project.period, project.statuses)  # not too many cells
        _check_budget(project, domain.to_micro(epsilon))
    return Asked(project=project, kind=order.kind, variables=chosen, epsilon=epsilon)


def _check_budget(project: Project, micro: int) -> None:
    if project.budget_micro is None:
        raise PrivacyBudgetExceeded(f"The research project {project.id} has no privacy "
                                    "budget: it gets no differentially private table.")
    left = project.budget_micro - project.spent_micro
    if micro > left:
        raise PrivacyBudgetExceeded(
            f"The release would spend epsilon {domain.from_micro(micro)}; the research "
            f"project {project.id} has {domain.from_micro(left)} left of its budget "
            f"{domain.from_micro(project.budget_micro)}.")


def make(engine: Engine, asked: Asked, policy: Policy, *, researcher: Institution,
         stamp: Stamp) -> dict[str, Any]:
    """The extract asked, committed with everything it is traceable by (a file written for
    it is removed when the commit fails)."""
    with load(engine, asked.project, policy) as population:
        released = _release(population, asked, policy)
        nisses = population.nisses()
    now = dt.datetime.now(dt.UTC)
    written = _file_if_large(released, asked, policy, researcher, stamp.ticket, now)
    try:
        _commit(engine, asked, released, nisses, researcher=researcher, stamp=stamp, now=now,
                written=written)
    except BaseException:
        if written is not None:
            written.remove()
        raise
    return {"project": asked.project.id, "kind": str(asked.kind),
            "variables": list(asked.variables), **released}


def _file_if_large(released: dict[str, Any], asked: Asked, policy: Policy,
                   researcher: Institution, ticket: str, now: dt.datetime
                   ) -> files.Written | None:
    """Rows beyond the inline limit go to a file of the researcher's mailbox: the answer
    then holds its manifest (``file``) instead of the rows (``delivery`` says which)."""
    if asked.kind is not ExtractKind.ROWS:
        return None
    if len(released["rows"]) <= policy.inline_rows:
        released["delivery"] = "inline"
        return None
    written = files.write_rows(policy.place, asked.project, researcher,
                               ["pseudonym", *asked.variables], released.pop("rows"),
                               ticket=ticket, now=now)
    released.update(delivery="file", file=written.manifest)
    return written


def _commit(engine: Engine, asked: Asked, released: dict[str, Any], nisses: Sequence[str], *,
            researcher: Institution, stamp: Stamp, now: dt.datetime,
            written: files.Written | None) -> None:
    micro = None if asked.epsilon is None else domain.to_micro(asked.epsilon)
    project = asked.project
    with engine.begin() as connection:
        if micro is not None:
            spent = repository.spend(connection, project.id, micro)
            if spent is None:
                raise PrivacyBudgetExceeded(f"The research project {project.id} has not "
                                            "enough privacy budget left for this release.")
            released["budget"] = _budget(project.budget_micro, spent)
        repository.insert_release(connection, {
            "project_id": project.id, "ticket": stamp.ticket, "kind": str(asked.kind),
            "variables": list(asked.variables), "epsilon_micro": micro,
            "persons": len(nisses), "released_at": now})
        if written is not None:
            insert_files(connection, [written.row])
        journal_append(connection, [
            *_inclusions(nisses, project, researcher, stamp, now),
            stamp.entry("ok", reference=f"research:{project.id}:{asked.kind}")])
        stamp.sealed = True


def load(engine: Engine, project: Project, policy: Policy) -> Population:
    """The project's population in DuckDB, every variable of the project computed."""
    with reading(engine).connect() as connection:
        found = repository.status_rows(connection, project.statuses, project.period)
        nisses = sorted({row[0] for row in found})
        places = repository.postal_codes(connection, nisses, project.period.end)
    key = domain.project_key(policy.secret, project.id, project.key_salt)
    records = [Record(niss=n, status=s, starts_on=a, ends_on=b, event_id=e)
               for n, s, a, b, e in found]
    persons = [_person(niss, key, places.get(niss)) for niss in nisses]
    return Population(records, persons, project.period, project.variables)


def _person(niss: str, key: bytes, postal_code: str | None) -> Person:
    try:
        parsed = parse_niss(niss)
        sex, year = str(parsed.gender), parsed.birth_year
    except CarrefourError:  # a number the buffer holds but does not parse: nothing known
        sex, year = "U", None
    region, province = place_of(postal_code) if postal_code else (UNKNOWN_PLACE, UNKNOWN_PLACE)
    return Person(niss=niss, pseudonym=domain.pseudonym(key, niss), sex=sex,
                  birth_year=None if year is None else str(year),
                  birth_decade=domain.decade_of(year), region=region, province=province)


def _release(population: Population, asked: Asked, policy: Policy) -> dict[str, Any]:
    if asked.kind is ExtractKind.ROWS:
        return _rows(population, asked.variables, policy.min_cell)
    if asked.kind is ExtractKind.TABLE:
        return _table(population, asked.variables, policy.min_cell)
    return _dp_table(population, asked)


def _rows(population: Population, variables: Sequence[Variable], min_cell: int
          ) -> dict[str, Any]:
    """One row per person; a row whose values fewer than ``min_cell`` persons share has
    them suppressed (null), so that no row singles a person out by its values."""
    rows, hidden = [], 0
    for pseudonym, *values, sharing in population.rows(variables):
        if domain.suppressed(sharing, min_cell):
            values, hidden = [None] * len(values), hidden + 1
        rows.append({"pseudonym": pseudonym, **dict(zip(variables, values, strict=True))})
    return {"min_cell": min_cell, "persons": len(rows), "suppressed_rows": hidden,
            "rows": rows}


def _table(population: Population, variables: Sequence[Variable], min_cell: int
           ) -> dict[str, Any]:
    """Persons per cell; the cells under ``min_cell`` are left out, only their number said.
    When every cell would be, the request is refused rather than answered with no cell."""
    counts = population.counts(variables)
    shown = [row for row in counts if not domain.suppressed(row[-1], min_cell)]
    if not shown:
        raise AllCellsSuppressed(
            f"Every cell of the table counts fewer than {min_cell} persons "
            f"({len(counts)} cell(s) with someone); no table is released. Ask fewer or "
            "coarser variables.")
    return {"min_cell": min_cell, "suppressed_cells": len(counts) - len(shown),
            "cells": [_cell(variables, row) for row in shown]}


def _dp_table(population: Population, asked: Asked) -> dict[str, Any]:
    """Noisy persons for every cell of the public domain, spending the epsilon asked."""
    assert asked.epsilon is not None  # checked by check_order
    project = asked.project
    cells = domain.dp_cells(asked.variables, project.period, project.statuses)
    true = {tuple(str(v) for v in row[:-1]): row[-1] for row in population.counts(
        asked.variables)}
    noisy = laplace_counts([true.get(cell, 0) for cell in cells], asked.epsilon)
    return {"epsilon": asked.epsilon, "budget": None,  # what is left once it is spent
            "cells": [_cell(asked.variables, (*cell, n)) for cell, n in zip(cells, noisy,
                                                                             strict=True)]}


def _budget(total: int | None, spent: int) -> dict[str, float | None]:
    if total is None:
        return {"total": None, "spent": domain.from_micro(spent), "left": None}
    return {"total": domain.from_micro(total), "spent": domain.from_micro(spent),
            "left": domain.from_micro(total - spent)}


def budget_of(project: Project) -> dict[str, float | None]:
    return _budget(project.budget_micro, project.spent_micro)


def _cell(variables: Sequence[Variable], row: Sequence[Any]) -> dict[str, Any]:
    return {**dict(zip(variables, row[:-1], strict=True)), "persons": row[-1]}


def _inclusions(nisses: Sequence[str], project: Project, researcher: Institution,
                stamp: Stamp, now: dt.datetime) -> list[JournalEntry]:
    """One entry per person included, under their NISS: the researcher as the client, the
    service the data come from and the deliberation (as a list's inclusions: the warehouse
    counts them), the project and the extract's ticket as the reference (nothing of what was
    released)."""
    return [
        JournalEntry(ticket=new_ticket(), occurred_at=now, channel=stamp.act.channel,
                     action=domain.INCLUSION, client=researcher.cbe, end_user_id=None,
                     end_user_role=None, service=domain.SERVICE, niss=niss, quality_code=None,
                     deliberation=project.deliberation, outcome="ok", duration_ms=0.0,
                     reference=f"research:{project.id}:{stamp.ticket}")
        for niss in nisses
    ]
