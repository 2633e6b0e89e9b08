"""Service declarations and the validation of their parameters."""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from typing import Any

from carrefour import reference as reference_lists
from carrefour.errors import InvalidInput, UnknownService
from carrefour.identification.niss import NissKind

SECTOR_FIELD = "sector"
CONSULTATION = "consultation"
"""The exchange of an ordinary service; a service of another exchange (``exchange = "mediprima"``
in the catalogue: a declaration the authentic source registers) is refused on the consultation
path and used only through its own entry points."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Parameter:
    name: str
    type: str
    required: bool = False
    choices: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class PartCondition:
    """When a part of a composite service is asked, from the key data of the person (the birth
    date the NISS carries): e.g. the pension register only for persons aged 60 or more."""

    min_age: int | None = None
    max_age: int | None = None

    def holds(self, birth_date: dt.date | None, today: dt.date) -> bool:
        if birth_date is None:  # unknown: the part is asked
            return True
        before_birthday = (today.month, today.day) < (birth_date.month, birth_date.day)
        years = today.year - birth_date.year - before_birthday
        return ((self.min_age is None or years >= self.min_age)
                and (self.max_age is None or years <= self.max_age))

    def describe(self) -> str:
        limits = [f"aged {self.min_age} or more" if self.min_age is not None else "",
                  f"aged {self.max_age} or less" if self.max_age is not None else ""]
        return "asked only for persons " + " and ".join(x for x in limits if x)


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceSpec:
    kind: str
    niss_kinds: frozenset[NissKind] = frozenset(NissKind)


@dataclass(frozen=True, slots=True, kw_only=True)
class Service:
    name: str
    version: int
    title: str
    requires_integration: bool
    needs_niss: bool
    fields: tuple[str, ...]
    sources: tuple[SourceSpec, ...]
    parameters: tuple[Parameter, ...] = ()
    collection: str | None = None
    parts: tuple[str, ...] = ()  # a composite service: the services it asks at once
    exchange: str = CONSULTATION
    declaration: bool = False  # sent by a client to its source (carrefour.declarations)
    conditions: tuple[tuple[str, PartCondition], ...] = ()  # parts asked on key data only

    def condition_of(self, part: str) -> PartCondition | None:
        return dict(self.conditions).get(part)

    @property
    def composite(self) -> bool:
        return bool(self.parts)

    @property
    def sectored(self) -> bool:
        """Whether the items of its collection each carry the ``sector`` they belong to, so
        that a deliberation may grant them sector by sector."""
        return self.collection is not None and SECTOR_FIELD in self.fields

    def check_grant(self, reference: str, fields: Iterable[str],
                    sectors: Collection[int] | None) -> None:
        """Refuse a grant of fields the service does not have, or restricted to sectors when
        its items carry no sector (or to sectors that are not in the sector list)."""
        unknown = sorted(set(fields) - set(self.fields))
        if unknown:
            raise InvalidInput(f"Deliberation {reference} grants fields that '{self.name}' "
                               f"does not have: {', '.join(unknown)}.")
        if sectors is None:
            return
        if not self.sectored:
            raise InvalidInput(f"Deliberation {reference} is restricted to sectors, but the "
                               f"items of '{self.name}' carry no sector.")
        known = {number for number, _ in reference_lists.sectors()}
        wrong = sorted(set(sectors) - known)
        if wrong or not sectors:
            raise InvalidInput(f"Deliberation {reference} names sectors that are not in the "
                               f"sector list: {', '.join(map(str, wrong)) or 'none given'}.")

    def sources_for(self, niss_kind: NissKind | None) -> tuple[SourceSpec, ...]:
        if niss_kind is None:
            return self.sources
        return tuple(s for s in self.sources if niss_kind in s.niss_kinds)


@dataclass(frozen=True)
class Catalogue:
    services: Mapping[str, Service] = field(default_factory=dict)

    def get(self, name: str, version: int | None = None) -> Service:
        service = self.services.get(name)
        if service is None:
            raise UnknownService(f"There is no service named '{name}' in the catalogue.")
        if version is not None and version != service.version:
            raise UnknownService(
                f"The service '{name}' exists in version {service.version}, not {version}."
            )
        return service

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.services.values())


CATALOGUE_FILES = ("services.toml", "services-cpas.toml")


def parse_catalogue(text: str) -> Catalogue:
    document = tomllib.loads(text)
    services = [_service(raw) for raw in document.get("service", [])]
    names = [s.name for s in services]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise InvalidInput(f"The catalogue declares {', '.join(twice)} more than once.")
    catalogue = Catalogue({s.name: s for s in services})
    _check_parts(catalogue)
    return Catalogue({name: _with_part_parameters(s, catalogue)
                      for name, s in catalogue.services.items()})


def _check_parts(catalogue: Catalogue) -> None:
    for service in catalogue.services.values():
        for part in service.parts:
            if catalogue.get(part).composite:
                raise InvalidInput(f"The composite '{service.name}' nests the composite {part}.")
        stray = sorted({part for part, _ in service.conditions} - set(service.parts))
        if stray:
            raise InvalidInput(f"The composite '{service.name}' sets conditions on "
                               f"{', '.join(stray)}, which are not among its parts.")


def _with_part_parameters(service: Service, catalogue: Catalogue) -> Service:
    """A composite takes the parameters of its parts (all optional): each part gets those it
    declares (``from``/``to`` reach every part keeping a history)."""
    if not service.composite:
        return service
    merged: dict[str, Parameter] = {}
    for part in service.parts:
        for parameter in catalogue.get(part).parameters:
            merged.setdefault(parameter.name, replace(parameter, required=False))
    return replace(service, parameters=tuple(merged.values()))


def part_parameters(part: Service, given: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters of a composite's request that ``part`` declares."""
    names = {p.name for p in part.parameters}
    return {name: value for name, value in given.items() if name in names}


def _service(raw: Mapping[str, Any]) -> Service:
    return Service(
        name=raw["name"],
        version=int(raw["version"]),
        title=raw["title"],
        requires_integration=bool(raw["requires_integration"]),
        needs_niss=bool(raw.get("needs_niss", True)),
        fields=tuple(raw.get("fields", ())),
        sources=tuple(
            SourceSpec(
                kind=s["kind"],
                niss_kinds=frozenset(NissKind(k) for k in s.get("niss_kinds", list(NissKind))),
            )
            for s in raw.get("sources", ())
        ),
        parameters=tuple(
            Parameter(
                name=p["name"],
                type=p["type"],
                required=bool(p.get("required", False)),
                choices=tuple(p.get("choices", ())),
            )
            for p in raw.get("parameters", [])
        ),
        collection=raw.get("collection"),
        parts=tuple(raw.get("parts", ())),
        declaration=bool(raw.get("declaration", False)),
        conditions=tuple((part, PartCondition(min_age=c.get("min_age"), max_age=c.get("max_age")))
                         for part, c in raw.get("conditions", {}).items()),
        exchange=raw.get("exchange", CONSULTATION),
    )


@cache
def default_catalogue() -> Catalogue:
    package = resources.files(__package__)
    texts = (package.joinpath(name).read_text(encoding="utf-8") for name in CATALOGUE_FILES)
    return parse_catalogue("\n".join(texts))


def validate_parameters(service: Service, given: Mapping[str, Any]) -> dict[str, Any]:
    """Check the parameters against the service declaration; unknown ones are refused."""
    declared = {p.name: p for p in service.parameters}
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise InvalidInput(
            f"The service '{service.name}' has no parameter {', '.join(unknown)}; "
            f"it accepts: {', '.join(declared) or 'none'}."
        )
    checked: dict[str, Any] = {}
    for parameter in service.parameters:
        value = given.get(parameter.name)
        if value is None or value == "":
            if parameter.required:
                raise InvalidInput(f"The parameter '{parameter.name}' is required.")
            continue
        checked[parameter.name] = _check(parameter, value)
    return checked


def _check(parameter: Parameter, value: Any) -> Any:
    name, kind = parameter.name, parameter.type
    if kind == "string" and isinstance(value, str) and 0 < len(value) <= 200:
        return value.strip()
    if kind == "integer" and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind == "gender" and value in ("M", "F"):
        return value
    if kind == "choice" and value in parameter.choices:
        return value
    if kind == "date" and isinstance(value, str):
        try:
            return dt.date.fromisoformat(value).isoformat()
        except ValueError:
            pass
    if kind == "incomplete-date" and isinstance(value, str) and _incomplete_date(value):
        return value
    raise InvalidInput(f"The parameter '{name}' is not a valid {_describe(parameter)}: {value!r}.")


def _incomplete_date(value: str) -> bool:
    parts = value.split("-")
    if not 1 <= len(parts) <= 3 or not all(p.isdigit() for p in parts) or len(parts[0]) != 4:
        return False
    month = int(parts[1]) if len(parts) > 1 else 0
    day = int(parts[2]) if len(parts) > 2 else 0
    return 0 <= month <= 12 and 0 <= day <= 31 and not (month == 0 and day != 0)


def _describe(parameter: Parameter) -> str:
    return {
        "string": "text of 1 to 200 characters",
        "integer": "whole number",
        "gender": "gender (M or F)",
        "choice": "choice among " + ", ".join(parameter.choices),
        "date": "date (YYYY-MM-DD)",
        "incomplete-date": "date (YYYY-MM-DD, with 00 for an unknown day or month)",
    }.get(parameter.type, parameter.type)
