"""Rules of lists. Pure: no framework, no database.

A list definition is data (``definitions.toml``): who receives it (the kinds of recipient),
the area it covers for each recipient (its municipality or its region), the data it holds
(statuses of the buffer, with the fields of the catalogue service they are granted under),
the deliberation it rests on, the formats offered and the schedule. A definition file is
checked whole: a key or field that is not known, a format not offered, or a deliberation that
does not grant the data refuses the whole file, with the reason.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from carrefour.directory.domain import Deliberation
from carrefour.errors import InvalidListDefinition, InvalidPeriod, RangeNotSatisfiable
from carrefour.lists.areas import AREAS
from carrefour.statuses.domain import STATUSES

FORMATS = ("csv", "jsonl", "xml", "parquet")
MEDIA_TYPES = {"csv": "text/csv", "jsonl": "application/jsonl", "xml": "application/xml",
               "parquet": "application/vnd.apache.parquet"}
# The fields a list row can carry, from the status buffer (a subset of the service's fields).
ROW_FIELDS = ("niss", "household_id", "status", "start", "end", "source", "event_id")
SCHEDULES = ("monthly",)
KEYS = frozenset({"name", "title", "recipient_kinds", "area", "statuses", "service", "fields",
                  "deliberation", "formats", "default_format", "schedule"})
REQUIRED = KEYS - {"schedule"}
MAX_PERIOD_DAYS = 366
INCLUSION = "list-inclusion"  # the journal action: a person included in a list sent
LIST_READY = "list-ready"  # the mutation type telling a recipient its list is in its mailbox


@dataclass(frozen=True, slots=True, kw_only=True)
class ListDefinition:
    name: str
    title: str
    recipient_kinds: tuple[str, ...]
    area: str
    statuses: frozenset[str]
    service: str
    fields: tuple[str, ...]
    deliberation: str
    formats: tuple[str, ...]
    default_format: str
    schedule: str | None

    def format_for(self, chosen: str | None) -> str:
        """The format of a recipient's file: its choice, else the definition's default."""
        if chosen is None:
            return self.default_format
        if chosen not in self.formats:
            raise InvalidListDefinition(
                f"The list {self.name!r} is not offered as {chosen!r} (offered: "
                f"{', '.join(self.formats)}).")
        return chosen


@dataclass(frozen=True)
class Definitions:
    by_name: Mapping[str, ListDefinition]

    def get(self, name: str) -> ListDefinition:
        from carrefour.errors import UnknownList

        found = self.by_name.get(name)
        if found is None:
            raise UnknownList(f"There is no list {name!r}; known lists: "
                              f"{', '.join(sorted(self.by_name)) or 'none'}.")
        return found

    def all(self) -> list[ListDefinition]:
        return list(self.by_name.values())

    def for_kind(self, kind: str, deliberation: str | None = None) -> list[ListDefinition]:
        return [d for d in self.by_name.values() if kind in d.recipient_kinds
                and (deliberation is None or d.deliberation == deliberation)]


def parse_definitions(text: str, service_fields: Mapping[str, Iterable[str]]) -> Definitions:
    """The definitions of a file, checked whole against the catalogue's services (name ->
    fields); the first fault refuses the file."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InvalidListDefinition(f"The list definitions are not valid TOML: {error}.") from None
    extra = sorted(set(document) - {"list"})
    if extra:
        raise InvalidListDefinition(f"Unknown section(s): {', '.join(extra)}.")
    raw_lists = document.get("list", [])
    if not isinstance(raw_lists, list):
        raise InvalidListDefinition("`list` must be an array of tables ([[list]]).")
    found: dict[str, ListDefinition] = {}
    for raw in raw_lists:
        definition = _definition(raw, service_fields)
        if definition.name in found:
            raise InvalidListDefinition(f"The list {definition.name!r} is defined twice.")
        found[definition.name] = definition
    return Definitions(found)


def _definition(raw: Any, service_fields: Mapping[str, Iterable[str]]) -> ListDefinition:
    if not isinstance(raw, dict):
        raise InvalidListDefinition("Each list must be a table.")
    name = raw.get("name") if isinstance(raw.get("name"), str) else "?"
    unknown = sorted(set(raw) - KEYS)
    if unknown:
        raise InvalidListDefinition(f"List {name!r}: unknown key(s) {', '.join(unknown)}.")
    missing = sorted(REQUIRED - set(raw))
    if missing:
        raise InvalidListDefinition(f"List {name!r}: missing key(s) {', '.join(missing)}.")
    texts = {key: raw[key] for key in ("name", "title", "area", "service", "deliberation",
                                       "default_format")}
    if not all(isinstance(v, str) and v for v in texts.values()):
        raise InvalidListDefinition(f"List {name!r}: name, title, area, service, deliberation "
                                    "and default_format are texts.")
    lists = {key: raw[key] for key in ("recipient_kinds", "statuses", "fields", "formats")}
    if not all(isinstance(v, list) and v and all(isinstance(i, str) for i in v)
               for v in lists.values()):
        raise InvalidListDefinition(f"List {name!r}: recipient_kinds, statuses, fields and "
                                    "formats are non-empty lists of texts.")
    definition = ListDefinition(
        name=texts["name"], title=texts["title"], recipient_kinds=tuple(lists["recipient_kinds"]),
        area=texts["area"], statuses=frozenset(lists["statuses"]), service=texts["service"],
        fields=tuple(lists["fields"]), deliberation=texts["deliberation"],
        formats=tuple(lists["formats"]), default_format=texts["default_format"],
        schedule=raw.get("schedule"))
    _check(definition, service_fields)
    return definition


def _check(d: ListDefinition, service_fields: Mapping[str, Iterable[str]]) -> None:
    def refuse(reason: str) -> None:
        raise InvalidListDefinition(f"List {d.name!r}: {reason}.")

    if d.area not in AREAS:
        refuse(f"the area {d.area!r} is not one of {', '.join(AREAS)}")
    if not d.statuses <= set(STATUSES):
        refuse(f"unknown status(es) {', '.join(sorted(d.statuses - set(STATUSES)))}")
    if d.service not in service_fields:
        refuse(f"the service {d.service!r} is not in the catalogue")
    known = set(service_fields[d.service]) & set(ROW_FIELDS)
    unknown = [f for f in d.fields if f not in known]
    if unknown:
        refuse(f"unknown field(s) {', '.join(unknown)} (a list of {d.service!r} may hold "
               f"{', '.join(f for f in ROW_FIELDS if f in known)})")
    if len(set(d.fields)) != len(d.fields):
        refuse("a field is named twice")
    wrong = [f for f in d.formats if f not in FORMATS]
    if wrong:
        refuse(f"the format(s) {', '.join(wrong)} are not offered (formats: "
               f"{', '.join(FORMATS)})")
    if d.default_format not in d.formats:
        refuse(f"the default format {d.default_format!r} is not among its formats")
    if d.schedule is not None and d.schedule not in SCHEDULES:
        refuse(f"the schedule {d.schedule!r} is not one of {', '.join(SCHEDULES)}")


def check_grants(definitions: Definitions, deliberations: Sequence[Deliberation],
                 today: dt.date) -> None:
    """Refuse the whole file when a definition's deliberation does not grant, to each of its
    recipient kinds, the service and every field of the list (valid today)."""
    for d in definitions.all():
        for kind in d.recipient_kinds:
            grant = next((g for g in deliberations if g.reference == d.deliberation
                          and g.client_kind == kind and g.service == d.service
                          and g.valid_on(today)), None)
            if grant is None:
                raise InvalidListDefinition(
                    f"List {d.name!r}: no valid deliberation {d.deliberation} grants a {kind} "
                    f"the service {d.service!r}.")
            missing = [f for f in d.fields if f not in grant.fields]
            if missing:
                raise InvalidListDefinition(
                    f"List {d.name!r}: the deliberation {d.deliberation} does not grant a "
                    f"{kind} the field(s) {', '.join(missing)}.")


@dataclass(frozen=True, slots=True)
class Period:
    start: dt.date
    end: dt.date

    @classmethod
    def of(cls, start: dt.date, end: dt.date) -> Period:
        if end < start:
            raise InvalidPeriod(f"The period cannot end ({end}) before it starts ({start}).")
        if (end - start).days >= MAX_PERIOD_DAYS:
            raise InvalidPeriod(f"A list covers at most {MAX_PERIOD_DAYS} days.")
        return cls(start, end)

    @classmethod
    def optional(cls, start: dt.date | None, end: dt.date | None) -> Period | None:
        """Both days, or neither (None: the default period)."""
        if start is None and end is None:
            return None
        if start is None or end is None:
            raise InvalidPeriod("Give both the first and the last day of the period.")
        return cls.of(start, end)

    @classmethod
    def month_before(cls, today: dt.date) -> Period:
        """The last calendar month closed on ``today``."""
        end = today.replace(day=1) - dt.timedelta(days=1)
        return cls(end.replace(day=1), end)

    def __str__(self) -> str:
        return f"{self.start.isoformat()}/{self.end.isoformat()}"


@dataclass(frozen=True, slots=True)
class Row:
    """One status period of one person of the area, as a list carries it."""

    niss: str
    household_id: str
    status: str
    start: dt.date
    end: dt.date | None
    source: str
    event_id: str

    def values(self, fields: Sequence[str]) -> dict[str, str | None]:
        found: dict[str, Any] = {
            "niss": self.niss, "household_id": self.household_id, "status": self.status,
            "start": self.start.isoformat(), "end": self.end.isoformat() if self.end else None,
            "source": self.source, "event_id": self.event_id}
        return {f: found[f] for f in fields}


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The (first, last) byte of a ``Range: bytes=...`` header (RFC 9110 §14.1.2), one range;
    None: the whole file. A range that lies wholly beyond the file is refused (416)."""
    if header is None:
        return None
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec or "-" not in spec:
        return None  # a range this hub does not serve: the whole file (RFC 9110 allows it)
    first_text, _, last_text = spec.strip().partition("-")
    if not _digits(first_text) or not _digits(last_text) or first_text == last_text == "":
        return None
    if first_text == "":  # the last N bytes
        if int(last_text) == 0 or size == 0:
            raise _unsatisfiable(size, "an empty suffix or an empty file")
        return max(0, size - int(last_text)), size - 1
    first = int(first_text)
    if last_text != "" and int(last_text) < first:
        return None  # not a valid range: ignored
    if first >= size:
        raise _unsatisfiable(size, f"a range that starts at byte {first}")
    return first, size - 1 if last_text == "" else min(int(last_text), size - 1)


def _digits(text: str) -> bool:
    return text == "" or (text.isdigit() and len(text) <= 18)


def _unsatisfiable(size: int, what: str) -> RangeNotSatisfiable:
    return RangeNotSatisfiable(f"The file has {size} bytes; {what} cannot be served.",
                               content_range=f"bytes */{size}")
