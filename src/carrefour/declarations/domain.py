"""Declaration types as data (``types.toml``) and the rules a declaration must meet before the
hub sends it to its authentic source. Pure: no framework, no database."""

from __future__ import annotations

import datetime as dt
import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, NoReturn

from stdnum.be import vat
from stdnum.exceptions import ValidationError

from carrefour.catalogue.model import Catalogue, default_catalogue
from carrefour.declarations.decisions import DecisionRule, Period, parse_rule
from carrefour.errors import (
    DeclarationTypeNotAllowed,
    ImpossiblePeriod,
    InvalidInput,
    UnknownDeclarationType,
)

FIELD_TYPES = frozenset({"choice", "date", "amount", "integer", "string", "cbe"})
REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
MAX_AMOUNT = 1_000_000
MAX_TEXT = 200


class Action:
    DECLARE = "declare"
    CORRECT = "correct"
    CANCEL = "cancel"


@dataclass(frozen=True, slots=True, kw_only=True)
class FieldSpec:
    name: str
    type: str
    required: bool = False
    choices: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class PeriodRule:
    start: str
    end: str | None = None
    max_days: int | None = None
    earliest: dt.date | None = None
    max_future_days: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Allowed:
    """The quality codes that may declare: the same for every declaration (``codes``), or by
    the value of a choice field (``by``, ``codes_by``)."""

    codes: frozenset[int] = frozenset()
    by: str | None = None
    codes_by: Mapping[str, frozenset[int]] = field(default_factory=dict)

    def every(self) -> frozenset[int]:
        return self.codes.union(*self.codes_by.values())

    def for_data(self, data: Mapping[str, Any]) -> frozenset[int]:
        if self.by is None:
            return self.codes
        return self.codes_by.get(str(data.get(self.by)), frozenset())


YEAR_END = "year-end"  # a status running to 31 December of its start's year


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusRule:
    value: str | None = None
    by: str | None = None
    values: Mapping[str, str] = field(default_factory=dict)
    until: str | None = None  # YEAR_END, or the end of the declared period

    def of(self, data: Mapping[str, Any]) -> str | None:
        if self.by is None:
            return self.value
        return self.values.get(str(data.get(self.by)))

    def end(self, start: str, end: str | None) -> str | None:
        """The last day of the status of a period from ``start`` to ``end``."""
        return f"{start[:4]}-12-31" if self.until == YEAR_END else end


@dataclass(frozen=True, slots=True, kw_only=True)
class DeclarationType:
    code: str
    title: str
    service: str
    consultation: str
    source_kind: str
    fields: tuple[FieldSpec, ...]
    allowed: Allowed
    period: PeriodRule | None = None
    status: StatusRule | None = None
    decision: DecisionRule | None = None  # the source decides later (decisions.py)

    def bounds(self) -> Period | None:
        """The fields bounding the period, as the decision rules read them."""
        return None if self.period is None else Period(start=self.period.start,
                                                       end=self.period.end)


@dataclass(frozen=True)
class DeclarationTypes:
    types: Mapping[str, DeclarationType] = field(default_factory=dict)

    def get(self, code: str) -> DeclarationType:
        found = self.types.get(code)
        if found is None:
            raise UnknownDeclarationType(
                f"There is no declaration type '{code[:40]}'; known types: "
                f"{', '.join(self.types)}.")
        return found

    def by_service(self, service: str) -> DeclarationType | None:
        return next((t for t in self.types.values() if t.service == service), None)

    def all(self) -> list[DeclarationType]:
        return list(self.types.values())


# --- the file of declaration types -------------------------------------------------------------
def parse_types(text: str, catalogue: Catalogue | None = None) -> DeclarationTypes:
    """The declaration types of a TOML text, checked against the catalogue."""
    catalogue = catalogue or default_catalogue()
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InvalidInput(f"The declaration types are not valid TOML: {error}.") from None
    types = [_type(raw, catalogue) for raw in document.get("declaration", [])]
    codes = [t.code for t in types]
    twice = sorted({c for c in codes if codes.count(c) > 1})
    if twice:
        raise InvalidInput(f"The declaration types declare {', '.join(twice)} more than once.")
    resting = {t.code: t.decision.rests_on.type for t in types
               if t.decision and t.decision.rests_on}
    unknown = sorted(code for code, on in resting.items() if on not in codes)
    if unknown:
        raise InvalidInput(f"The declaration types {', '.join(unknown)} rest on unknown types.")
    found = DeclarationTypes({t.code: t for t in types})
    for kind in types:
        _check_year(kind, found)
    return found


def _check_year(kind: DeclarationType, types: DeclarationTypes) -> None:
    """A rule resting on the year of a grant reads a field the grant carries."""
    rests_on = kind.decision.rests_on if kind.decision else None
    if rests_on is None or rests_on.year is None:
        return
    if rests_on.year.field not in {f.name for f in types.get(rests_on.type).fields}:
        raise InvalidInput(f"Declaration type {kind.code}: a {rests_on.type} carries no field "
                           f"'{rests_on.year.field}'.")


def _type(raw: Mapping[str, Any], catalogue: Catalogue) -> DeclarationType:
    code = raw["code"]
    service = catalogue.get(raw["service"])
    consultation = catalogue.get(raw["consultation"])
    fields = tuple(_field(f) for f in raw["fields"])
    if not service.declaration or consultation.declaration:
        raise InvalidInput(f"Declaration type {code}: '{service.name}' must be a declaration "
                           f"service and '{consultation.name}' a consultation service.")
    if {f.name for f in fields} != set(service.fields):
        raise InvalidInput(f"Declaration type {code}: its fields are not those of the "
                           f"service '{service.name}'.")
    decision = parse_rule(raw["decision"]) if "decision" in raw else None
    if decision is not None and decision.ends and decision.rests_on is None:
        raise InvalidInput(f"Declaration type {code}: a decision that ends a grant rests on "
                           "one (rests_on).")
    if decision is not None and not decision.fields() <= {f.name for f in fields}:
        raise InvalidInput(f"Declaration type {code}: its decision rule reads fields it does "
                           f"not carry ({', '.join(sorted(decision.fields()))}).")
    return DeclarationType(
        code=code, title=raw["title"], service=service.name, consultation=consultation.name,
        source_kind=service.sources[0].kind, fields=fields, allowed=_allowed(raw["allowed"]),
        period=_period(raw["period"]) if "period" in raw else None,
        status=_status(raw["status"]) if "status" in raw else None, decision=decision,
    )


def _field(raw: Mapping[str, Any]) -> FieldSpec:
    if raw["type"] not in FIELD_TYPES:
        raise InvalidInput(f"The field '{raw['name']}' has an unknown type '{raw['type']}'.")
    return FieldSpec(name=raw["name"], type=raw["type"], required=bool(raw.get("required")),
                     choices=tuple(raw.get("choices", ())))


def _allowed(raw: Mapping[str, Any]) -> Allowed:
    return Allowed(codes=frozenset(raw.get("codes", ())), by=raw.get("by"),
                   codes_by={k: frozenset(v) for k, v in raw.get("codes_by", {}).items()})


def _period(raw: Mapping[str, Any]) -> PeriodRule:
    return PeriodRule(start=raw["start"], end=raw.get("end"), max_days=raw.get("max_days"),
                      earliest=raw.get("earliest"), max_future_days=raw.get("max_future_days"))


def _status(raw: Mapping[str, Any]) -> StatusRule:
    if raw.get("until") not in (None, YEAR_END):
        raise InvalidInput(f"A status runs until the end of its period or '{YEAR_END}'.")
    return StatusRule(value=raw.get("value"), by=raw.get("by"), values=raw.get("values", {}),
                      until=raw.get("until"))


@cache
def default_types() -> DeclarationTypes:
    text = resources.files(__package__).joinpath("types.toml").read_text(encoding="utf-8")
    return parse_types(text)


# --- the rules ---------------------------------------------------------------------------------
def check_reference(reference: str) -> str:
    if not REFERENCE.match(reference):
        raise InvalidInput("The declaration's reference is 1 to 64 letters, digits, '.', '_' "
                           "or '-', starting with a letter or a digit.")
    return reference


def validate_data(kind: DeclarationType, data: Mapping[str, Any]) -> dict[str, Any]:
    """The declaration's data, each field checked against its type; unknown fields refused."""
    declared = {f.name: f for f in kind.fields}
    unknown = sorted(set(data) - set(declared))
    if unknown:
        raise InvalidInput(f"A {kind.code} declaration has no field {', '.join(unknown)}; it "
                           f"carries: {', '.join(declared)}.")
    checked: dict[str, Any] = {}
    for spec in kind.fields:
        value = data.get(spec.name)
        if value is None:
            if spec.required:
                raise InvalidInput(f"The field '{spec.name}' of a {kind.code} is required.")
            continue
        checked[spec.name] = _value(spec, value)
    return checked


def _value(spec: FieldSpec, value: Any) -> Any:
    if spec.type == "choice" and value in spec.choices:
        return value
    if spec.type == "date" and isinstance(value, str):
        try:
            return dt.date.fromisoformat(value).isoformat()
        except ValueError:
            pass
    if spec.type == "amount" and _number(value) and 0 <= value <= MAX_AMOUNT:
        return round(float(value), 2)
    if spec.type == "integer" and _number(value) and isinstance(value, int) and value >= 0:
        return value if value <= MAX_AMOUNT else _refuse(spec, value)
    if spec.type == "string" and isinstance(value, str) and 0 < len(value.strip()) <= MAX_TEXT:
        return value.strip()
    if spec.type == "cbe" and isinstance(value, str):
        return _cbe(spec, value)
    return _refuse(spec, value)


def _number(value: Any) -> bool:
    return (isinstance(value, int | float) and not isinstance(value, bool)
            and math.isfinite(value))


def _cbe(spec: FieldSpec, value: str) -> str:
    try:
        return str(vat.validate(value))
    except ValidationError:
        _refuse(spec, value)
        raise


def _refuse(spec: FieldSpec, value: Any) -> NoReturn:
    shown = repr(value)[:60]
    expected = {"choice": "one of " + ", ".join(spec.choices), "date": "a date (YYYY-MM-DD)",
                "amount": f"an amount from 0 to {MAX_AMOUNT}",
                "integer": f"a whole number from 0 to {MAX_AMOUNT}",
                "string": f"a text of 1 to {MAX_TEXT} characters",
                "cbe": "an enterprise (CBE) number"}[spec.type]
    raise InvalidInput(f"The field '{spec.name}' must be {expected}: {shown}.")


def check_allowed(kind: DeclarationType, data: Mapping[str, Any] | None, capacity: int) -> None:
    """Refuse a declarant whose quality code does not allow this declaration (for a
    cancellation, ``data`` is None: any code allowed for the type will do)."""
    codes = kind.allowed.every() if data is None else kind.allowed.for_data(data)
    if capacity in codes:
        return
    what = kind.code if data is None or kind.allowed.by is None else (
        f"{kind.code} of {kind.allowed.by} '{data.get(kind.allowed.by)}'")
    listed = ", ".join(f"{c:03d}" for c in sorted(codes)) or "none"
    raise DeclarationTypeNotAllowed(
        f"A file with quality code {capacity:03d} may not declare a {what}; the codes that may: "
        f"{listed}.")


def check_period(kind: DeclarationType, data: Mapping[str, Any], today: dt.date) -> None:
    """Refuse a period that cannot be: ending before it starts, too long, too early or too far
    ahead."""
    rule = kind.period
    if rule is None:
        return
    start = dt.date.fromisoformat(data[rule.start])
    end = dt.date.fromisoformat(data[rule.end]) if rule.end and data.get(rule.end) else None
    if end is not None and end < start:
        raise ImpossiblePeriod(f"The period declared ends ({end}) before it starts ({start}).")
    if end is not None and rule.max_days and (end - start).days + 1 > rule.max_days:
        raise ImpossiblePeriod(f"A {kind.code} covers at most {rule.max_days} days; the period "
                               f"declared has {(end - start).days + 1}.")
    if rule.earliest and start < rule.earliest:
        raise ImpossiblePeriod(f"A {kind.code} cannot start before {rule.earliest} ({start}).")
    if rule.max_future_days is not None and (start - today).days > rule.max_future_days:
        raise ImpossiblePeriod(f"A {kind.code} cannot start more than {rule.max_future_days} "
                               f"days from today ({start}).")
