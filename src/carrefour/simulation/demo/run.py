"""``carrefour demo``: the whole network on one machine, and a guide to using it.

Initialises the embedded SQLite database, seeds a deterministic population, starts every
simulated source and the hub as processes of their own, then prints the URLs, the demo
credentials and ready-to-paste requests. ``--check`` runs those requests itself and stops.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from rich.console import Console
from rich.panel import Panel
from rich.progress import Progress

from carrefour.db import build_engine
from carrefour.migrations import upgrade
from carrefour.simulation.demo.guide import examples, run_examples, token_command
from carrefour.simulation.demo.soap_guide import demo_examples, run_soap_examples, soap_environment
from carrefour.simulation.demo.trickle import CPAS_APP_OFFSET, cpas_app_address, prepare_signal
from carrefour.simulation.seeding.directory_seed import DemoCredentials
from carrefour.simulation.seeding.seed import SeedReport, seed_network
from carrefour.soap.wsdl import SSDN_PATH, TX25_PATH


@dataclass(frozen=True, kw_only=True)
class DemoOptions:
    data_dir: Path
    persons: int
    seed: int
    port: int
    base_port: int


def prepare(options: DemoOptions, console: Console) -> SeedReport:
    """A fresh database with the schema, the reference tables and the seeded network."""
    database = options.data_dir / "carrefour.sqlite3"
    for stale in options.data_dir.glob("carrefour.sqlite3*"):
        stale.unlink()
    engine = build_engine(f"sqlite:///{database}")
    try:
        upgrade(engine)
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("Seeding", total=None)

            def advance(step: str, done: int, total: int) -> None:
                progress.update(task, description=f"Seeding: {step}", completed=done, total=total)

            report = seed_network(
                hub_engine=engine,
                sources_dir=options.data_dir / "sources",
                persons=options.persons,
                seed=options.seed,
                base_port=options.base_port,
                progress=advance,
            )
        prepare_signal(engine, seed=options.seed, base_port=options.base_port)
        return report
    finally:
        engine.dispose()


def environment(options: DemoOptions) -> dict[str, str]:
    env = dict(os.environ)
    env["CARREFOUR_DATA_DIR"] = str(options.data_dir)
    env["CARREFOUR_DATABASE_URL"] = f"sqlite:///{options.data_dir / 'carrefour.sqlite3'}"
    # The demo CPAS application listens on plain http on loopback: the hub sends there only
    # because it is allow-listed here.
    env["CARREFOUR_SIGNAL_ALLOWED_ENDPOINTS"] = cpas_app_address(options.base_port)
    env.update(soap_environment())
    return env


def signal_children(command: list[str], env: dict[str, str], options: DemoOptions
                    ) -> list[subprocess.Popen[bytes]]:
    """The demo CPAS application and the trickle of mutations from the sources."""
    seed, hub = str(options.seed), f"http://127.0.0.1:{options.port}"
    return [
        subprocess.Popen([*command, "source", "cpas-app", "--seed", seed,
                          "--base-port", str(options.base_port)], env=env),
        subprocess.Popen([*command, "source", "trickle", "--seed", seed, "--hub", hub], env=env),
    ]


@contextmanager
def running_network(options: DemoOptions) -> Iterator[list[subprocess.Popen[bytes]]]:
    """The sources and the hub as child processes, stopped when the block ends."""
    command = [sys.executable, "-m", "carrefour.cli"]
    env = environment(options)
    children = [
        subprocess.Popen([*command, "source", "serve-network"], env=env),
        subprocess.Popen([*command, "serve", "--port", str(options.port)], env=env),
        *signal_children(command, env, options),
    ]
    try:
        yield children
    finally:
        for child in children:
            child.terminate()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()


def wait_until_up(
    urls: list[str], children: list[subprocess.Popen[bytes]], *, timeout: float = 90
) -> None:
    """Wait for every health URL; stop at once if a process of the network died."""
    deadline = time.monotonic() + timeout
    for url in urls:
        while not _healthy(url):
            dead = [c for c in children if c.poll() is not None]
            if dead:
                raise RuntimeError(f"a network process stopped (exit code {dead[0].returncode})")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not come up in {timeout:.0f} s")
            time.sleep(0.2)


def _healthy(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def health_urls(report: SeedReport, hub: str) -> list[str]:
    return [f"{hub}/health", *(f"{s.endpoint}/v1/health" for s in report.sources)]


def print_guide(console: Console, options: DemoOptions, report: SeedReport) -> None:
    hub = f"http://127.0.0.1:{options.port}"
    cpas, operator = _credentials(report)
    console.print(
        Panel.fit(
            f"Hub                {hub}\n"
            f"API docs           {hub}/docs   (OpenAPI: {hub}/openapi.json)\n"
            + "\n".join(f"{s.slug:<18} {s.endpoint}" for s in report.sources),
            title=f"Carrefour is running — {report.persons:,} persons, seed {report.seed}",
        )
    )
    console.print(
        f"Demo CPAS ({cpas.name}): client_id [bold]{cpas.client_id}[/], "
        f"client_secret [bold]{cpas.client_secret}[/]"
    )
    console.print(
        f"Operator (admin): client_id {operator.client_id}, "
        f"client_secret {operator.client_secret}\n"
    )
    console.print("# 1. Get a token (valid 15 minutes)", style="bold")
    console.print(token_command(hub, cpas.client_id, cpas.client_secret), soft_wrap=True)
    for number, example in enumerate(examples(report), start=2):
        console.print(f"\n# {number}. {example.title}", style="bold")
        console.print(example.curl(hub), soft_wrap=True)
    console.print("\n# The journal: every exchange above has its entry and ticket", style="bold")
    env = f"CARREFOUR_DATABASE_URL=sqlite:///{options.data_dir / 'carrefour.sqlite3'}"
    console.print(
        f"{env} {shlex.quote(sys.executable)} -m carrefour.cli journal verify", soft_wrap=True
    )
    console.print(
        f"{env} {shlex.quote(sys.executable)} -m carrefour.cli journal "
        f"who-consulted {report.examples['not_integrated']}",
        soft_wrap=True,
    )
    console.print("\n# Mutations flow: the sources publish, the demo CPAS application receives",
                  style="bold")
    console.print(f"curl -s http://127.0.0.1:{options.base_port + CPAS_APP_OFFSET}/   "
                  f"# the latest events; backlog: {env} {shlex.quote(sys.executable)} "
                  "-m carrefour.cli signal backlog", soft_wrap=True)
    _print_soap(console, hub, cpas, report)
    console.print("\nPress Ctrl-C to stop the network.", style="dim")


def _print_soap(console: Console, hub: str, cpas: DemoCredentials, report: SeedReport) -> None:
    console.print("\n# SOAP, for CPAS software written against the CBSS", style="bold")
    console.print(f"SSDN connector     {hub}{SSDN_PATH}   (sendXML; the demo CPAS is admitted "
                  "from 127.0.0.1 by its OrgUnit)\n"
                  f"Tx25 (v2)          {hub}{TX25_PATH}   (retrieveTI; HTTP Basic with the demo "
                  "CPAS's client_id and client_secret)")
    for example in demo_examples(report):
        console.print(f"\n# {example.title}", style="bold")
        console.print(example.curl(hub, cpas), soft_wrap=True, markup=False, highlight=False)


def _credentials(report: SeedReport) -> tuple[DemoCredentials, DemoCredentials]:
    cpas = report.credentials[0]  # the demo CPAS comes first
    operator = next(c for c in report.credentials if "admin" in c.scopes)
    return cpas, operator


def run_demo(options: DemoOptions, *, check: bool, console: Console) -> None:
    report = prepare(options, console)
    hub = f"http://127.0.0.1:{options.port}"
    with running_network(options) as children:
        wait_until_up(health_urls(report, hub), children)
        if check:
            cpas, _ = _credentials(report)
            tickets = run_examples(hub, cpas.client_id, cpas.client_secret, report)
            console.print(
                f"[green]Demo checked[/]: {len(tickets)} example requests answered as expected."
            )
            soap = run_soap_examples(hub, (cpas.client_id, cpas.client_secret),
                                     demo_examples(report))
            console.print(f"[green]SOAP checked[/]: {soap} SOAP requests answered as expected.")
            return
        print_guide(console, options, report)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            console.print("Stopping the network.")
