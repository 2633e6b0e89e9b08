"""``carrefour institution ...`` (disable, enable) and ``carrefour reference load``.

Thin: each command parses its input, calls one use case and prints the result. Every command
is journaled (channel ``cli``, the operating-system user), refusals included."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from carrefour.auth.cli import DatabaseUrl, engine_for, refusals
from carrefour.directory.files import load_reference_file
from carrefour.directory.services import set_institution_active
from carrefour.journal.audit import locally

institution_app = typer.Typer(help="Institutions of the directory: disable, enable.",
                              no_args_is_help=True)
reference_app = typer.Typer(help="Deliberations and availability (the reference tables).",
                            no_args_is_help=True)


@institution_app.command("disable")
def disable_command(
    cbe: Annotated[str, typer.Argument(help="The institution's CBE number.")],
    database_url: DatabaseUrl = None,
) -> None:
    """Disable an institution: its tokens and credentials are refused, and as a source it is
    no longer routed to (running hub processes follow within a second)."""
    _set_active(cbe, database_url, active=False)


@institution_app.command("enable")
def enable_command(
    cbe: Annotated[str, typer.Argument(help="The institution's CBE number.")],
    database_url: DatabaseUrl = None,
) -> None:
    """Enable a disabled institution again."""
    _set_active(cbe, database_url, active=True)


def _set_active(cbe: str, database_url: str | None, *, active: bool) -> None:
    console = Console()
    action = "admin-enable-institution" if active else "admin-disable-institution"
    with engine_for(database_url) as engine, refusals(console):
        done = locally(engine, action, lambda stamp: set_institution_active(
            engine, cbe, active=active, stamp=stamp))
    console.print(f"{done.name_fr} ({done.cbe}) is {'enabled' if done.active else 'disabled'}.")


@reference_app.command("load")
def reference_load(path: Path, database_url: DatabaseUrl = None) -> None:
    """Load deliberations and availability rows from a TOML file (journaled, with every
    grant's and row's state before and after)."""
    console = Console()
    with engine_for(database_url) as engine, refusals(console):
        grants, rows = locally(engine, "admin-load-reference",
                               lambda stamp: load_reference_file(engine, path, stamp=stamp))
    console.print(f"Loaded {grants} deliberation grants and {rows} availability rows.")
