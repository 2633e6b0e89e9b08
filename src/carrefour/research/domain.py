"""Rules of research extracts. Pure: no framework, no database.

A research project is registered by the hub's operators: the researcher's institution, the
deliberation it rests on, its variables (a declared list, each coarsened: dates to a month or
a year, places to a province or a region) and its population (the persons with one of the
project's statuses of the status buffer during its period). Each person counts once: the
earliest of their statuses in the period describes them, so a person lies in exactly one
cell of any table (the sensitivity of a count is 1, which the differential privacy relies on).

A person's pseudonym is HMAC-SHA256 of their NISS under a key of the project's own
(:func:`project_key`), derived from the hub's research secret, the project's id and a salt
drawn at registration: two projects' pseudonyms of the same person share nothing, and no one
without the hub's secret can compute or reverse them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from carrefour.directory.domain import Deliberation
from carrefour.errors import (
    InvalidEpsilon,
    InvalidResearchProject,
    ResearchNotGranted,
    UnknownResearchVariable,
)
from carrefour.rights.evaluation import REGIONS
from carrefour.rights.evaluation import UNKNOWN as UNKNOWN_PLACE
from carrefour.statuses.domain import STATUSES

# The catalogue service whose fields a research deliberation grants (the status buffer).
SERVICE = "harmonised-statuses"
EXTRACT = "research-extract"  # the journal action of an extract
INCLUSION = "research-inclusion"  # the journal action: a person included in an extract
PROJECT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
FIRST_YEAR, LAST_YEAR = 2000, 2100
MAX_PERIOD_DAYS = 366 * 10
FIRST_BIRTH_YEAR = 1890
MICRO = 1_000_000  # budgets are kept in millionths of epsilon: sums stay exact
MIN_EPSILON, MAX_EPSILON = 0.001, 10.0  # one release
MAX_BUDGET = 100.0  # a project's whole budget
MAX_DP_CELLS = 10_000
DEFAULT_MIN_CELL = 5
DEFAULT_INLINE_ROWS = 10_000  # the most rows an extract answers inline (more: a file)
VIEW = "research-project"  # the journal action: a researcher looks at their project
ONGOING = "ongoing"  # a status still running at the end of the project's period
_KEY_LABEL = b"carrefour-research/pseudonym-key"


class Variable(StrEnum):
    """What a row or a cell may say about a person; each is derived from one field of the
    research service, which the deliberation must grant."""

    SEX = "sex"  # F, M, U (a BIS number that does not encode it)
    BIRTH_YEAR = "birth_year"
    BIRTH_DECADE = "birth_decade"
    REGION = "region"  # of the household's postal code
    PROVINCE = "province"
    STATUS = "status"
    START_MONTH = "start_month"  # the status's start, no earlier than the period's first day
    START_YEAR = "start_year"
    END_MONTH = "end_month"  # its end, or "ongoing" when it runs past the period
    END_YEAR = "end_year"


SOURCE_FIELD: dict[Variable, str] = {
    Variable.SEX: "niss", Variable.BIRTH_YEAR: "niss", Variable.BIRTH_DECADE: "niss",
    Variable.REGION: "household_id", Variable.PROVINCE: "household_id",
    Variable.STATUS: "status", Variable.START_MONTH: "start", Variable.START_YEAR: "start",
    Variable.END_MONTH: "end", Variable.END_YEAR: "end",
}


class ExtractKind(StrEnum):
    ROWS = "rows"  # pseudonymised rows, one per person
    TABLE = "table"  # persons per cell, small cells suppressed
    DP_TABLE = "dp-table"  # persons per cell with differentially private noise


@dataclass(frozen=True, slots=True)
class Period:
    start: dt.date
    end: dt.date  # included

    @classmethod
    def of(cls, start: dt.date, end: dt.date) -> Period:
        if end < start:
            raise InvalidResearchProject(f"The period cannot end ({end}) before it starts "
                                         f"({start}).")
        if start.year < FIRST_YEAR or end.year > LAST_YEAR:
            raise InvalidResearchProject(f"The period lies outside {FIRST_YEAR}-{LAST_YEAR}.")
        if (end - start).days > MAX_PERIOD_DAYS:
            raise InvalidResearchProject("A research period covers at most ten years.")
        return cls(start, end)

    def months(self) -> list[str]:
        found, year, month = [], self.start.year, self.start.month
        while (year, month) <= (self.end.year, self.end.month):
            found.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return found

    def years(self) -> list[str]:
        return [str(y) for y in range(self.start.year, self.end.year + 1)]


@dataclass(frozen=True, slots=True, kw_only=True)
class ProjectSpec:
    """What the operator registers."""

    id: str
    title: str
    researcher: str  # the CBE number of the researcher's institution
    deliberation: str
    variables: tuple[Variable, ...]
    statuses: tuple[str, ...]
    period: Period
    budget: float | None = None  # epsilon for the differentially private tables (None: none)


def project_spec(*, id: str, title: str, researcher: str, deliberation: str,
                 variables: Iterable[str], statuses: Iterable[str], start: dt.date,
                 end: dt.date, budget: float | None = None) -> ProjectSpec:
    """A project as an operator gives it, checked whole."""
    if not title.strip() or not deliberation.strip():
        raise InvalidResearchProject("A research project needs a title and a deliberation.")
    chosen = parse_variables(variables)
    if not chosen:
        raise UnknownResearchVariable("A research project declares at least one variable.")
    return ProjectSpec(id=parse_project_id(id), title=title.strip(), researcher=researcher,
                       deliberation=deliberation.strip(), variables=chosen,
                       statuses=parse_statuses(statuses), period=Period.of(start, end),
                       budget=parse_budget(budget))


def parse_project_id(text: str) -> str:
    if not PROJECT_ID.match(text):
        raise InvalidResearchProject(f"A project id is 1 to 40 letters, digits, '.', '_' or "
                                     f"'-', starting with a letter or digit, not {text[:45]!r}.")
    return text


def parse_variables(names: Iterable[str], *, allowed: Sequence[Variable] | None = None
                    ) -> tuple[Variable, ...]:
    """The variables named, in order, each once; a name not known (or not among ``allowed``,
    the project's own) is refused with :class:`UnknownResearchVariable`."""
    chosen: list[Variable] = []
    for name in names:
        try:
            variable = Variable(name)
        except ValueError:
            known = ", ".join(allowed or list(Variable))
            raise UnknownResearchVariable(f"There is no research variable {name[:40]!r}; "
                                          f"the variables are {known}.") from None
        if allowed is not None and variable not in allowed:
            raise UnknownResearchVariable(f"The variable {variable} is not one of the "
                                          f"project's: {', '.join(allowed)}.")
        if variable not in chosen:
            chosen.append(variable)
    return tuple(chosen)


def parse_statuses(names: Iterable[str]) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(names))
    unknown = [s for s in chosen if s not in STATUSES]
    if not chosen or unknown:
        given = ", ".join(unknown) or "none"
        raise InvalidResearchProject(f"The population is given by statuses of the buffer "
                                     f"({', '.join(STATUSES)}); not {given}.")
    return chosen


def parse_budget(value: float | None) -> float | None:
    if value is None:
        return None
    if not (math.isfinite(value) and MIN_EPSILON <= value <= MAX_BUDGET):
        raise InvalidEpsilon(f"A project's privacy budget lies between {MIN_EPSILON} and "
                             f"{MAX_BUDGET}; {value!r} is not possible.")
    return value


def parse_epsilon(kind: ExtractKind, value: float | None) -> float | None:
    """The epsilon a release spends: required for a differentially private table, refused
    for the other kinds."""
    if kind is not ExtractKind.DP_TABLE:
        if value is not None:
            raise InvalidEpsilon(f"An extract of kind {kind} spends no privacy budget: "
                                 "give no epsilon.")
        return None
    if value is None or not (math.isfinite(value) and MIN_EPSILON <= value <= MAX_EPSILON):
        raise InvalidEpsilon(f"A differentially private table needs an epsilon between "
                             f"{MIN_EPSILON} and {MAX_EPSILON}; {value!r} is not possible.")
    return value


def to_micro(epsilon: float) -> int:
    return round(epsilon * MICRO)


def from_micro(micro: int) -> float:
    return micro / MICRO


def check_grant(spec: ProjectSpec, grants: Sequence[Deliberation], client_kind: str,
                today: dt.date) -> Deliberation:
    """The grant of the research use: the deliberation, valid today, gives the researcher's
    kind of institution the research service with no file on the persons (no quality code:
    no consultation goes under it), and every field the variables are derived from."""
    grant = next((g for g in grants if g.reference == spec.deliberation
                  and g.client_kind == client_kind and g.service == SERVICE
                  and not g.quality_codes and g.valid_on(today)), None)
    if grant is None:
        raise ResearchNotGranted(f"No valid deliberation {spec.deliberation} grants a "
                                 f"{client_kind} the research use of {SERVICE!r}.")
    needed = {"niss", "status", *(SOURCE_FIELD[v] for v in spec.variables)}
    missing = sorted(needed - grant.fields)
    if missing:
        raise ResearchNotGranted(f"The deliberation {spec.deliberation} does not grant a "
                                 f"{client_kind} the field(s) {', '.join(missing)}.")
    return grant


# --- pseudonyms ------------------------------------------------------------------------------
def project_key(secret: bytes, project_id: str, salt: str) -> bytes:
    """The project's own pseudonym key, derived from the hub's research secret."""
    message = b"\x00".join((_KEY_LABEL, project_id.encode("utf-8"), salt.encode("ascii")))
    return hmac.new(secret, message, hashlib.sha256).digest()


def pseudonym(key: bytes, niss: str) -> str:
    return hmac.new(key, niss.encode("ascii"), hashlib.sha256).hexdigest()


# --- coarsening ------------------------------------------------------------------------------
def month_of(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def decade_of(year: int | None) -> str | None:
    return None if year is None else f"{year - year % 10}s"


def start_in(period: Period, start: dt.date) -> dt.date:
    """A status's start as the project sees it: no earlier than the period's first day."""
    return max(start, period.start)


def end_in(period: Period, end: dt.date | None) -> dt.date | None:
    """A status's end as the project sees it: None (ongoing) when it runs past the period."""
    return end if end is not None and end <= period.end else None


def public_domain(variable: Variable, period: Period, statuses: Sequence[str]
                  ) -> list[str]:
    """Every value the variable can take, known without the data: the cells of a
    differentially private table (releasing only the cells found would reveal persons)."""
    births = range(FIRST_BIRTH_YEAR, period.end.year + 1)
    provinces = sorted(REGIONS)
    domains: dict[Variable, list[str]] = {
        Variable.SEX: ["F", "M", "U"],
        Variable.BIRTH_YEAR: [str(y) for y in births],
        Variable.BIRTH_DECADE: sorted({str(decade_of(y)) for y in births}),
        Variable.REGION: [*sorted(set(REGIONS.values())), UNKNOWN_PLACE],
        Variable.PROVINCE: [*provinces, UNKNOWN_PLACE],
        Variable.STATUS: list(statuses),
        Variable.START_MONTH: period.months(),
        Variable.START_YEAR: period.years(),
        Variable.END_MONTH: [*period.months(), ONGOING],
        Variable.END_YEAR: [*period.years(), ONGOING],
    }
    return domains[variable]


def dp_cells(variables: Sequence[Variable], period: Period, statuses: Sequence[str]
             ) -> list[tuple[str, ...]]:
    """The cells of a differentially private table: every combination of the public values
    (one cell, the whole population, when no variable is asked)."""
    cells: list[tuple[str, ...]] = [()]
    for variable in variables:
        values = public_domain(variable, period, statuses)
        if len(cells) * len(values) > MAX_DP_CELLS:
            raise UnknownResearchVariable(
                f"A differentially private table has at most {MAX_DP_CELLS} cells; these "
                f"variables ({', '.join(variables)}) make more. Ask fewer or coarser ones.")
        cells = [(*cell, value) for cell in cells for value in values]
    return cells


# --- small cells -----------------------------------------------------------------------------
def suppressed(count: int, min_cell: int) -> bool:
    """A cell counting fewer persons than the threshold is not released (nor is its count)."""
    return count < min_cell
