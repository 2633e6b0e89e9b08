"""Rules of Mediprima's medical aid decisions as the hub applies them. Pure: no framework, no I/O.

A CPAS decides to pay the medical costs of a person without health insurance; Mediprima (the
authentic source) registers the decision, calculates it and answers care providers who check
coverage. The hub checks a decision before it leaves (reference, period, coverage, ceiling),
names the operations (services of the catalogue, ``exchange = "mediprima"``) and reads
Mediprima's refusals into the hub's errors (their stable codes).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from carrefour.errors import (
    CarrefourError,
    InvalidCode,
    InvalidInput,
    InvalidPeriod,
    MediprimaDecisionStopped,
    MediprimaOverlap,
    MediprimaReferenceReused,
    MediprimaRefused,
    MediprimaUnknownDecision,
)

EXCHANGE = "mediprima"  # the catalogue's ``exchange`` of the services below

OPEN = "mediprima-open"  # ManageCarmed/openCarmed
MODIFY = "mediprima-modify"  # ManageCarmed/modifyCarmed
STOP = "mediprima-stop"  # ManageCarmed/stopCarmed
CONSULT = "mediprima-consult"  # ManageCarmed/consultCarmed
EVALUATE = "mediprima-evaluate"  # ManageCarmed/evaluateCarmed
EVALUATE_MODIFIED = "mediprima-evaluate-modified"  # ManageCarmed/evaluateModifiedCarmed
HISTORY = "mediprima-history"  # ManageCarmed/consultCarmedHistory
COVERAGE = "mediprima-coverage"  # the care providers' check before invoicing

COVERAGES = ("full", "ambulatory", "hospital")
MAX_DAYS = 366  # a decision covers at most one year; the CPAS takes a new one after
MAX_CEILING = 1_000_000  # euros
REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,35}")
EARLIEST = dt.date(2000, 1, 1)

REFUSALS: dict[str, type[CarrefourError]] = {
    "overlap": MediprimaOverlap,
    "reference-reused": MediprimaReferenceReused,
    "stopped": MediprimaDecisionStopped,
    "unknown-decision": MediprimaUnknownDecision,
}
"""Mediprima's refusal codes and the hub's errors for them."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    """A CPAS's medical aid decision as it declares it: its own reference, the period it
    covers, what it covers and up to how much (euros; None: no ceiling)."""

    reference: str
    start: dt.date
    end: dt.date
    coverage: str
    ceiling: int | None = None

    def parameters(self) -> dict[str, Any]:
        """The decision as the catalogue's parameters of the service."""
        given: dict[str, Any] = {"reference": self.reference, "start": self.start.isoformat(),
                                 "end": self.end.isoformat(), "coverage": self.coverage}
        if self.ceiling is not None:
            given["ceiling"] = self.ceiling
        return given


def decision(*, reference: str, start: dt.date, end: dt.date, coverage: str,
             ceiling: int | None = None) -> Decision:
    """The decision, checked; raises the error of the first thing wrong."""
    checked = Decision(reference=check_reference(reference), start=start, end=end,
                       coverage=_coverage(coverage), ceiling=_ceiling(ceiling))
    check_period(checked.start, checked.end)
    return checked


def check_reference(reference: str) -> str:
    """The CPAS's own reference of its decision: 1 to 36 letters, digits, ``. _ / -``."""
    if REFERENCE.fullmatch(reference) is None:
        raise InvalidInput(
            f"The decision reference {reference[:40]!r} is not valid: 1 to 36 letters, digits "
            "or the characters . _ / - (starting with a letter or a digit)."
        )
    return reference


def check_period(start: dt.date, end: dt.date) -> None:
    """A period from 2000 on, ending on or after its start, of at most a year."""
    if start < EARLIEST:
        raise InvalidPeriod(f"A decision starts on {EARLIEST} or later, not {start}.")
    if end < start:
        raise InvalidPeriod(f"The decision ends ({end}) before it starts ({start}).")
    if (end - start).days + 1 > MAX_DAYS:
        raise InvalidPeriod(
            f"A decision covers at most {MAX_DAYS} days; {start} to {end} is "
            f"{(end - start).days + 1} days. Take a new decision for what follows."
        )


def check_stop(end: dt.date) -> dt.date:
    if end < EARLIEST:
        raise InvalidPeriod(f"A decision stops on {EARLIEST} or later, not {end}.")
    return end


def _coverage(value: str) -> str:
    if value not in COVERAGES:
        raise InvalidCode(f"The coverage {value[:40]!r} is not one of {', '.join(COVERAGES)}.")
    return value


def _ceiling(value: int | None) -> int | None:
    if value is not None and not 1 <= value <= MAX_CEILING:
        raise InvalidInput(f"The ceiling is a whole number of euros from 1 to {MAX_CEILING}.")
    return value


# --- Mediprima's answers ---------------------------------------------------------------------
def refused(data: Mapping[str, Any]) -> None:
    """The verdict of a registration (open, modify, stop, consult): a refusal of Mediprima
    becomes the hub's error with its stable code."""
    refusal = data.get("refusal")
    if isinstance(refusal, Mapping):
        raise _error(refusal)


def simulated(data: Mapping[str, Any]) -> None:
    """The verdict of a simulation: a refused outcome is the answer itself; only a question
    about a decision that does not exist is an error."""
    refusal = data.get("refusal")
    if isinstance(refusal, Mapping) and refusal.get("code") == "unknown-decision":
        raise _error(refusal)


def _error(refusal: Mapping[str, Any]) -> CarrefourError:
    kind = REFUSALS.get(str(refusal.get("code")), MediprimaRefused)
    detail = str(refusal.get("detail") or kind.title)
    if kind is MediprimaOverlap:
        detail += (" Conflicts are settled between the CPAS concerned, then by the SPP IS;"
                   " the decision was not registered.")
    return kind(detail)


Verdict = Callable[[Mapping[str, Any]], None]
VERDICTS: dict[str, Verdict | None] = {
    OPEN: refused, MODIFY: refused, STOP: refused, CONSULT: refused,
    EVALUATE: simulated, EVALUATE_MODIFIED: simulated, HISTORY: None, COVERAGE: None,
}
