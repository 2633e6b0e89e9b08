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
  only ``when`` its choice fields have the values listed; with ``year``, the grant's year
  field is the year of this one's field ``of`` or one of the ``before`` years before, instead
  of the period; ``reasons`` names each refusal apart (``missing``, ``not_granted``,
  ``cancelled``, ``outside``: every one ``no-grant`` but ``outside``, ``outside-grant``);
- ``overlap``: another declaration of the type granted on the person, by any declarant, covers
  part of the same period (``overlap``);
- ``distinct_from_declarant``: the institution a field names is not the declarant
  (``own-institution``);
- ``limit``: the amount (field ``amount``) is at most ``per_amount`` times the field ``per``
  when it is given, else ``max``, or the value of the choice field ``by`` mapped by ``values``
  (``over-limit``);
- ``ceiling``: the field ``field`` is at most ``base`` plus ``per_amount`` for each unit of the
  field ``per`` (``above-ceiling``);
- ``season``: the field ``field`` of this declaration and of the person's granted ones of the
  type (any declarant) starting in the same calendar year add up to at most ``max``
  (``over-season-limit``).

``duplicate`` (the fields naming what is declared: an invoice) widens the first rule: a
declaration of the type on the person by any declarant, granted or undecided, with the same
values of those fields is a duplicate.

A type with ``ends`` (it must rest on another) closes the grant it rests on: once granted (and
while not cancelled), the first day of its own period is the grant's last day, as the
``overlap`` and ``rests_on`` rules read that grant's period. A person a CPAS stopped helping
may be helped by another CPAS from the next day, and nothing is recovered past the end.

What rests on a grant with ``follows`` follows it: once the source decides a new version of
a grant, each granted declaration of the same declarant resting on it that it no longer holds
(``revision``: cancelled, refused, or its own period no longer holding this one's) is
``annulled`` with that reason, a version of its own. An annulled declaration is the
declarant's still: a correction (naming another grant, say) is decided as usual.

A granted decision carries the refund rate (``refund``): a fixed ``percent``; or the value of
the choice field ``by`` in ``values``; or else by the category of the declarant, its number of
beneficiaries (``files``: ``[[from, percent], ...]``, the last step reached): the persons for
whom it holds a granted declaration of the type, this person included; a type
resting on a grant without its own rate takes the grant's. ``federal_amount`` is the amount
times the rate.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from carrefour.errors import InvalidInput

GRANTED, REFUSED, CANCELLED = "granted", "refused", "cancelled"
ANNULLED = "annulled"  # withdrawn by the source: the grant it rested on no longer holds it
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
    per: str | None = None  # a field the limit is proportional to, when it is given
    per_amount: float = 0.0

    def of(self, data: Mapping[str, Any]) -> float | None:
        if self.per is not None and data.get(self.per) is not None:
            return round(float(data[self.per]) * self.per_amount, 2)
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
class Season:
    """At most ``max`` of the field ``field`` a calendar year, over the person's grants."""

    field: str
    max: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Year:
    """The grant's field ``field`` (a year) is the year of this one's date field ``of``, or
    one of the ``before`` years before it."""

    field: str
    of: str
    before: int = 0

    def holds(self, data: Mapping[str, Any], grant: Mapping[str, Any]) -> bool:
        year = dt.date.fromisoformat(str(data[self.of])).year
        return str(grant.get(self.field)).isdigit() and (
            year - self.before <= int(grant[self.field]) <= year)


REST_REASONS = {"missing": "no-grant", "not_granted": "no-grant", "cancelled": "no-grant",
                "outside": "outside-grant"}


@dataclass(frozen=True, slots=True, kw_only=True)
class RestsOn:
    type: str
    field: str
    when: Mapping[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    year: Year | None = None  # read instead of the grant's period
    reasons: Mapping[str, str] = dataclasses.field(default_factory=lambda: dict(REST_REASONS))
    follows: bool = False  # annulled once the grant no longer holds it (``revision``)

    def applies(self, data: Mapping[str, Any]) -> bool:
        return all(str(data.get(name)) in values for name, values in self.when.items())

    def fields(self) -> set[str]:
        return {self.field, *self.when, *([self.year.of] if self.year else [])}


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
    duplicate: tuple[str, ...] = ()  # the fields naming what is declared, for any declarant
    season: Season | None = None

    def fields(self) -> set[str]:
        """The declaration fields the rule reads."""
        named = {self.amount, self.distinct_from_declarant,
                 self.refund.by if self.refund else None, self.limit.by if self.limit else None,
                 self.limit.per if self.limit else None,
                 self.ceiling.field if self.ceiling else None,
                 self.ceiling.per if self.ceiling else None,
                 self.season.field if self.season else None, *self.duplicate,
                 *(self.rests_on.fields() if self.rests_on else ())}
        return {n for n in named if n is not None}


def parse_rule(raw: Mapping[str, Any]) -> DecisionRule:
    try:
        return DecisionRule(
            granted=str(raw.get("granted", GRANTED)), amount=raw.get("amount"),
            refund=_refund(raw["refund"]) if "refund" in raw else None,
            limit=Limit(**raw["limit"]) if "limit" in raw else None,
            ceiling=Ceiling(**raw["ceiling"]) if "ceiling" in raw else None,
            overlap=bool(raw.get("overlap")), once=bool(raw.get("once")),
            rests_on=_rests_on(raw["rests_on"]) if "rests_on" in raw else None,
            distinct_from_declarant=raw.get("distinct_from_declarant"),
            ends=bool(raw.get("ends")), duplicate=tuple(raw.get("duplicate", ())),
            season=Season(**raw["season"]) if "season" in raw else None)
    except (KeyError, TypeError) as error:
        raise InvalidInput(f"A decision rule is not valid: {error}.") from None


def _rests_on(raw: Mapping[str, Any]) -> RestsOn:
    unknown = set(raw.get("reasons", {})) - set(REST_REASONS)
    if unknown:
        raise InvalidInput(f"A decision rule names unknown reasons: {', '.join(sorted(unknown))}.")
    return RestsOn(type=raw["type"], field=raw["field"],
                   when={k: tuple(v) for k, v in raw.get("when", {}).items()},
                   year=Year(**raw["year"]) if "year" in raw else None,
                   reasons={**REST_REASONS, **raw.get("reasons", {})},
                   follows=bool(raw.get("follows")))


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


def annulled(reason: str) -> dict[str, Any]:
    """The decision that withdraws a granted declaration whose grant no longer holds it."""
    return {"outcome": ANNULLED, "granted": False, "reason": reason, "refund_percent": None,
            "federal_amount": None}


ANNUL_REASONS = {"cancelled": "grant-cancelled", "not_granted": "grant-refused",
                 "outside": "outside-grant"}


def revision(rests_on: RestsOn, grant: Held, grant_period: Period | None,
             period: Period | None, data: Mapping[str, Any]) -> str | None:
    """Why a granted declaration resting on ``grant`` no longer holds once the grant's latest
    version is decided: the grant was cancelled (``grant-cancelled``), its correction refused
    (``grant-refused``), or the corrected grant no longer holds this one (``outside-grant``:
    its own period, or its ``year``; an end that closed it is not held against what rests on
    it). A type naming its own ``reasons`` gives them instead. None: it still holds."""
    if not rests_on.applies(data):
        return None
    if not grant.live:
        return _annul_reason(rests_on, "cancelled")
    if not grant.granted:
        return _annul_reason(rests_on, "not_granted")
    if rests_on.year is not None:
        holds = rests_on.year.holds(data, grant.data)
    elif period is None or grant_period is None:
        holds = True
    else:
        start, end = period.of(data)
        grant_start, grant_end = grant_period.of(grant.data)
        holds = grant_start <= start and end <= grant_end
    return None if holds else _annul_reason(rests_on, "outside")


def _annul_reason(rests_on: RestsOn, key: str) -> str:
    named = rests_on.reasons.get(key, REST_REASONS[key])
    return ANNUL_REASONS[key] if named == REST_REASONS[key] else named


def _refusal(rule: DecisionRule, asked: Asked) -> str | None:
    if _duplicate(rule, asked):
        return "duplicate"
    others = [h for h in asked.others
              if (h.declarant, h.reference) != (asked.declarant, asked.reference)]
    if rule.once and any(h.granted for h in others):
        return "already-granted"
    if rule.rests_on is not None and rule.rests_on.applies(asked.data):
        refused = _grant_refusal(rule.rests_on, asked)
        if refused:
            return refused
    if rule.overlap and asked.period and any(
            h.granted and _overlaps(asked.period, asked.data, h) for h in others):
        return "overlap"
    if rule.distinct_from_declarant and (
            asked.data.get(rule.distinct_from_declarant) == asked.declarant):
        return "own-institution"
    return _amount_refusal(rule, asked.data) or _season_refusal(rule, asked, others)


def _duplicate(rule: DecisionRule, asked: Asked) -> bool:
    """The same data under another reference of the declarant, or (``duplicate``) the same
    values of the fields naming what is declared, from any declarant; granted or undecided."""
    def same(h: Held) -> bool:
        if rule.duplicate:
            return all(h.data.get(f) == asked.data.get(f) for f in rule.duplicate)
        return h.declarant == asked.declarant and dict(h.data) == dict(asked.data)

    return any(same(h) for h in asked.others if h.live and (h.decision is None or h.granted)
               and (h.declarant, h.reference) != (asked.declarant, asked.reference))


def _grant_refusal(rests_on: RestsOn, asked: Asked) -> str | None:
    grant, reasons = asked.grant, rests_on.reasons
    if grant is None or grant.declarant != asked.declarant:
        return reasons["missing"]
    if not grant.live:
        return reasons["cancelled"]
    if not grant.granted:
        return reasons["not_granted"]
    if rests_on.year is not None:
        return None if rests_on.year.holds(asked.data, grant.data) else reasons["outside"]
    if asked.period is None or asked.grant_period is None:
        return None
    start, end = asked.period.of(asked.data)
    grant_start, grant_end = asked.grant_period.held(grant)
    return None if grant_start <= start and end <= grant_end else reasons["outside"]


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


def _season_refusal(rule: DecisionRule, asked: Asked, others: Sequence[Held]) -> str | None:
    """Above the most a calendar year allows, with the person's grants of that year."""
    if rule.season is None or asked.period is None:
        return None
    year = asked.period.of(asked.data)[0].year
    name = rule.season.field
    used = sum(float(h.data.get(name) or 0) for h in others
               if h.granted and asked.period.of(h.data)[0].year == year)
    return "over-season-limit" if used + float(asked.data.get(name) or 0) > (
        rule.season.max) else None
