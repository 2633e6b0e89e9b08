"""Rules of derived rights. Pure: no framework, no database.

A rule file (TOML, ``rights/rules.toml`` for the rules in force) declares each right: its
name, the kind of institution that grants it, the deliberation it rests on, whether it goes to
a household or a person, and its condition over the harmonised statuses (and other rights)
of the person, or of every member of the household, on a date::

    [[right]]
    name = "social-energy-tariff"
    granted_by = "spf-economy"
    deliberation = "CSI/09/074"
    scope = "household"
    any_of = ["ris", "eris", "disability-allowance", "bim"]

``any_of`` (at least one), ``all_of`` (every one) and ``none_of`` (none) name statuses or other
rights; a household holds a right when the statuses of its members, put together, satisfy the
condition. ``finality = "integration"`` (a right of scope person only) tells the right only to
the institutions of the granting kind that integrated the person, as their own customer (a
STIB subscriber), instead of to every institution of the kind. A file with a syntax error, an
unknown status or right, or rights that depend on each other in a cycle is refused whole, with
the line at fault.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass
from typing import Any

from carrefour.errors import InvalidRuleFile
from carrefour.statuses.domain import STATUSES

HOUSEHOLD, PERSON = "household", "person"
KIND, INTEGRATION = "kind", "integration"  # finality: every institution of the kind, or its own
KEYS = {"name", "title", "granted_by", "deliberation", "scope", "finality", "any_of", "all_of",
        "none_of"}
NAME = re.compile(r"^[a-z][a-z0-9-]{0,79}$")
MAX_RULES = 200
MAX_BYTES = 262_144


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    name: str
    title: str
    granted_by: str  # the kind of institution that grants it
    deliberation: str
    scope: str
    any_of: frozenset[str]
    all_of: frozenset[str]
    none_of: frozenset[str]
    line: int
    finality: str = KIND  # INTEGRATION: told only to the institutions that integrated the person

    @property
    def names(self) -> frozenset[str]:
        return self.any_of | self.all_of | self.none_of

    def holds(self, facts: Set[str]) -> bool:
        """Whether statuses and rights ``facts`` satisfy the condition."""
        return (
            (not self.any_of or not self.any_of.isdisjoint(facts))
            and self.all_of <= facts
            and self.none_of.isdisjoint(facts)
        )


@dataclass(frozen=True, slots=True)
class RuleSet:
    rules: tuple[Rule, ...]  # in an order where every right comes after those it names

    def get(self, name: str) -> Rule | None:
        return next((r for r in self.rules if r.name == name), None)

    def evaluate(self, facts: Set[str]) -> set[str]:
        """The rights ``facts`` (statuses of a person or household) give."""
        known = set(facts)
        rights = set()
        for rule in self.rules:
            if rule.holds(known):
                rights.add(rule.name)
                known.add(rule.name)
        return rights

    def status_names(self) -> set[str]:
        return {n for r in self.rules for n in r.names if n in STATUSES}


def parse_rules(text: str) -> RuleSet:
    """The rules of a rule file, or :class:`InvalidRuleFile` naming the line at fault."""
    if len(text.encode()) > MAX_BYTES:
        raise InvalidRuleFile(f"A rule file has at most {MAX_BYTES} bytes.", line=1)
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InvalidRuleFile(f"The rule file is not valid TOML: {error}.",
                              line=_decode_line(str(error))) from None
    raw_rules = document.get("right")
    if set(document) - {"right"} or not isinstance(raw_rules, list) or not raw_rules:
        raise InvalidRuleFile("A rule file holds [[right]] tables only, at least one.", line=1)
    if len(raw_rules) > MAX_RULES:
        raise InvalidRuleFile(f"A rule file declares at most {MAX_RULES} rights.", line=1)
    lines = _header_lines(text)
    rules = [_rule(raw, line, text) for raw, line in zip(raw_rules, lines, strict=False)]
    _check_names(rules, text)
    return RuleSet(tuple(_ordered(rules, text)))


def _decode_line(message: str) -> int:
    found = re.search(r"line (\d+)", message)
    return int(found.group(1)) if found else 1


def _header_lines(text: str) -> list[int]:
    return [number for number, line in enumerate(text.splitlines(), start=1)
            if line.strip().startswith("[[right]]")]


def _rule(raw: Any, line: int, text: str) -> Rule:
    if not isinstance(raw, dict):
        raise InvalidRuleFile("Each right is a [[right]] table.", line=line)
    unknown = sorted(set(raw) - KEYS)
    if unknown:
        raise InvalidRuleFile(f"A right has no key {unknown[0]!r}.",
                              line=_line_of(text, line, unknown[0]))
    name = _text(raw, "name", line, text)
    if not NAME.match(name):
        raise InvalidRuleFile(f"The right name {name!r} must be lower-case letters, digits "
                              "and dashes.", line=_line_of(text, line, "name"))
    scope = raw.get("scope", HOUSEHOLD)
    if scope not in (HOUSEHOLD, PERSON):
        raise InvalidRuleFile("The scope of a right is 'household' or 'person'.",
                              line=_line_of(text, line, "scope"))
    finality = _finality(raw, scope, line, text)
    conditions = {key: _names(raw, key, line, text) for key in ("any_of", "all_of", "none_of")}
    if not conditions["any_of"] and not conditions["all_of"]:
        raise InvalidRuleFile(f"The right {name!r} needs a condition (any_of or all_of).",
                              line=line)
    return Rule(name=name, title=str(raw.get("title", name)),
                granted_by=_text(raw, "granted_by", line, text),
                deliberation=_text(raw, "deliberation", line, text), scope=scope,
                any_of=conditions["any_of"], all_of=conditions["all_of"],
                none_of=conditions["none_of"], line=line, finality=finality)


def _finality(raw: Mapping[str, Any], scope: str, line: int, text: str) -> str:
    finality = raw.get("finality", KIND)
    if finality not in (KIND, INTEGRATION):
        raise InvalidRuleFile("The finality of a right is 'kind' or 'integration'.",
                              line=_line_of(text, line, "finality"))
    if finality == INTEGRATION and scope != PERSON:
        raise InvalidRuleFile("A right told only to the institutions that integrated the "
                              "person (finality 'integration') has scope 'person'.",
                              line=_line_of(text, line, "finality"))
    return str(finality)


def _text(raw: Mapping[str, Any], key: str, line: int, text: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not 0 < len(value) <= 80:
        raise InvalidRuleFile(f"The key {key!r} of a right must be a text of 1 to 80 "
                              "characters.", line=_line_of(text, line, key))
    return value


def _names(raw: Mapping[str, Any], key: str, line: int, text: str) -> frozenset[str]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidRuleFile(f"The key {key!r} of a right must be a list of names.",
                              line=_line_of(text, line, key))
    return frozenset(value)


def _line_of(text: str, start: int, needle: str) -> int:
    """The first line from ``start`` on (a right's header) that mentions ``needle``."""
    lines = text.splitlines()
    for number in range(start, len(lines) + 1):
        if number > start and lines[number - 1].strip().startswith("[[right]]"):
            break
        if needle in lines[number - 1]:
            return number
    return start


def _check_names(rules: Sequence[Rule], text: str) -> None:
    names = [r.name for r in rules]
    for rule in rules:
        if names.count(rule.name) > 1:
            raise InvalidRuleFile(f"The right {rule.name!r} is declared twice.", line=rule.line)
        for name in sorted(rule.names):
            if name not in STATUSES and name not in names:
                raise InvalidRuleFile(
                    f"The right {rule.name!r} names {name!r}, neither a status "
                    f"({', '.join(STATUSES)}) nor a right of the file.",
                    line=_line_of(text, rule.line, f'"{name}"'))


def _ordered(rules: Sequence[Rule], text: str) -> list[Rule]:
    """The rules, each after the rights it names; a cycle is refused."""
    by_name = {r.name: r for r in rules}
    done: list[Rule] = []
    state: dict[str, str] = {}

    def visit(rule: Rule, path: tuple[str, ...]) -> None:
        if state.get(rule.name) == "done":
            return
        if state.get(rule.name) == "visiting":
            cycle = " -> ".join((*path[path.index(rule.name):], rule.name))
            raise InvalidRuleFile(f"The rights depend on each other in a cycle: {cycle}.",
                                  line=rule.line)
        state[rule.name] = "visiting"
        for name in sorted(rule.names & by_name.keys()):
            visit(by_name[name], (*path, rule.name))
        state[rule.name] = "done"
        done.append(rule)

    for rule in rules:
        visit(rule, ())
    return done
