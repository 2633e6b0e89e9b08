"""``carrefour signal ...`` (backlog, dead letters, replay, retry, purge) and ``carrefour
deliver`` (extra delivery workers beside the hub). Thin: parse, call one function, print."""

from __future__ import annotations

import asyncio
import datetime as dt
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine

from carrefour.config import Settings
from carrefour.db import build_engine
from carrefour.errors import NotFound
from carrefour.journal.recorded import Act, Stamp
from carrefour.limits import INT64_MAX, MAX_PAGE
from carrefour.signal import admin
from carrefour.signal.delivery import DeliveryPolicy

app = typer.Typer(help="Mutations pushed to subscribers: backlog, dead letters, replay, retry, "
                  "purge.",
                  no_args_is_help=True)
console = Console()
DatabaseUrl = Annotated[
    str | None,
    typer.Option(help="Database URL (default: CARREFOUR_DATABASE_URL or the embedded SQLite)."),
]


@contextmanager
def _engine(database_url: str | None) -> Iterator[Engine]:
    engine = build_engine(database_url or Settings.from_env().database_url)
    try:
        yield engine
    finally:
        engine.dispose()


@app.command("backlog")
def backlog_command(database_url: DatabaseUrl = None) -> None:
    """Deliveries per subscription and state, with the oldest one still queued."""
    with _engine(database_url) as engine:
        rows = admin.backlog(engine)
    table = Table("subscription", "institution", "type", "mode", "state", "count", "oldest")
    for row in rows:
        table.add_row(str(row.subscription_id), str(row.institution_id), row.mutation_type,
                      row.mode, row.state, str(row.count), f"{row.oldest:%Y-%m-%d %H:%M:%S}"
                      if row.oldest else "")
    console.print(table if rows else "No deliveries yet.")


@app.command("dead-letters")
def dead_letters_command(
    database_url: DatabaseUrl = None,
    limit: Annotated[int, typer.Option(min=1, max=MAX_PAGE)] = 100,
) -> None:
    """Deliveries that kept failing until the dead-letter time."""
    with _engine(database_url) as engine:
        rows = admin.dead_letters(engine, limit=limit)
    table = Table("delivery", "subscription", "event id", "type", "attempts", "last error")
    for row in rows:
        table.add_row(str(row.id), str(row.subscription_id), row.event_id, row.type,
                      str(row.attempts), row.last_error or "")
    console.print(table if rows else "No dead letters.")


@app.command("replay")
def replay_command(
    ids: Annotated[
        list[int] | None,
        typer.Argument(min=1, max=INT64_MAX, help="Delivery ids (default: all)"),
    ] = None,
    subscription: Annotated[
        int | None, typer.Option(min=1, max=INT64_MAX, help="Only this subscription's")
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Queue dead letters again; the workers send them at once."""
    with _engine(database_url) as engine:
        ticket, count = admin.replay(engine, client="cli", channel="cli", ids=ids or None,
                                     subscription_id=subscription)
    console.print(f"{count} dead letter(s) queued again (ticket {ticket}).")


@app.command("retry")
def retry_command(
    subscription: Annotated[int, typer.Argument(min=1, max=INT64_MAX, help="Subscription id")],
    database_url: DatabaseUrl = None,
) -> None:
    """Send a subscription's pending deliveries now, without waiting for their back-off (the
    subscriber is back)."""
    stamp = Stamp(Act(channel="cli", action="retry-deliveries", client="cli", end_user_id=None,
                      end_user_role=None, service=None, niss=None))
    with _engine(database_url) as engine:
        try:
            count = admin.retry_now(engine, stamp=stamp, subscription_id=subscription)
        except NotFound as error:
            console.print(f"{error.detail} (ticket {stamp.ticket})")
            raise typer.Exit(1) from error
    console.print(f"{count} pending deliverie(s) of subscription {subscription} released "
                  f"(ticket {stamp.ticket}).")


@app.command("purge")
def purge_command(
    database_url: DatabaseUrl = None,
    retention: Annotated[float | None, typer.Option(
        min=0, help="Seconds a dead letter keeps its payload (default: CARREFOUR_SIGNAL_RETENTION)"
    )] = None,
) -> None:
    """Empty the payloads of settled mutations now (the delivery worker does it periodically)."""
    policy = DeliveryPolicy.from_env()
    seconds = policy.retention_seconds if retention is None else retention
    with _engine(database_url) as engine:
        count = admin.purge(engine, client="cli", channel="cli",
                            retention=dt.timedelta(seconds=seconds), batch_size=policy.purge_batch)
    console.print(f"{count} mutation(s) purged of their payloads.")


def deliver(database_url: DatabaseUrl = None) -> None:
    """Run a delivery worker beside the hub (as many as wanted, on the same database)."""
    asyncio.run(_deliver(database_url))


async def _deliver(database_url: str | None) -> None:
    from carrefour.directory.cache import ReferenceCache
    from carrefour.signal.delivery import DeliveryWorker
    from carrefour.signal.domain import default_mutation_types

    engine = build_engine(database_url or Settings.from_env().database_url)
    worker = DeliveryWorker(engine=engine, reference_cache=ReferenceCache(engine),
                            types=default_mutation_types(), policy=DeliveryPolicy.from_env())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await worker.start()
    console.print(f"Delivery worker {worker.name} running; Ctrl-C to stop.")
    try:
        await stop.wait()
    finally:
        await worker.stop()
        engine.dispose()
