"""Rules of the signal function. Pure: no framework, no database.

A mutation is a change an authentic source reports about one person. Its type (declared in
``catalogue/mutations.toml``) says which kind of source may publish it, which fields it may
carry and which catalogue service's deliberations decide who may receive them. A subscriber
receives a mutation only while it holds an active integration for the person, and only the
fields a valid deliberation grants it for that service and its quality code(s): the same
preventive control as for a consultation.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from carrefour.directory.domain import Deliberation, Institution, Integration, find_deliberation
from carrefour.errors import InvalidInput, NoDeliberation, NotAuthenticSource, UnknownMutationType
from carrefour.identification.niss import parse_niss

SUBSCRIBERS = "subscribers"  # audience: subscribers with a file and a deliberation
HOLDER = "holder"  # audience: the institution whose integration the mutation is about
APPLIED = "hub"  # audience: none; the hub applies the mutation itself (to the BIS register)
INTEGRATION_EXPIRED = "integration-expired"
NISS_REPLACEMENT = "niss-replacement"  # the National Register replaces a BIS number
NISS_REPLACED = "niss-replaced"  # the hub tells the institutions holding a file on the person
MAX_SOURCE_REF = 100
MAX_DATA_BYTES = 16_384


@dataclass(frozen=True, slots=True, kw_only=True)
class MutationType:
    type: str
    title: str
    source_kinds: frozenset[str]
    service: str | None
    fields: tuple[str, ...]
    required: frozenset[str]
    audience: str = SUBSCRIBERS
    addressee: str | None = None  # the data field naming (CBE) the one institution it is for


@dataclass(frozen=True)
class MutationTypes:
    types: Mapping[str, MutationType] = field(default_factory=dict)

    def get(self, name: str) -> MutationType:
        found = self.types.get(name)
        if found is None:
            raise UnknownMutationType(
                f"There is no mutation type '{name}'; known types: {', '.join(self.types)}."
            )
        return found

    def all(self) -> list[MutationType]:
        return list(self.types.values())


def parse_mutation_types(text: str) -> MutationTypes:
    document = tomllib.loads(text)
    types = [_mutation_type(raw) for raw in document.get("mutation", [])]
    return MutationTypes({t.type: t for t in types})


def _mutation_type(raw: Mapping[str, Any]) -> MutationType:
    fields = tuple(raw["fields"])
    required = frozenset(raw.get("required", ()))
    if not required <= set(fields):
        raise ValueError(f"mutation type {raw['type']}: required fields must be among its fields")
    return MutationType(
        type=raw["type"],
        title=raw["title"],
        source_kinds=frozenset(raw.get("source_kinds", ())),
        service=raw.get("service"),
        fields=fields,
        required=required,
        audience=raw.get("audience", SUBSCRIBERS),
        addressee=raw.get("addressee"),
    )


@cache
def default_mutation_types() -> MutationTypes:
    package = resources.files("carrefour.catalogue")
    return parse_mutation_types(package.joinpath("mutations.toml").read_text(encoding="utf-8"))


# --- intake ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class Mutation:
    """A validated mutation, as a source published it."""

    type: str
    niss: str
    source_ref: str
    effective_on: dt.date
    data: Mapping[str, Any]


def validate_mutation(
    kind: MutationType,
    *,
    source: Institution,
    niss: str,
    source_ref: str,
    effective_on: str | dt.date,
    data: Mapping[str, Any],
) -> Mutation:
    """The mutation as the hub accepts it, or the refusal that applies."""
    if source.kind not in kind.source_kinds:
        raise NotAuthenticSource(
            f"A {source.kind} is not the authentic source of '{kind.type}' mutations "
            f"(published by: {', '.join(sorted(kind.source_kinds)) or 'the hub only'})."
        )
    ref = source_ref.strip()
    if not 0 < len(ref) <= MAX_SOURCE_REF:
        raise InvalidInput(f"The source's id must have 1 to {MAX_SOURCE_REF} characters.")
    _check_data(kind, data)
    return Mutation(
        type=kind.type,
        niss=parse_niss(niss).value,
        source_ref=ref,
        effective_on=_date(effective_on),
        data=dict(data),
    )


def _check_data(kind: MutationType, data: Mapping[str, Any]) -> None:
    unknown = sorted(set(data) - set(kind.fields))
    if unknown:
        raise InvalidInput(
            f"A '{kind.type}' mutation carries no field {', '.join(unknown)}; "
            f"it carries: {', '.join(kind.fields)}."
        )
    missing = sorted(f for f in kind.required if data.get(f) is None)
    if missing:
        raise InvalidInput(f"A '{kind.type}' mutation needs the field(s) {', '.join(missing)}.")


def _date(value: str | dt.date) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"The effective date {value!r} is not a date (YYYY-MM-DD).") from None


# --- who gets what ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class Subscription:
    id: int
    institution_id: int
    mutation_type: str
    endpoint: str | None
    secret: str
    batch_max: int
    active: bool = True

    @property
    def mode(self) -> str:
        return "push" if self.endpoint else "pull"

    def state(self, institution_cbe: str) -> dict[str, Any]:
        """What the audit trail keeps of a subscription: never its signing secret."""
        return {
            "id": self.id,
            "institution": institution_cbe,
            "mutation_type": self.mutation_type,
            "endpoint": self.endpoint,
            "batch_max": self.batch_max,
            "mode": self.mode,
            "active": self.active,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Recipient:
    """One subscriber that gets the mutation, with what it may see and why."""

    subscription: Subscription
    data: dict[str, Any]
    quality_code: int | None
    deliberation: str | None


def recipients(
    kind: MutationType,
    mutation: Mutation,
    *,
    subscriptions: Sequence[Subscription],
    integrations: Sequence[Integration],
    institutions: Mapping[int, Institution],
    deliberations: Sequence[Deliberation],
    today: dt.date,
) -> list[Recipient]:
    """Every subscriber with an active file on the person and a deliberation that grants it at
    least one of the changed fields; each gets only the fields granted."""
    found = []
    for subscription in subscriptions:
        if not subscription.active or subscription.mutation_type != kind.type:
            continue
        institution = institutions.get(subscription.institution_id)
        if institution is None or not institution.active or _not_addressed(
            kind, mutation, institution
        ):
            continue
        codes = sorted(
            {
                i.quality_code
                for i in integrations
                if i.institution_id == institution.id
                and i.niss == mutation.niss
                and i.active_on(today)
            }
        )
        granted = _granted(kind, institution, codes, deliberations, today)
        if granted is None:
            continue
        fields, code, reference = granted
        data = {k: v for k, v in mutation.data.items() if k in fields}
        if data:
            found.append(
                Recipient(
                    subscription=subscription, data=data, quality_code=code, deliberation=reference
                )
            )
    return found


def _not_addressed(kind: MutationType, mutation: Mutation, institution: Institution) -> bool:
    """A mutation for one institution (its ``addressee`` field) reaches no other."""
    return kind.addressee is not None and mutation.data.get(kind.addressee) != institution.cbe


def _granted(
    kind: MutationType,
    institution: Institution,
    codes: Sequence[int],
    deliberations: Sequence[Deliberation],
    today: dt.date,
) -> tuple[frozenset[str], int, str] | None:
    """Fields granted over the institution's quality codes, the first code that grants and the
    references of the deliberations; None when nothing is granted."""
    if kind.service is None:
        return None
    fields: set[str] = set()
    first: int | None = None
    references: list[str] = []
    for code in codes:
        try:
            grant = find_deliberation(
                deliberations,
                client_kind=institution.kind,
                capacity=code,
                service=kind.service,
                today=today,
            )
        except NoDeliberation:
            continue
        fields |= grant.fields
        first = code if first is None else first
        references.extend(r for r in grant.reference.split("+") if r not in references)
    if first is None:
        return None
    return frozenset(fields) & frozenset(kind.fields), first, "+".join(sorted(references))
