"""Command line of the simulation: ``carrefour source ...`` (:data:`app`), ``carrefour seed``
and ``carrefour demo``, mounted on the main CLI through the ``carrefour.cli`` entry point."""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.table import Table
from sqlalchemy import Engine, inspect, select

from carrefour.config import DEFAULT_DATA_DIR, default_database_url
from carrefour.db import build_engine
from carrefour.directory.tables import institutions
from carrefour.simulation.network import SOURCE_KINDS, SOURCES
from carrefour.simulation.population.population import Progress as ProgressCallback
from carrefour.simulation.seeding.seed import DEFAULT_BASE_PORT, SeedReport, seed_network
from carrefour.simulation.sources.app import serve_source

app = typer.Typer(help="Run simulated authentic sources.", no_args_is_help=True)
seed_app = typer.Typer(help="Seed the simulated network.", invoke_without_command=True)
console = Console()

HubUrl = Annotated[str | None, typer.Option(
    "--database-url", envvar="CARREFOUR_DATABASE_URL",
    help="The hub's database (default: CARREFOUR_DATABASE_URL or var/carrefour.sqlite3).")]
SourcesDir = Annotated[Path | None, typer.Option(
    help="Folder of the sources' SQLite databases (default: CARREFOUR_DATA_DIR/sources).")]


@app.command("serve")
def serve(
    kind: Annotated[str, typer.Option(help=f"One of: {', '.join(SOURCE_KINDS)}.")],
    port: Annotated[int, typer.Option(help="TCP port to listen on.")],
    database_url: Annotated[str, typer.Option(help="The source's own database.")],
    token: Annotated[str, typer.Option(envvar="CARREFOUR_SOURCE_TOKEN",
                                       help="Shared token the hub presents (Bearer).")],
    name: Annotated[str, typer.Option(help="The source's name in its answers.")] = "",
    number: Annotated[int | None, typer.Option(help="A mutuality's national number.")] = None,
    host: str = "127.0.0.1",
) -> None:
    """Serve one simulated source over the source protocol."""
    if kind not in SOURCE_KINDS:
        raise typer.BadParameter(f"the kind must be one of {', '.join(SOURCE_KINDS)}")
    console.print(f"{kind} source on http://{host}:{port}")
    serve_source(kind, database_url=database_url, token=token, name=name or kind,
                 number=number, host=host, port=port)


@app.command("serve-network")
def serve_network(database_url: HubUrl = None, sources_dir: SourcesDir = None,
                  host: str = "127.0.0.1") -> None:
    """Serve every simulated source seeded by ``carrefour seed``, one process each, on the
    endpoints and with the tokens the hub's directory holds for them."""
    hub_url, folder = _locations(database_url, sources_dir)
    engine = build_engine(hub_url)
    try:
        _require_schema(engine)
        rows = _directory_rows(engine)
    finally:
        engine.dispose()
    context = multiprocessing.get_context("spawn")
    processes = []
    for member in SOURCES:
        row = rows.get(member.cbe)
        if row is None:
            raise typer.BadParameter(f"{member.slug} is not in the directory: seed first")
        port = int(str(row["endpoint"]).rsplit(":", 1)[1])
        kwargs = {"database_url": f"sqlite:///{folder / (member.slug + '.sqlite3')}",
                  "token": row["source_token"], "name": member.display_name,
                  "number": member.number, "host": host, "port": port}
        processes.append(context.Process(target=serve_source, args=(member.kind,),
                                         kwargs=kwargs, name=member.slug, daemon=True))
        console.print(f"{member.slug:<20} {row['endpoint']}")
    signal.signal(signal.SIGTERM, _exit)  # so that the sources stop with this process
    try:
        for process in processes:
            process.start()
        for process in processes:
            process.join()
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
                process.join(timeout=5)


def _exit(_signal: int, _frame: object) -> None:
    raise SystemExit(0)


def _seed(engine: Engine, folder: Path, *, persons: int, seed: int, base_port: int,
          reference: bool) -> SeedReport:
    _require_schema(engine)
    with progress_bar() as report:
        return seed_network(hub_engine=engine, sources_dir=folder, persons=persons, seed=seed,
                            base_port=base_port, load_reference=reference, progress=report)


def _require_schema(engine: Engine) -> None:
    if not inspect(engine).has_table(institutions.name):
        console.print("[red]The hub's database has no directory tables: create the schema "
                      "(carrefour init) first.[/red]")
        raise typer.Exit(1)


def _locations(database_url: str | None, sources_dir: Path | None) -> tuple[str, Path]:
    """The hub's database and the sources' folder, defaulting to the data directory."""
    data_dir = Path(os.environ.get("CARREFOUR_DATA_DIR", str(DEFAULT_DATA_DIR)))
    return database_url or default_database_url(data_dir), sources_dir or data_dir / "sources"


def _directory_rows(engine: Engine) -> dict[str, dict[str, object]]:
    with engine.connect() as connection:
        query = select(institutions.c.cbe, institutions.c.endpoint, institutions.c.source_token)
        return {row["cbe"]: dict(row) for row in connection.execute(query).mappings()}


@seed_app.callback()
def seed(
    persons: Annotated[int, typer.Option(min=1, help="Persons in the population.")] = 10_000,
    seed: Annotated[int, typer.Option(help="Seed: the same seed, the same network.")] = 1,
    database_url: HubUrl = None,
    sources_dir: SourcesDir = None,
    base_port: Annotated[int, typer.Option(help="Source i listens on base port + i.")] = (
        DEFAULT_BASE_PORT),
    reference: Annotated[bool, typer.Option(help="Load deliberations and availability.")] = True,
) -> None:
    """Write the simulated sources' databases and fill the hub's directory to match."""
    hub_url, folder = _locations(database_url, sources_dir)
    engine = build_engine(hub_url)
    try:
        result = _seed(engine, folder, persons=persons, seed=seed, base_port=base_port,
                       reference=reference)
    finally:
        engine.dispose()
    show_report(result)


@contextmanager
def progress_bar() -> Iterator[ProgressCallback]:
    """A Rich progress bar with one task per step of the seeding, fed by the callback."""
    bar = Progress(TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(),
                   console=console)
    tasks: dict[str, TaskID] = {}

    def report(step: str, done: int, total: int) -> None:
        if step not in tasks:
            tasks[step] = bar.add_task(step, total=total or None)
        bar.update(tasks[step], completed=done, total=total or done)

    with bar:
        yield report


def show_report(report: SeedReport) -> None:
    console.print(f"Seed {report.seed}: {report.persons:,} persons in {report.households:,} "
                  f"households, {report.unemployment_periods:,} unemployment periods, "
                  f"{report.bim_persons:,} BIM persons; {report.integrations:,} integrations "
                  f"({report.cpas_files} CPAS files). Times (s): {dict(report.seconds)}")
    sources = Table("source", "endpoint", "token", "database", title="Simulated sources")
    for source in report.sources:
        sources.add_row(source.slug, source.endpoint, source.token, source.database_url)
    console.print(sources)
    clients = Table("institution", "client id", "client secret", "scopes", title="Credentials")
    for issued in report.credentials:
        clients.add_row(issued.name, issued.client_id, issued.client_secret,
                        " ".join(issued.scopes))
    console.print(clients)
    examples = Table("example", "NISS", title="Persons to start from")
    for label, niss in report.examples.items():
        examples.add_row(label, niss)
    console.print(examples)
    console.print("Start the sources with: carrefour source serve-network")


def demo(
    persons: Annotated[int, typer.Option(min=100, help="Persons in the population")] = 5000,
    seed: Annotated[int, typer.Option(help="Seed of the population")] = 1,
    port: Annotated[int, typer.Option(help="Port of the hub")] = 8000,
    base_port: Annotated[int, typer.Option(help="Source i listens on base port + i")] = 8100,
    check: Annotated[bool, typer.Option(help="Run the example requests, then stop")] = False,
) -> None:
    """Start the whole network on SQLite with simulated sources, and print how to use it."""
    from carrefour.config import DEFAULT_DATA_DIR
    from carrefour.simulation.demo.run import DemoOptions, run_demo

    data_dir = Path(os.environ.get("CARREFOUR_DATA_DIR", str(DEFAULT_DATA_DIR)))
    options = DemoOptions(
        data_dir=data_dir, persons=persons, seed=seed, port=port, base_port=base_port
    )
    run_demo(options, check=check, console=console)


def register(main: typer.Typer) -> None:
    """Mount ``carrefour source ...``, ``carrefour seed`` and ``carrefour demo`` on the main
    command line (the entry point ``carrefour.cli: simulation`` of pyproject.toml)."""
    from carrefour.simulation.demo.cli import register as register_signal

    register_signal(app)
    main.add_typer(app, name="source")
    main.command("seed")(seed)
    main.command("demo")(demo)
