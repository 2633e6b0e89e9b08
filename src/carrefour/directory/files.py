"""Load deliberations and availability rows from a TOML file (``carrefour reference load``)."""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from carrefour.catalogue.model import Catalogue, default_catalogue
from carrefour.directory.domain import Availability, Deliberation
from carrefour.directory.services import save_all
from carrefour.errors import InvalidInput
from carrefour.journal.recorded import Stamp
from carrefour.limits import check_no_nul


def parse_reference(
    text: str, catalogue: Catalogue | None = None
) -> tuple[list[Deliberation], list[Availability]]:
    """Parse and check a reference file against the catalogue (services and their fields)."""
    catalogue = catalogue or default_catalogue()
    try:
        document = tomllib.loads(text)
        check_no_nul(document)
    except tomllib.TOMLDecodeError as error:
        raise InvalidInput(f"The reference file is not valid TOML: {error}.") from None
    except ValueError as error:
        raise InvalidInput(f"The reference file is not valid: {error}.") from None
    grants = [_deliberation(raw, catalogue) for raw in document.get("deliberation", [])]
    rows = [_availability(raw, catalogue) for raw in document.get("availability", [])]
    _refuse_duplicates([(g.reference, g.client_kind, g.service) for g in grants], "grant")
    _refuse_duplicates([(r.service, r.source_kind) for r in rows], "availability row")
    return grants, rows


def _refuse_duplicates(keys: list[tuple[str, ...]], what: str) -> None:
    """Two entries with the same key would silently replace each other when loaded."""
    seen: set[tuple[str, ...]] = set()
    for key in keys:
        if key in seen:
            raise InvalidInput(f"The reference file has the {what} {' / '.join(key)} twice.")
        seen.add(key)


def _deliberation(raw: Mapping[str, Any], catalogue: Catalogue) -> Deliberation:
    service = catalogue.get(raw["service"])
    fields = frozenset(raw["fields"])
    sectors = raw.get("sectors")
    if sectors is not None and not (
        isinstance(sectors, list) and all(type(s) is int for s in sectors)
    ):
        raise InvalidInput(f"Deliberation {raw['reference']}: sectors is a list of sector "
                           "numbers.")
    service.check_grant(raw["reference"], fields, sectors)
    return Deliberation(
        id=0,
        reference=raw["reference"],
        title=raw["title"],
        client_kind=raw["client_kind"],
        quality_codes=frozenset(int(c) for c in raw["quality_codes"]),
        service=service.name,
        fields=fields,
        valid_from=_date(raw["valid_from"]),
        valid_until=_date(raw["valid_until"]) if raw.get("valid_until") else None,
        sectors=None if sectors is None else frozenset(int(s) for s in sectors),
        confidential_days=_days(raw.get("confidential_days"), raw["reference"]),
    )


def _days(value: Any, reference: str) -> int | None:
    if value is None:
        return None
    if type(value) is not int or not 0 < value <= 36_600:
        raise InvalidInput(f"Deliberation {reference}: confidential_days is a number of days "
                           "from 1 to 36600.")
    return value


def _availability(raw: Mapping[str, Any], catalogue: Catalogue) -> Availability:
    service = catalogue.get(raw["service"])
    codes = raw.get("quality_codes")
    return Availability(
        service=service.name,
        source_kind=raw["source_kind"],
        quality_codes=None if codes is None else frozenset(int(c) for c in codes),
    )


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def load_reference_file(
    engine: Engine, path: Path | None = None, *, stamp: Stamp | None = None
) -> tuple[int, int]:
    """Load a reference file (default: the one shipped for the catalogue); counts loaded.
    Journaled (``stamp``: who acts, by default the local operator) with what changed."""
    text = _read(path) if path else default_reference_text()
    grants, rows = parse_reference(text)
    save_all(engine, grants, rows, stamp=stamp)
    return len(grants), len(rows)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidInput(f"The reference file {path} cannot be read: {error}.") from None


REFERENCE_FILES = ("authorizations.toml", "authorizations-cpas.toml")


def default_reference_text() -> str:
    """The shipped reference files, one after the other (arrays of tables concatenate)."""
    package = resources.files("carrefour.catalogue")
    texts = (package.joinpath(name).read_text(encoding="utf-8") for name in REFERENCE_FILES)
    return "\n".join(texts)
