"""The decision an authentic source takes, later, on a declaration it acknowledged: the rules
of a declaration type's ``decision`` table (``types.toml``) as data, and the function applying
them. Pure: no framework, no database.

A type with a ``decision`` is not accepted on receipt: the source acknowledges it (state
``received``) and decides afterwards, then tells the declarant (a ``spp-decision`` mutation).
The rules, applied in this order; the first that fails refuses with its reason:

- ``duplicate``: the declarant already holds the same data under another reference, granted
  or still undecided (a refused request may be sent again, once its cause is gone);
- ``once``: the person already has a granted one of the type, from any declarant
  (``already-granted``);
- ``rests_on``: the declaration names (field ``field``) a declaration of type ``type`` of the
  same declarant, granted (``no-grant``), whose period holds this one's (``outside-grant``);
- ``overlap``: another declaration of the type granted on the person, by any declarant, covers
  part of the same period (``overlap``);
- ``distinct_from_declarant``: the institution a field names is not the declarant
  (``own-institution``);
- ``limit``: the amount (field ``amount``) is at most ``max``, or the value of the choice field
  ``by`` mapped by ``values`` (``over-limit``);
- ``ceiling``: the field ``field`` is at most ``base`` plus ``per_amount`` for each unit of the
  field ``per`` (``above-ceiling``).

A type with ``ends`` (it must rest on another) closes the grant it rests on: once granted (and
while not cancelled), the first day of its own period is the grant's last day, as the
``overlap`` and ``rests_on`` rules read that grant's period. A person a CPAS stopped helping
may be helped by another CPAS from the next day, and nothing is recovered past the end.

A granted decision carries the refund rate (``refund``): a fixed ``percent``; or the value of
the choice field ``by`` in ``values``; or else by the category of the declarant, its number of
beneficiaries (``files``: ``[[from, percent], ...]``, the last step reached): the persons for
whom it holds a granted declaration of the type, this person included; a type
resting on a grant without its own rate takes the grant's. ``federal_amount`` is the amount
times the rate.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from carrefour.errors import InvalidInput

GRANTED, REFUSED, CANCELLED = "granted", "refused", "cancelled"
DECLARATION_CANCELLED = "cancelled"  # the state of a withdrawn declaration at the source


@dataclass(frozen=True, slots=True, kw_only=True)
class Refund:
    percent: float | None = None
    by: str | None = None
    values: Mapping[str, float] = field(default_factory=dict)
    files: tuple[tuple[int, float], ...] = ()

    def rate(self, data: Mapping[str, Any], files: int) -> float | None:
        if self.by is not None and str(data.get(self.by)) in self.values:
            return self.values[str(data.get(self.by))]
        if self.files:
            return next(p for start, p in reversed(self.files) if files >= start)
        return self.percent


@dataclass(frozen=True, slots=True, kw_only=True)
class Limit:
    max: float | None = None
    by: str | None = None
    values: Mapping[str, float] = field(default_factory=dict)

    def of(self, data: Mapping[str, Any]) -> float | None:
        if self.by is not None:
            return self.values.get(str(data.get(self.by)))
        return self.max


@dataclass(frozen=True, slots=True, kw_only=True)
class Ceiling:
    field: str
    base: float
    per: str | None = None
    per_amount: float = 0.0

    def of(self, data: Mapping[str, Any]) -> float:
        units = int(data.get(self.per) or 0) if self.per else 0
        return round(self.base + units * self.per_amount, 2)


@dataclass(frozen=True, slots=True, kw_only=True)
class RestsOn:
    type: str
    field: str


@dataclass(frozen=True, slots=True, kw_only=True)
class DecisionRule:
    granted: str = GRANTED  # the word of a positive decision ("granted", "registered"...)
    amount: str | None = None
    refund: Refund | None = None
    limit: Limit | None = None
    ceiling: Ceiling | None = None
    overlap: bool = False
    once: bool = False
    rests_on: RestsOn | None = None
    distinct_from_declarant: str | None = None
    ends: bool = False  # a grant of the type ends the one it rests on

    def fields(self) -> set[str]:
        """The declaration fields the rule reads."""
        named = {self.amount, self.distinct_from_declarant,
                 self.refund.by if self.refund else None, self.limit.by if self.limit else None,
                 self.ceiling.field if self.ceiling else None,
                 self.ceiling.per if self.ceiling else None,
                 self.rests_on.field if self.rests_on else None}
        return {n for n in named if n is not None}


def parse_rule(raw: Mapping[str, Any]) -> DecisionRule:
    try:
        return DecisionRule(
            granted=str(raw.get("granted", GRANTED)), amount=raw.get("amount"),
            refund=_refund(raw["refund"]) if "refund" in raw else None,
            limit=Limit(max=raw["limit"].get("max"), by=raw["limit"].get("by"),
                        values=raw["limit"].get("values", {})) if "limit" in raw else None,
            ceiling=Ceiling(**raw["ceiling"]) if "ceiling" in raw else None,
            overlap=bool(raw.get("overlap")), once=bool(raw.get("once")),
            rests_on=RestsOn(**raw["rests_on"]) if "rests_on" in raw else None,
            distinct_from_declarant=raw.get("distinct_from_declarant"),
            ends=bool(raw.get("ends")))
    except (KeyError, TypeError) as error:
        raise InvalidInput(f"A decision rule is not valid: {error}.") from None


def _refund(raw: Mapping[str, Any]) -> Refund:
    steps = tuple(sorted((int(s), float(p)) for s, p in raw.get("files", ())))
    if steps and steps[0][0] != 0:
        raise InvalidInput("The refund rates by number of files start at 0 files.")
    return Refund(percent=raw.get("percent"), by=raw.get("by"),
                  values={k: float(v) for k, v in raw.get("values", {}).items()}, files=steps)


# --- deciding ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class Held:
    """A declaration the source holds, as the rules see it."""

    declarant: str
    type: str
    reference: str
    state: str
    data: Mapping[str, Any]
    decision: Mapping[str, Any] | None = None
    ended: dt.date | None = None  # the last day a granted end (``ends``) gave it

    @property
    def live(self) -> bool:
        return self.state != DECLARATION_CANCELLED

    @property
    def granted(self) -> bool:
        return self.live and self.decision is not None and self.decision.get("granted") is True


@dataclass(frozen=True, slots=True, kw_only=True)
class Period:
    """The fields bounding the period of a type (``end`` None: a one-day event)."""

    start: str
    end: str | None = None

    def of(self, data: Mapping[str, Any]) -> tuple[dt.date, dt.date]:
        start = dt.date.fromisoformat(str(data[self.start]))
        end = data.get(self.end) if self.end else None
        return start, dt.date.fromisoformat(str(end)) if end else start

    def held(self, declaration: Held) -> tuple[dt.date, dt.date]:
        """The period of a declaration held, up to the last day an end gave it."""
        start, end = self.of(declaration.data)
        return start, min(end, declaration.ended) if declaration.ended else end


@dataclass(frozen=True, slots=True, kw_only=True)
class Asked:
    """What is decided: one version of one declaration, and what the source holds besides."""

    type: str
    declarant: str
    reference: str
    data: Mapping[str, Any]
    period: Period | None
    others: Sequence[Held]  # the person's other declarations of the type, every declarant
    files: int = 0  # the declarant's beneficiaries of the type (granted), this person included
    grant: Held | None = None  # the declaration it rests on, if the rule names one
    grant_period: Period | None = None


def decide(rule: DecisionRule, asked: Asked) -> dict[str, Any]:
    """The decision on ``asked``: ``outcome`` (the rule's word, or ``refused``), ``granted``,
    ``reason`` of a refusal, the refund rate and the federal amount of a grant."""
    reason = _refusal(rule, asked)
    if reason is not None:
        return {"outcome": REFUSED, "granted": False, "reason": reason,
                "refund_percent": None, "federal_amount": None}
    rate = rule.refund.rate(asked.data, asked.files) if rule.refund else None
    if rate is None and asked.grant is not None and asked.grant.decision:
        rate = asked.grant.decision.get("refund_percent")
    amount = asked.data.get(rule.amount) if rule.amount else None
    federal = round(float(amount) * float(rate) / 100, 2) if (
        amount is not None and rate is not None) else None
    return {"outcome": rule.granted, "granted": True, "reason": None, "refund_percent": rate,
            "federal_amount": federal}


def cancelled() -> dict[str, Any]:
    """The decision that closes a cancelled declaration."""
    return {"outcome": CANCELLED, "granted": False, "reason": None, "refund_percent": None,
            "federal_amount": None}


def _refusal(rule: DecisionRule, asked: Asked) -> str | None:
    mine = [h for h in asked.others if h.declarant == asked.declarant and h.live
            and h.reference != asked.reference and (h.decision is None or h.granted)]
    if any(dict(h.data) == dict(asked.data) for h in mine):
        return "duplicate"
    others = [h for h in asked.others
              if (h.declarant, h.reference) != (asked.declarant, asked.reference)]
    if rule.once and any(h.granted for h in others):
        return "already-granted"
    if rule.rests_on is not None:
        refused = _grant_refusal(asked)
        if refused:
            return refused
    if rule.overlap and asked.period and any(
            h.granted and _overlaps(asked.period, asked.data, h) for h in others):
        return "overlap"
    if rule.distinct_from_declarant and (
            asked.data.get(rule.distinct_from_declarant) == asked.declarant):
        return "own-institution"
    return _amount_refusal(rule, asked.data)


def _grant_refusal(asked: Asked) -> str | None:
    grant = asked.grant
    if grant is None or not grant.granted or grant.declarant != asked.declarant:
        return "no-grant"
    if asked.period is None or asked.grant_period is None:
        return None
    start, end = asked.period.of(asked.data)
    grant_start, grant_end = asked.grant_period.held(grant)
    return None if grant_start <= start and end <= grant_end else "outside-grant"


def _overlaps(period: Period, mine: Mapping[str, Any], theirs: Held) -> bool:
    start, end = period.of(mine)
    other_start, other_end = period.held(theirs)
    return start <= other_end and other_start <= end


def _amount_refusal(rule: DecisionRule, data: Mapping[str, Any]) -> str | None:
    limit = rule.limit.of(data) if rule.limit and rule.amount else None
    if limit is not None and float(data.get(rule.amount or "", 0) or 0) > limit:
        return "over-limit"
    if rule.ceiling is not None and float(data.get(rule.ceiling.field) or 0) > (
            rule.ceiling.of(data)):
        return "above-ceiling"
    return None
