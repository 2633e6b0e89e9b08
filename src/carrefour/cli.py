"""The ``carrefour`` command line: init, seed, serve, demo, journal, reference, source."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from carrefour import __version__
from carrefour.auth.cli import app as credentials_app
from carrefour.directory.cli import institution_app, reference_app
from carrefour.journal.cli import app as journal_app
from carrefour.lists.cli import app as lists_app
from carrefour.lists.cli import onboard_command
from carrefour.research.cli import app as research_app
from carrefour.rights.cli import app as rights_app
from carrefour.signal.cli import app as signal_app
from carrefour.signal.cli import deliver as deliver_command

if TYPE_CHECKING:
    from carrefour.config import Settings

app = typer.Typer(
    help="Carrefour, a crossroads bank for social security.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,  # one line on failure (carrefour.cli_errors), no traceback
)
app.add_typer(journal_app, name="journal", help="Check and search the journal.")
app.add_typer(reference_app, name="reference")
app.add_typer(credentials_app, name="credentials")
app.add_typer(institution_app, name="institution")
app.add_typer(signal_app, name="signal",
              help="Mutations pushed to subscribers: backlog, replay, purge.")
app.command("deliver")(deliver_command)
# derived rights
app.add_typer(rights_app, name="rights", help="Derived rights: what-if of a changed rule file.")
# lists and quick onboarding
app.add_typer(lists_app, name="lists", help="Lists: check the definitions, produce a list now.")
app.command("onboard")(onboard_command)
# research extracts
app.add_typer(research_app, name="research", help="Research extracts: register a project, "
              "show one.")
console = Console()

DatabaseUrl = Annotated[
    str | None, typer.Option(help="Hub database URL (default: CARREFOUR_DATABASE_URL or SQLite)")
]


def _settings(database_url: str | None = None) -> Settings:
    from dataclasses import replace

    from carrefour.config import Settings

    settings = Settings.from_env()
    return replace(settings, database_url=database_url) if database_url else settings


def _version(shown: bool) -> None:
    if shown:
        console.print(f"carrefour {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True,
                           help="Show the version and exit.")
    ] = False,
) -> None:
    """Carrefour, a crossroads bank for social security."""


@app.command()
def init(database_url: DatabaseUrl = None) -> None:
    """Create or upgrade the hub's database and load the shipped reference tables."""
    from carrefour.db import build_engine
    from carrefour.directory.files import load_reference_file
    from carrefour.migrations import upgrade

    engine = build_engine(_settings(database_url).database_url)
    upgrade(engine)
    grants, rows = load_reference_file(engine)  # journaled as the local operator's load
    console.print(
        f"[green]Database ready[/]; {grants} deliberation grants, {rows} availability rows."
    )


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Hub processes")] = 1,
    database_url: DatabaseUrl = None,
) -> None:
    """Run the hub's HTTP API; its workers are supervised (a dead one is replaced). Refuses
    to start on a database missing, not initialised or not writable by this user."""
    from carrefour.health.services import StartRefused, check_before_start, configured_url
    from carrefour.server import run_hub

    try:
        check_before_start(database_url or configured_url())
    except StartRefused as refused:
        typer.echo(f"carrefour serve: {refused}", err=True)
        raise typer.Exit(1) from None
    run_hub(host=host, port=port, workers=workers, database_url=database_url)


def main() -> None:
    from carrefour.cli_errors import fail

    try:
        _mount_optional()
        app()
    except SystemExit:
        raise
    except BaseException as error:  # one line, never a traceback (carrefour.cli_errors)
        raise SystemExit(fail(error)) from None


def _mount_optional() -> None:
    """Commands of installed extensions (the entry-point group ``carrefour.cli``: the simulated
    network's ``source``, ``seed`` and ``demo``), so that the hub imports none of them."""
    from importlib.metadata import entry_points

    for extension in entry_points(group="carrefour.cli"):
        extension.load()(app)


if __name__ == "__main__":
    main()
