"""Rules of the console. Pure: who may see which view, what a citizen is shown and when,
and the dashboard's figures."""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from carrefour.errors import Forbidden
from carrefour.journal.entries import JournalEntry

OPERATOR_ROLES = frozenset({"operator", "support", "auditor"})
DPO_ROLE = "dpo"
CITIZEN_ROLE = "citizen"
CITIZEN_CLIENT = "citizen"  # the journal's client for a citizen's own look-ups
# The actions that are a consultation of a person's data (what a citizen is shown).
CONSULTATIONS = frozenset({"consult", "search-result", "list-inclusion", "research-inclusion"})
LIST_INCLUSION = "list-inclusion"  # the person was included in a list sent to the institution
# The person was included in an extract of a research project of the institution.
RESEARCH_INCLUSION = "research-inclusion"
SOURCE_FAILURES = frozenset({"source-unavailable", "source-timeout"})


class View(StrEnum):
    DASHBOARD = "dashboard"
    TICKET = "ticket"
    INSTITUTIONS = "institutions"
    CREDENTIALS = "credentials"
    DELIBERATIONS = "deliberations"
    AVAILABILITY = "availability"
    AUDIT = "audit"
    EXCHANGES = "exchanges"  # a DPO's: the exchanges of their own institution
    MINE = "mine"  # a citizen's: who consulted my data
    STATISTICS = "statistics"  # the data warehouse: distinct persons, usage of the services


OPERATOR_VIEWS = frozenset(View) - {View.EXCHANGES, View.MINE}


@dataclass(frozen=True, slots=True, kw_only=True)
class Session:
    """Who is signed in to the console. Staff act for an institution (their client id, in a
    role of its sector); a citizen is known by the NISS the identity provider vouched for."""

    kind: str  # "staff" or "citizen"
    end_user_id: str
    role: str
    language: str
    client_id: str | None = None
    institution_id: int | None = None
    scopes: frozenset[str] = frozenset()
    niss: str | None = None

    def views(self) -> frozenset[View]:
        if self.kind == "citizen":
            return frozenset({View.MINE})
        if self.role == DPO_ROLE:
            return frozenset({View.EXCHANGES})
        if self.role in OPERATOR_ROLES and "admin" in self.scopes:
            return OPERATOR_VIEWS
        return frozenset()

    def require(self, view: View) -> None:
        if view not in self.views():
            raise Forbidden(f"The role {self.role} does not give access to the view {view}.")


def release_date(occurred_at: dt.datetime, confidential_days: int | None) -> dt.date | None:
    """When an exchange under a confidential grant may be shown to the person (None: at once)."""
    if confidential_days is None:
        return None
    return occurred_at.date() + dt.timedelta(days=confidential_days)


def shown_to_person(
    entry: JournalEntry, confidential_days: int | None, *, today: dt.date
) -> bool:
    """A consultation that succeeded, and is not withheld (or no longer)."""
    if entry.action not in CONSULTATIONS or entry.outcome != "ok":
        return False
    released = release_date(entry.occurred_at, confidential_days)
    return released is None or released <= today


def confidential_days(deliberation: str | None, days: Mapping[str, int]) -> int | None:
    """The longest confidentiality of the grants an exchange went under (a composite
    consultation names several references, joined by ``+``)."""
    found = [days[r] for r in (deliberation or "").split("+") if r in days]
    return max(found) if found else None


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile (p99: ``fraction=0.99``) of non-empty ``values``."""
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True, slots=True, kw_only=True)
class Dashboard:
    window_seconds: int
    exchanges_per_second: float
    refusals: list[tuple[str, int]]
    p99_by_service: list[tuple[str, int, float]]  # service, exchanges, p99 in ms
    sources: list[tuple[str, int, int, bool]]  # source CBE, asked, failed, last answered


def dashboard(entries: Iterable[JournalEntry], *, window_seconds: int) -> Dashboard:
    """The figures of the window, from the journal's entries of exchanges (not operators'
    calls nor the console's own look-ups)."""
    exchanges = [e for e in entries if e.service is not None and e.channel in ("rest", "soap")]
    refusals = Counter(e.outcome for e in exchanges if e.outcome != "ok")
    durations: dict[str, list[float]] = defaultdict(list)
    for entry in exchanges:
        durations[str(entry.service)].append(entry.duration_ms)
    return Dashboard(
        window_seconds=window_seconds,
        exchanges_per_second=round(len(exchanges) / window_seconds, 2),
        refusals=sorted(refusals.items(), key=lambda item: (-item[1], item[0])),
        p99_by_service=[
            (service, len(values), round(percentile(values, 0.99), 1))
            for service, values in sorted(durations.items())
        ],
        sources=_sources(exchanges),
    )


def _sources(exchanges: Sequence[JournalEntry]) -> list[tuple[str, int, int, bool]]:
    asked: Counter[str] = Counter()
    failed: Counter[str] = Counter()
    last_ok: dict[str, bool] = {}
    for entry in exchanges:
        for source in entry.sources:
            asked[source] += 1
            bad = entry.outcome in SOURCE_FAILURES
            failed[source] += bad
            last_ok[source] = not bad
    return [(s, asked[s], failed[s], last_ok[s]) for s in sorted(asked)]


CSV_COLUMNS = ("date", "ticket", "end_user", "role", "service", "niss", "capacity", "outcome")


def exchange_row(entry: JournalEntry) -> dict[str, str]:
    """One exchange as a line of a DPO's CSV export."""
    values: Mapping[str, object] = {
        "date": entry.occurred_at.isoformat(timespec="seconds"),
        "ticket": entry.ticket,
        "end_user": entry.end_user_id,
        "role": entry.end_user_role,
        "service": entry.service,
        "niss": entry.niss,
        "capacity": entry.quality_code,
        "outcome": entry.outcome,
    }
    return {key: "" if value is None else str(value) for key, value in values.items()}
