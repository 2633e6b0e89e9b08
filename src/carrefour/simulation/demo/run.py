"""``carrefour demo``: the whole network on one machine, and a guide to using it.

Initialises the embedded SQLite database, seeds a deterministic population, starts every
simulated source and the hub as processes of their own, then prints the URLs, the demo
credentials and ready-to-paste requests. ``--check`` runs those requests itself and stops.
"""

from __future__ import annotations

import datetime as dt
import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import IO, Any

import httpx
from rich.console import Console
from rich.progress import Progress

from carrefour.db import build_engine
from carrefour.migrations import upgrade
from carrefour.simulation.demo.guide import (
    STIB_SLUG,
    comment,
    examples,
    run_examples,
    shell_lines,
    token_command,
)
from carrefour.simulation.demo.soap_guide import demo_examples, run_soap_examples, soap_environment
from carrefour.simulation.demo.trickle import (
    CALCULATION_PUBLISHER,
    CPAS_APP_OFFSET,
    DECLARATION_PUBLISHER,
    cpas_app_address,
    prepare_signal,
    publisher,
)
from carrefour.simulation.demo.walkthrough import (
    CPAS_TOKEN,
    OPERATOR_TOKEN,
    RESEARCH_TOKEN,
    STIB_TOKEN,
    Section,
    produce_demo_list,
    run_sections,
    sections,
)
from carrefour.simulation.eid.serve import CONSOLE_CLIENT, console_secret, eid_address
from carrefour.simulation.network import DEMO_CPAS_SLUG, RESEARCHER_SLUG, institution
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


@dataclass(frozen=True, kw_only=True)
class Prepared:
    report: SeedReport
    demo_list: dict[str, Any]  # the manifest of the demo CPAS's list, produced at start-up


def prepare(options: DemoOptions, console: Console) -> Prepared:
    """A fresh database with the schema, the reference tables and the seeded network, and
    the seed's list for the demo CPAS in its mailbox."""
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
        demo_list = produce_demo_list(engine, options.data_dir, institution(DEMO_CPAS_SLUG).cbe)
        return Prepared(report=report, demo_list=demo_list)
    finally:
        engine.dispose()


def environment(options: DemoOptions) -> dict[str, str]:
    env = dict(os.environ)
    env["CARREFOUR_DATA_DIR"] = str(options.data_dir)
    env["CARREFOUR_DATABASE_URL"] = f"sqlite:///{options.data_dir / 'carrefour.sqlite3'}"
    # The demo CPAS application listens on plain http on loopback: the hub sends there only
    # because it is allow-listed here.
    env["CARREFOUR_SIGNAL_ALLOWED_ENDPOINTS"] = cpas_app_address(options.base_port)
    # The SPP IS publishes the social status of each A036 it receives to the hub.
    spp_is = publisher(options.seed, DECLARATION_PUBLISHER)
    env["CARREFOUR_SOURCE_HUB_URL"] = f"http://127.0.0.1:{options.port}"
    env["CARREFOUR_SOURCE_PUBLISH_CLIENT_ID"] = spp_is.client_id
    env["CARREFOUR_SOURCE_PUBLISH_CLIENT_SECRET"] = spp_is.client_secret
    # Mediprima publishes the calculation of each decision to the CPAS that took it.
    mediprima = publisher(options.seed, CALCULATION_PUBLISHER)
    env["CARREFOUR_MEDIPRIMA_HUB_URL"] = env["CARREFOUR_SOURCE_HUB_URL"]
    env["CARREFOUR_MEDIPRIMA_CLIENT_ID"] = mediprima.client_id
    env["CARREFOUR_MEDIPRIMA_CLIENT_SECRET"] = mediprima.client_secret
    # The console's citizens sign in with the simulated eID provider.
    env["CARREFOUR_OIDC_ISSUER"] = eid_address(options.base_port)
    env["CARREFOUR_OIDC_CLIENT_ID"] = CONSOLE_CLIENT
    env["CARREFOUR_OIDC_CLIENT_SECRET"] = console_secret(options.seed)
    env.update(soap_environment())
    return env


def signal_log(options: DemoOptions) -> Path:
    return options.data_dir / "demo-signal.log"


def hub_log(options: DemoOptions) -> Path:
    return options.data_dir / "demo-hub.log"


def signal_children(command: list[str], env: dict[str, str], options: DemoOptions,
                    log: IO[bytes]) -> list[subprocess.Popen[bytes]]:
    """The demo CPAS application and the trickle of mutations from the sources, writing to
    ``log`` rather than over the guide."""
    seed, hub = str(options.seed), f"http://127.0.0.1:{options.port}"
    return [
        _child([*command, "source", "cpas-app", "--seed", seed,
                "--base-port", str(options.base_port)], env, output=log),
        _child([*command, "source", "trickle", "--seed", seed, "--hub", hub], env, output=log),
        _child([*command, "source", "eid", "--seed", seed,
                "--base-port", str(options.base_port)], env, output=log),
    ]


def _child(command: list[str], env: dict[str, str], *, output: IO[bytes] | None = None
           ) -> subprocess.Popen[bytes]:
    """A process of the network in a process group of its own: the demo stops it and every
    process it started (the sources' workers) together."""
    return subprocess.Popen(command, env=env, start_new_session=True, stdout=output,
                            stderr=subprocess.STDOUT if output else None)


def stop(children: list[subprocess.Popen[bytes]], *, grace: float = 10) -> None:
    """SIGTERM to each child's process group, then SIGKILL to what is left after ``grace``."""
    for child in children:
        _signal_group(child, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for child in children:
        with suppress(subprocess.TimeoutExpired):
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        _signal_group(child, signal.SIGKILL)  # the group's stragglers, if any
        child.wait()


def _signal_group(child: subprocess.Popen[bytes], number: signal.Signals) -> None:
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, number)


@contextmanager
def running_network(options: DemoOptions) -> Iterator[list[subprocess.Popen[bytes]]]:
    """The sources and the hub as child processes, stopped when the block ends."""
    command = [sys.executable, "-m", "carrefour.cli"]
    env = environment(options)
    children: list[subprocess.Popen[bytes]] = []
    with signal_log(options).open("ab") as log, hub_log(options).open("ab") as hub:
        try:
            children.append(_child([*command, "source", "serve-network"], env))
            children.append(_child([*command, "serve", "--port", str(options.port)], env,
                                   output=hub))  # a JSON line per exchange
            children.extend(signal_children(command, env, options, log))
            yield children
        finally:
            stop(children)


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


def walkthrough(options: DemoOptions, prepared: Prepared) -> list[Section]:
    """The guide's steps after its examples: the list, the statistics, a derived right, the
    STIB's preferential tariff, research."""
    _, operator = _credentials(prepared.report)
    return sections(prepared.report, prepared.demo_list, hub=f"http://127.0.0.1:{options.port}",
                    cpas_cbe=institution(DEMO_CPAS_SLUG).cbe,
                    operator=(operator.client_id, operator.client_secret),
                    jar=console_jar(options), today=dt.date.today())


def console_jar(options: DemoOptions) -> Path:
    """The cookie file the guide's console requests keep the operator's session in."""
    return options.data_dir / "demo-console-cookies.txt"


def print_guide(console: Console, options: DemoOptions, prepared: Prepared) -> None:
    """The guide: every line fits 80 columns, so that each command pastes as it is."""
    hub = f"http://127.0.0.1:{options.port}"
    report = prepared.report
    cpas, operator = _credentials(report)
    say = partial(console.print, soft_wrap=True, highlight=False)
    say(comment(f"Carrefour is running: {report.persons:,} persons, seed {report.seed}"),
        style="bold green")
    say(f"Hub                {hub}\nAPI docs           {hub}/docs  {hub}/redoc\n"
        f"Console            {hub}/console  (eID: {eid_address(options.base_port)})\n"
        + "\n".join(f"{s.slug:<18} {s.endpoint}" for s in report.sources))
    say(f"Demo CPAS ({cpas.name}):\n  client_id     {cpas.client_id}\n"
        f"  client_secret {cpas.client_secret}")
    say(f"Operator (admin):\n  client_id     {operator.client_id}\n"
        f"  client_secret {operator.client_secret}\n")
    say(comment("1. Get a token (valid 15 minutes)"), style="bold")
    say(token_command(hub, cpas.client_id, cpas.client_secret))
    for number, example in enumerate(examples(report), start=2):
        say("\n" + comment(f"{number}. {example.title}"), style="bold")
        say(example.curl(hub))
    cli = [f"CARREFOUR_DATABASE_URL=sqlite:///{options.data_dir / 'carrefour.sqlite3'}",
           shlex.quote(sys.executable), "-m carrefour.cli"]
    say("\n" + comment("The journal: every exchange above has its entry and ticket"),
        style="bold")
    say(shell_lines([*cli, "journal verify"]))
    say(shell_lines([*cli, f"journal who-consulted {report.examples['not_integrated']}"]))
    say("\n" + comment("The operator's token (valid 15 minutes)"), style="bold")
    say(token_command(hub, operator.client_id, operator.client_secret, variable=OPERATOR_TOKEN))
    researcher = _researcher(report)
    say("\n" + comment(f"The researcher's token ({researcher.name})"), style="bold")
    say(token_command(hub, researcher.client_id, researcher.client_secret,
                      variable=RESEARCH_TOKEN))
    stib = _stib(report)
    say("\n" + comment("The STIB's token (a client of CPAS data)"), style="bold")
    say(token_command(hub, stib.client_id, stib.client_secret, variable=STIB_TOKEN))
    say("\n" + comment("The demo CPAS's token again (it lasts 15 minutes)"), style="bold")
    say(token_command(hub, cpas.client_id, cpas.client_secret, variable=CPAS_TOKEN))
    for section in walkthrough(options, prepared):
        say("\n" + comment(section.title), style="bold green")
        if section.note:
            say(comment(section.note))
        for line in section.assignments():
            say(line, markup=False)
        for step in section.steps:
            say("\n" + comment(step.title), style="bold")
            say(step.curl(hub), markup=False)
    say("\n" + comment("Mutations flow: the sources publish, the demo CPAS application "
                       "receives (their log: " + str(signal_log(options)) + ")"), style="bold")
    say(f"curl -s http://127.0.0.1:{options.base_port + CPAS_APP_OFFSET}/")
    say(shell_lines([*cli, "signal backlog"]))
    say("\n" + comment(f"The hub's log, a JSON line per exchange: {hub_log(options)}"),
        style="bold")
    _print_soap(say, hub, cpas, report, folder=options.data_dir)
    say("\nPress Ctrl-C to stop the network.", style="dim")


def _print_soap(say: Callable[..., None], hub: str, cpas: DemoCredentials, report: SeedReport,
                *, folder: Path) -> None:
    """The SOAP endpoints and a ready request for each; the envelopes are written to files of
    the demo's folder, so that every line of the guide fits 80 columns."""
    say("\n" + comment("SOAP, for CPAS software written against the CBSS"), style="bold")
    say(f"SSDN connector\n  {hub}{SSDN_PATH}\n" + comment(
        "sendXML; the demo CPAS is admitted from 127.0.0.1 by its OrgUnit"))
    say(f"Tx25 (v2)\n  {hub}{TX25_PATH}\n" + comment(
        "retrieveTI; HTTP Basic with the demo CPAS's client_id and client_secret"))
    for number, example in enumerate(demo_examples(report), start=1):
        body = folder / f"soap-example-{number}.xml"
        body.write_text(example.envelope, encoding="utf-8")
        say("\n" + comment(example.title), style="bold")
        say(shell_lines(example.words(hub, cpas, body)), markup=False)


def _credentials(report: SeedReport) -> tuple[DemoCredentials, DemoCredentials]:
    cpas = report.credentials[0]  # the demo CPAS comes first
    operator = next(c for c in report.credentials if "admin" in c.scopes)
    return cpas, operator


def _stib(report: SeedReport) -> DemoCredentials:
    return next(c for c in report.credentials if c.institution == STIB_SLUG)


def _researcher(report: SeedReport) -> DemoCredentials:
    return next(c for c in report.credentials if c.institution == RESEARCHER_SLUG)


def _interrupt(_number: int, _frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM stops the network as Ctrl-C does


def check_demo(options: DemoOptions, prepared: Prepared, console: Console) -> None:
    """Send every request the guide prints, as it prints them; stop at the first that does
    not answer as it says."""
    hub, report = f"http://127.0.0.1:{options.port}", prepared.report
    cpas, operator = _credentials(report)
    tickets = run_examples(hub, cpas.client_id, cpas.client_secret, report)
    console.print(f"[green]Demo checked[/]: {len(tickets)} example requests answered as expected.")
    soap = run_soap_examples(hub, (cpas.client_id, cpas.client_secret), demo_examples(report))
    console.print(f"[green]SOAP checked[/]: {soap} SOAP requests answered as expected.")
    tokens = {CPAS_TOKEN: access_token(hub, cpas), OPERATOR_TOKEN: access_token(hub, operator),
              RESEARCH_TOKEN: access_token(hub, _researcher(report)),
              STIB_TOKEN: access_token(hub, _stib(report))}
    steps = run_sections(hub, walkthrough(options, prepared), tokens)
    console.print(f"[green]Walk-through checked[/]: {steps} requests answered as expected.")


def access_token(hub: str, credentials: DemoCredentials) -> str:
    response = httpx.post(f"{hub}/oauth/token", data={
        "grant_type": "client_credentials", "client_id": credentials.client_id,
        "client_secret": credentials.client_secret})
    response.raise_for_status()
    return str(response.json()["access_token"])


def run_demo(options: DemoOptions, *, check: bool, console: Console) -> None:
    signal.signal(signal.SIGTERM, _interrupt)
    prepared = prepare(options, console)
    report = prepared.report
    hub = f"http://127.0.0.1:{options.port}"
    with running_network(options) as children:
        eid = f"{eid_address(options.base_port)}/.well-known/openid-configuration"
        wait_until_up([*health_urls(report, hub), eid], children)
        if check:
            check_demo(options, prepared, console)
            return
        print_guide(console, options, prepared)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            console.print("Stopping the network.")
