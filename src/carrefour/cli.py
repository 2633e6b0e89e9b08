"""The ``carrefour`` command line: init, seed, serve, demo, journal, reference, source."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from carrefour.auth.cli import app as credentials_app
from carrefour.directory.cli import institution_app, reference_app
from carrefour.journal.cli import app as journal_app
from carrefour.signal.cli import app as signal_app
from carrefour.signal.cli import deliver as deliver_command

app = typer.Typer(help="Carrefour, a crossroads bank for social security.", no_args_is_help=True)
app.add_typer(journal_app, name="journal", help="Check and search the journal.")
app.add_typer(reference_app, name="reference")
app.add_typer(credentials_app, name="credentials")
app.add_typer(institution_app, name="institution")
app.add_typer(signal_app, name="signal",
              help="Mutations pushed to subscribers: backlog, replay, purge.")
app.command("deliver")(deliver_command)
console = Console()

DatabaseUrl = Annotated[
    str | None, typer.Option(help="Hub database URL (default: CARREFOUR_DATABASE_URL or SQLite)")
]


def _settings(database_url: str | None = None):  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from carrefour.config import Settings

    settings = Settings.from_env()
    return replace(settings, database_url=database_url) if database_url else settings


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
    workers: Annotated[int, typer.Option(help="Hub processes")] = 1,
) -> None:
    """Run the hub's HTTP API; its workers are supervised (a dead one is replaced). Refuses
    to start on a database missing, not initialised or not writable by this user."""
    from carrefour.health.services import StartRefused, check_before_start, database_url
    from carrefour.server import run_hub

    try:
        check_before_start(database_url())
    except StartRefused as refused:
        typer.echo(f"carrefour serve: {refused}", err=True)
        raise typer.Exit(1) from None
    run_hub(host=host, port=port, workers=workers)


def main() -> None:
    _mount_optional()
    app()


def _mount_optional() -> None:
    """Commands of installed extensions (the entry-point group ``carrefour.cli``: the simulated
    network's ``source``, ``seed`` and ``demo``), so that the hub imports none of them."""
    from importlib.metadata import entry_points

    for extension in entry_points(group="carrefour.cli"):
        extension.load()(app)


if __name__ == "__main__":
    main()
