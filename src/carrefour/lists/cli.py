"""``carrefour lists ...`` (check the definitions, produce a list now) and ``carrefour onboard``
(quick onboarding of a new recipient). Thin: parse, call one use case, print. Journaled
(channel ``cli``, the operating-system user), refusals included."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from sqlalchemy import Engine

from carrefour.auth.cli import engine_for, refusals
from carrefour.catalogue.model import default_catalogue
from carrefour.config import Settings
from carrefour.directory.cache import load_snapshot
from carrefour.errors import InvalidInput, InvalidListDefinition
from carrefour.journal.audit import locally
from carrefour.journal.recorded import Stamp
from carrefour.journal.writer import record_now
from carrefour.lists.domain import Definitions, Period, check_grants, parse_definitions
from carrefour.lists.onboarding import Applicant, onboard
from carrefour.lists.services import (
    ListPolicy,
    generate,
    list_policy,
    service_fields,
    shipped_definitions,
)
from carrefour.signal.domain import default_mutation_types

app = typer.Typer(help="Lists: check the definitions, produce a list now.",
                  no_args_is_help=True)
DatabaseUrl = Annotated[str | None, typer.Option(
    help="Database URL (default: CARREFOUR_DATABASE_URL or the embedded SQLite).")]
DataDir = Annotated[Path | None, typer.Option(
    help="The data folder, whose lists/ holds the mailboxes (default: CARREFOUR_DATA_DIR).")]
Day = Annotated[str | None, typer.Option(help="YYYY-MM-DD")]


@app.command("check")
def check_command(
    definitions_file: Annotated[Path | None, typer.Argument(
        help="A definition file (default: the one shipped)")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Check a definition file whole: keys, fields, formats, and the deliberations in the
    directory granting its data."""
    console = Console()
    with engine_for(database_url) as engine, refusals(console):
        definitions = _definitions(definitions_file)
        grants = [g for found in load_snapshot(engine).deliberations_by_service.values()
                  for g in found]
        check_grants(definitions, grants, dt.date.today())
    for definition in definitions.all():
        console.print(f"[green]ok[/] {definition.name}: {definition.title} "
                      f"({', '.join(definition.formats)}; {definition.deliberation})")


@app.command("generate")
def generate_command(
    name: Annotated[str, typer.Argument(help="The list's name")],
    start: Day = None,
    end: Day = None,
    recipient: Annotated[list[str] | None, typer.Option(
        help="A recipient's CBE number (repeat; default: every recipient)")] = None,
    format: Annotated[str | None, typer.Option(
        help="One format for every file: csv, jsonl, xml, parquet")] = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the manifests as JSON")] = False,
) -> None:
    """Produce a list now for the period (default: the last closed month), one file per
    recipient, each told by a ``list-ready`` mutation when it subscribed."""
    console = Console()
    policy = list_policy(_settings(data_dir))
    with engine_for(database_url) as engine, refusals(console):
        period = _period(start, end) or Period.month_before(dt.date.today())
        files = locally(engine, "admin-generate-list", lambda stamp: generate(
            engine, shipped_definitions(default_catalogue()), name, period, policy=policy,
            types=default_mutation_types(), stamp=stamp, cbes=recipient, fmt=format))
    if as_json:
        typer.echo(orjson.dumps(files, option=orjson.OPT_INDENT_2).decode())
        return
    console.print(f"{len(files)} file(s) of {name} for {period}, "
                  f"{sum(f['rows'] for f in files)} rows, in {policy.folder}")


def onboard_command(
    cbe: Annotated[str, typer.Argument(help="The new recipient's CBE number")],
    name_fr: Annotated[str, typer.Option(help="Its name in French")],
    name_nl: Annotated[str, typer.Option(help="Its name in Dutch")],
    kind: Annotated[str, typer.Option(help="Its client kind (cpas, commune...)")],
    sector: Annotated[int, typer.Option(help="Its sector (the sector list)")],
    postal_code: Annotated[str, typer.Option(help="The postal code of its seat")],
    deliberation: Annotated[str, typer.Option(help="The general deliberation it joins under")],
    subsector: Annotated[int, typer.Option(help="Its subsector")] = 0,
    name_de: Annotated[str | None, typer.Option(help="Its name in German")] = None,
    format: Annotated[str | None, typer.Option(help="The format of its lists")] = None,
    start: Day = None,
    end: Day = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON")] = False,
) -> None:
    """Connect a new recipient under an existing general deliberation in one go: the
    institution, its credentials, its client kind, its lists' mailbox and format, and its
    first lists at once."""
    console = Console()
    policy = list_policy(_settings(data_dir))
    with engine_for(database_url) as engine, refusals(console):
        applicant = Applicant(cbe=cbe, name_fr=name_fr, name_nl=name_nl, name_de=name_de,
                              kind=kind, sector=sector, subsector=subsector,
                              postal_code=postal_code, deliberation=deliberation,
                              format=format, period=_period(start, end))
        done = locally(engine, "admin-onboard", lambda stamp: _onboard(
            engine, applicant, stamp, policy))
    if as_json:
        typer.echo(orjson.dumps(done, option=orjson.OPT_INDENT_2).decode())
        return
    console.print(f"[green]{done['cbe']}[/] joined under {done['deliberation']} as a "
                  f"{done['kind']}; services: {', '.join(done['services'])}")
    console.print(f"client_id     {done['client_id']}")
    console.print(f"client_secret {done['client_secret']}   (shown once: only its hash is kept)")
    for file in done["files"]:
        console.print(f"list {file['list']}: {file['rows']} rows, GET {file['download']}")


def _onboard(engine: Engine, applicant: Applicant, stamp: Stamp, policy: ListPolicy
             ) -> dict[str, Any]:
    """The onboarding, then the whole act's own entry (each change journaled its own)."""
    done = onboard(engine, shipped_definitions(default_catalogue()), applicant, who=stamp,
                   policy=policy, types=default_mutation_types(), today=dt.date.today())
    record_now(engine, stamp.entry("ok", reference=f"institution:{done['cbe']}"))
    stamp.sealed = True
    return done


def _definitions(path: Path | None) -> Definitions:
    if path is None:
        return shipped_definitions(default_catalogue())
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidListDefinition(f"The file {path} cannot be read: {error}.") from None
    return parse_definitions(text, service_fields(default_catalogue()))


def _settings(data_dir: Path | None) -> Settings:
    settings = Settings.from_env()
    return replace(settings, data_dir=data_dir) if data_dir else settings


def _period(start: str | None, end: str | None) -> Period | None:
    return Period.optional(_day(start), _day(end))


def _day(raw: str | None) -> dt.date | None:
    if raw is None:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(f"The date {raw!r} is not a date (YYYY-MM-DD).") from None

