"""``carrefour research ...``: register a research project, show one. Thin: parse, call one use
case, print. Journaled (channel ``cli``, the operating-system user), refusals included."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console

from carrefour.auth.cli import engine_for, refusals
from carrefour.errors import InvalidResearchProject
from carrefour.journal.audit import locally
from carrefour.journal.recorded import Stamp
from carrefour.journal.writer import record_now
from carrefour.research.domain import project_spec
from carrefour.research.services import register_project, show_project

app = typer.Typer(help="Research extracts: register a project, show one.", no_args_is_help=True)
DatabaseUrl = Annotated[str | None, typer.Option(
    help="Database URL (default: CARREFOUR_DATABASE_URL or the embedded SQLite).")]
AsJson = Annotated[bool, typer.Option("--json", help="Print the project as JSON")]


@app.command("register")
def register_command(
    project: Annotated[str, typer.Argument(help="The project's id")],
    title: Annotated[str, typer.Option(help="What the research is about")],
    researcher: Annotated[str, typer.Option(help="The researcher institution's CBE number")],
    deliberation: Annotated[str, typer.Option(help="The deliberation granting the research")],
    variable: Annotated[list[str], typer.Option(help="A variable (repeat)")],
    status: Annotated[list[str], typer.Option(help="A status of the population (repeat)")],
    start: Annotated[str, typer.Option(help="The period's first day, YYYY-MM-DD")],
    end: Annotated[str, typer.Option(help="The period's last day, YYYY-MM-DD")],
    epsilon: Annotated[float | None, typer.Option(
        help="The privacy budget of its differentially private tables")] = None,
    database_url: DatabaseUrl = None,
    as_json: AsJson = False,
) -> None:
    """Register a research project after checking its researcher and deliberation."""
    console = Console()
    with engine_for(database_url) as engine, refusals(console):

        def register(stamp: Stamp) -> dict[str, Any]:
            spec = project_spec(id=project, title=title, researcher=researcher,
                                deliberation=deliberation, variables=variable,
                                statuses=status, start=_day(start), end=_day(end),
                                budget=epsilon)
            return register_project(engine, spec, stamp=stamp, today=dt.date.today())

        done = locally(engine, "admin-register-research-project", register)
    _print(console, done, as_json)


@app.command("show")
def show_command(
    project: Annotated[str, typer.Argument(help="The project's id")],
    database_url: DatabaseUrl = None,
    as_json: AsJson = False,
) -> None:
    """A project, its privacy budget spent and its releases."""
    console = Console()
    with engine_for(database_url) as engine, refusals(console):

        def show(stamp: Stamp) -> dict[str, Any]:
            found = show_project(engine, project)
            record_now(engine, stamp.entry("ok", reference=f"research-project:{project}"))
            stamp.sealed = True
            return found

        done = locally(engine, "admin-show-research-project", show)
    _print(console, done, as_json)


def _print(console: Console, project: dict[str, Any], as_json: bool) -> None:
    if as_json:
        typer.echo(orjson.dumps(project, option=orjson.OPT_INDENT_2).decode())
        return
    budget = project["budget"]
    console.print(f"[green]{project['id']}[/] {project['title']}")
    console.print(f"researcher {project['researcher']}, deliberation {project['deliberation']}")
    console.print(f"variables {', '.join(project['variables'])}; population "
                  f"{', '.join(project['statuses'])} from {project['period']['start']} "
                  f"to {project['period']['end']}")
    console.print(f"privacy budget {budget['total']}, spent {budget['spent']}")
    for release in project.get("releases", []):
        console.print(f"  {release['released_at']} {release['kind']} "
                      f"epsilon={release['epsilon']} ticket {release['ticket']}")


def _day(raw: str) -> dt.date:
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise InvalidResearchProject(f"The date {raw!r} is not a date (YYYY-MM-DD).") from None
