"""``carrefour rights simulate RULE_FILE``: a changed rule file evaluated over the whole
status buffer against the rules in force, granting nothing; journaled (channel ``cli``).
Thin: parse, call, print."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine

from carrefour.config import Settings
from carrefour.db import build_engine
from carrefour.errors import CarrefourError, InvalidInput
from carrefour.journal.audit import locally
from carrefour.journal.recorded import Stamp
from carrefour.journal.writer import record_now
from carrefour.rights.domain import parse_rules
from carrefour.rights.services import read_rule_file, rules_in_force, what_if

app = typer.Typer(help="Derived rights: what-if of a changed rule file.", no_args_is_help=True)
console = Console()


@app.command("simulate")
def simulate_command(
    rule_file: Annotated[Path, typer.Argument(help="The proposed rule file (TOML)")],
    against: Annotated[Path | None, typer.Option(
        help="The rule file to compare with (default: the rules in force)")] = None,
    date: Annotated[str | None, typer.Option(help="The day (YYYY-MM-DD; default today)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole result as JSON")] = False,
    database_url: Annotated[str | None, typer.Option(help="Hub database URL")] = None,
) -> None:
    """Households and persons gaining or losing each right, by region and province.
    Journaled like the admin API's what-if (channel ``cli``), refusals included."""
    engine = build_engine(database_url or Settings.from_env().database_url)
    try:
        result = locally(engine, "admin-simulate-rights",
                         lambda stamp: _simulate(engine, stamp, rule_file, against, date))
    except CarrefourError as error:
        console.print(f"[red]{error.detail}[/] (ticket {error.extra.get('ticket', '-')})")
        raise typer.Exit(2) from None
    finally:
        engine.dispose()
    if as_json:
        typer.echo(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())
        return
    for change in result["rights"]:
        console.print(_table(change))


def _simulate(engine: Engine, stamp: Stamp, rule_file: Path, against: Path | None,
              date: str | None) -> dict[str, Any]:
    proposed = parse_rules(read_rule_file(rule_file))
    in_force = parse_rules(read_rule_file(against)) if against else rules_in_force()
    result = what_if(engine, proposed, in_force, _day(date))
    record_now(engine, stamp.entry("ok"))
    stamp.sealed = True
    return result


def _day(raw: str | None) -> dt.date:
    if raw is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(f"The date {raw!r} is not a date (YYYY-MM-DD).") from None


def _table(change: dict[str, Any]) -> Table:
    table = Table("", "households", "persons", title=f"{change['right']}")
    for label, key in (("in force", "in_force"), ("proposed", "proposed"),
                       ("gaining", "gaining"), ("losing", "losing")):
        table.add_row(label, str(change[key]["households"]), str(change[key]["persons"]))
    for region, counts in change["by_region"].items():
        table.add_row(f"  {region}: +/-", f"+{counts.get('households_gaining', 0)} "
                      f"-{counts.get('households_losing', 0)}",
                      f"+{counts.get('persons_gaining', 0)} -{counts.get('persons_losing', 0)}")
    return table
