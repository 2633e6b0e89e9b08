"""``carrefour credentials ...``: create and revoke institutions' client credentials.

Thin: each command parses its input, calls one use case and prints the result. Every command
is journaled (channel ``cli``, the operating-system user), refusals included."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy import Engine

from carrefour.auth.services import Scope, create_credentials, revoke_credentials
from carrefour.config import Settings
from carrefour.db import build_engine
from carrefour.directory.services import get_institution
from carrefour.errors import CarrefourError, InvalidInput
from carrefour.journal.audit import locally

app = typer.Typer(help="Client credentials of institutions: create, revoke.",
                  no_args_is_help=True)
DatabaseUrl = Annotated[
    str | None,
    typer.Option(help="Database URL (default: CARREFOUR_DATABASE_URL or the embedded SQLite)."),
]


@contextmanager
def engine_for(database_url: str | None) -> Iterator[Engine]:
    engine = build_engine(database_url or Settings.from_env().database_url)
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def refusals(console: Console) -> Iterator[None]:
    """Print a refusal (journaled by the use case) with its code and ticket; exit 1."""
    try:
        yield
    except CarrefourError as error:
        ticket = error.extra.get("ticket")
        console.print(f"[red]{error.code}[/]: {error.detail}"
                      + (f" (ticket {ticket})" if ticket else ""))
        raise typer.Exit(code=1) from None


@app.command("create")
def create_command(
    cbe: Annotated[str, typer.Argument(help="The institution's CBE number.")],
    scope: Annotated[list[str] | None, typer.Option(help="consult, publish, admin (repeat).")
                     ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Create client credentials for an institution; the secret is shown only now."""
    console = Console()
    with engine_for(database_url) as engine, refusals(console):
        made = locally(engine, "admin-add-credentials",
                       lambda stamp: create_credentials(
                           engine, institution_id=get_institution(engine, cbe).id,
                           scopes=_scopes(scope or ["consult"]), stamp=stamp))
    console.print(f"client_id     {made.client_id}")
    console.print(f"client_secret {made.client_secret}   (shown once: only its hash is kept)")


def _scopes(names: list[str]) -> list[Scope]:
    try:
        return [Scope(name) for name in names]
    except ValueError:
        raise InvalidInput(f"Scopes must be among: {', '.join(Scope)}.") from None


@app.command("revoke")
def revoke_command(
    client_id: Annotated[str, typer.Argument(help="The client id to revoke.")],
    database_url: DatabaseUrl = None,
) -> None:
    """Revoke client credentials: their tokens and HTTP Basic use are refused (running hub
    processes follow within a second)."""
    console = Console()
    with engine_for(database_url) as engine, refusals(console):
        state = locally(engine, "admin-revoke-credentials",
                        lambda stamp: revoke_credentials(engine, client_id, stamp=stamp))
    console.print(f"Revoked {client_id} (institution {state['institution']}) "
                  f"at {state['revoked_at']:%Y-%m-%d %H:%M:%S} UTC.")
