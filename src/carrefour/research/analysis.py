"""The analytical engine of research extracts: DuckDB, over the population's rows.

The status records of the population and the persons' pseudonymised attributes are handed to
an in-memory DuckDB connection as Arrow tables; DuckDB keeps each person's earliest status of
the period, coarsens the dates, and counts the persons per cell. The NISS numbers never leave
this module except as the list of persons included (for their journal entries)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa

from carrefour.research.domain import ONGOING, Period, Variable

# How DuckDB computes each variable from a person's record (``r``) and attributes (``p``).
_EXPRESSIONS: dict[Variable, str] = {
    Variable.SEX: "p.sex",
    Variable.BIRTH_YEAR: "p.birth_year",
    Variable.BIRTH_DECADE: "p.birth_decade",
    Variable.REGION: "p.region",
    Variable.PROVINCE: "p.province",
    Variable.STATUS: "r.status",
    Variable.START_MONTH: "strftime(greatest(r.starts_on, $first), '%Y-%m')",
    Variable.START_YEAR: "strftime(greatest(r.starts_on, $first), '%Y')",
    Variable.END_MONTH: f"CASE WHEN r.ends_on IS NULL OR r.ends_on > $last THEN '{ONGOING}' "
                        "ELSE strftime(r.ends_on, '%Y-%m') END",
    Variable.END_YEAR: f"CASE WHEN r.ends_on IS NULL OR r.ends_on > $last THEN '{ONGOING}' "
                       "ELSE strftime(r.ends_on, '%Y') END",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Person:
    """What the extract may say of a person apart from their statuses."""

    niss: str
    pseudonym: str
    sex: str
    birth_year: str | None
    birth_decade: str | None
    region: str
    province: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Record:
    niss: str
    status: str
    starts_on: dt.date
    ends_on: dt.date | None
    event_id: str


class Population:
    """One row per person of the project: their earliest status record in the period, with
    every variable of the project computed. Close it (or use it in ``with``)."""

    def __init__(self, records: Sequence[Record], persons: Sequence[Person], period: Period,
                 variables: Sequence[Variable]) -> None:
        self._db = duckdb.connect()
        self._db.register("records_arrow", _records_table(records))
        self._db.register("persons_arrow", _persons_table(persons))
        bounds = {"$first": f"DATE '{period.start.isoformat()}'",
                  "$last": f"DATE '{period.end.isoformat()}'"}  # dates: no quoting needed
        columns = ", ".join(f"{_bind(_EXPRESSIONS[v], bounds)} AS {v}" for v in variables)
        self._db.execute(f"""
            CREATE TABLE population AS
            SELECT p.niss, p.pseudonym{', ' if columns else ''}{columns}
            FROM (SELECT * FROM records_arrow QUALIFY row_number() OVER (
                      PARTITION BY niss ORDER BY starts_on, status, event_id) = 1) r
            JOIN persons_arrow p ON p.niss = r.niss""")
        self._db.unregister("records_arrow")
        self._db.unregister("persons_arrow")

    def __enter__(self) -> Population:
        return self

    def __exit__(self, *_: object) -> None:
        self._db.close()

    def nisses(self) -> list[str]:
        return [row[0] for row in self._db.execute(
            "SELECT niss FROM population ORDER BY niss").fetchall()]

    def rows(self, variables: Sequence[Variable]) -> list[tuple[Any, ...]]:
        """(pseudonym, the variables' values..., how many persons share those values), in
        the order of the pseudonyms (which says nothing of the persons)."""
        names = ", ".join(variables)
        share = f"count(*) OVER (PARTITION BY {names})" if variables else "count(*) OVER ()"
        return self._db.execute(
            f"SELECT pseudonym{', ' if names else ''}{names}, {share} FROM population "
            "ORDER BY pseudonym").fetchall()

    def counts(self, variables: Sequence[Variable]) -> list[tuple[Any, ...]]:
        """(the variables' values..., persons) for every cell holding someone, in order."""
        if not variables:
            return self._db.execute("SELECT count(*) FROM population "
                                    "HAVING count(*) > 0").fetchall()
        names = ", ".join(variables)
        return self._db.execute(f"SELECT {names}, count(*) FROM population GROUP BY ALL "
                                "ORDER BY ALL").fetchall()


def _bind(expression: str, bounds: dict[str, str]) -> str:
    for name, literal in bounds.items():
        expression = expression.replace(name, literal)
    return expression


def _records_table(records: Sequence[Record]) -> pa.Table:
    return pa.table({
        "niss": pa.array([r.niss for r in records], pa.string()),
        "status": pa.array([r.status for r in records], pa.string()),
        "starts_on": pa.array([r.starts_on for r in records], pa.date32()),
        "ends_on": pa.array([r.ends_on for r in records], pa.date32()),
        "event_id": pa.array([r.event_id for r in records], pa.string()),
    })


def _persons_table(persons: Sequence[Person]) -> pa.Table:
    names = ("niss", "pseudonym", "sex", "birth_year", "birth_decade", "region", "province")
    return pa.table({name: pa.array([getattr(p, name) for p in persons], pa.string())
                     for name in names})
