"""The walk-through the demo prints after its examples — the seed's list for the demo CPAS and
its download, the usage statistics (CSV and the console), an A036 granting a derived right, the
STIB's preferential tariff of its own subscriber, a research project and its extracts —
works as printed: every curl line of the guide, pasted in order into bash against the
running network, answers as its step says (the examples before it too)."""

from __future__ import annotations

import io
import os
import re
import shlex
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from rich.console import Console

from carrefour.simulation.demo.guide import examples
from carrefour.simulation.demo.run import (
    DemoOptions,
    Prepared,
    health_urls,
    prepare,
    print_guide,
    running_network,
    wait_until_up,
    walkthrough,
)
from carrefour.simulation.demo.walkthrough import Section
from tests.servers import free_port_block

# Each curl also writes its HTTP status to stderr: the lines themselves run unchanged.
STATUS = "curl() { command curl -w '%{stderr}%{http_code} ' \"$@\"; }\n"
TOKEN_SET = re.compile(r"^([A-Z_]+)=\$\(curl ")


@dataclass(frozen=True)
class Expected:
    status: int
    shows: str = ""
    lacks: str = ""
    settle: float = 0.0


class Shell:
    """The guide's commands run one after the other, each in bash, with the variables the
    guide set before it (tokens, files)."""

    def __init__(self, folder: Path) -> None:
        self.variables: dict[str, str] = {}
        self.folder = folder

    def run(self, command: str) -> tuple[list[str], str]:
        done = subprocess.run(["bash", "-c", STATUS + command], capture_output=True,
                              text=True, env={**os.environ, **self.variables}, timeout=60,
                              cwd=self.folder)
        assert done.returncode == 0, f"{command}\n{done.stderr}"
        return re.findall(r"\b(\d{3}) ", done.stderr), done.stdout

    def set_from(self, command: str, name: str) -> None:
        statuses, value = self.run(f'{command}\nprintf %s "${name}"')
        assert statuses == ["200"] and value, command
        self.variables[name] = value

    def check(self, command: str, expected: Expected) -> str:
        deadline = time.monotonic() + expected.settle
        while True:
            statuses, output = self.run(command)
            ok = (statuses[-1:] == [str(expected.status)] and expected.shows in output
                  and not (expected.lacks and expected.lacks in output))
            if ok or time.monotonic() >= deadline:
                assert ok, f"{command}\n-> {statuses} {output[:400]}"
                return output
            time.sleep(0.5)


def commands_of(guide: str) -> list[str]:
    """The guide's shell commands in order: a line and the lines it continues onto."""
    commands, current = [], ""
    for line in guide.splitlines():
        if current:
            current += "\n" + line
        elif line.startswith(("curl ", "TOKEN=", "OPERATOR_TOKEN=", "RESEARCH_TOKEN=",
                              "STIB_TOKEN=", "FILE=", "LIST=", "JAR=", "PROJECT=")):
            current = line
        if current and not line.endswith("\\") and current.count("'") % 2 == 0:
            commands.append(current)
            current = ""
    return commands


def expectations(hub: str, options: DemoOptions, prepared: Prepared
                 ) -> tuple[dict[str, list[Expected]], list[Section]]:
    """What each request the guide prints should answer, by its printed text, in order (the
    same request may be refused first and allowed later)."""
    report = prepared.report
    found: dict[str, list[Expected]] = {}
    for example in examples(report):
        found.setdefault(example.curl(hub), []).append(Expected(example.expect))
    sections = walkthrough(options, prepared)
    for step in (step for section in sections for step in section.steps):
        found.setdefault(step.curl(hub), []).append(
            Expected(step.expect, step.shows, step.lacks, step.settle))
    return found, sections


@pytest.mark.slow
@pytest.mark.skipif(
    bool(os.environ.get("CARREFOUR_TEST_DATABASE_URL")),
    reason="the demo runs on its own embedded SQLite database; once per CI run is enough",
)
def test_every_request_the_guide_prints_works_when_pasted_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CARREFOUR_DATA_DIR", str(tmp_path))  # the demo's journal key
    base_port = free_port_block(26)
    options = DemoOptions(data_dir=tmp_path, persons=1000, seed=1, port=base_port + 23,
                          base_port=base_port)
    hub = f"http://127.0.0.1:{options.port}"
    prepared = prepare(options, Console(file=io.StringIO()))
    expected, sections = expectations(hub, options, prepared)
    with running_network(options) as children:
        wait_until_up(health_urls(prepared.report, hub), children, timeout=150)
        printed = io.StringIO()
        print_guide(Console(file=printed, width=80), options, prepared)
        commands = commands_of(printed.getvalue())
        assert set(expected) <= set(commands)  # the guide prints every request expected
        shell, checked = Shell(tmp_path), 0
        for command in commands:
            token = TOKEN_SET.match(command)
            if token:
                shell.set_from(command, token.group(1))
            elif "=" in command.split()[0] and not command.startswith("curl"):
                name, _, value = command.partition("=")
                shell.variables[name] = shlex.split(value)[0]
            elif expected.get(command):
                shell.check(command, expected[command].pop(0))
                checked += 1
            else:  # the demo CPAS application, the SOAP requests
                statuses, _ = shell.run(command)
                assert statuses and statuses[-1] == "200", command
    assert [s.title.split(":")[0] for s in sections] == [
        "Lists", "Usage statistics (the data warehouse, from the journal)", "A derived right",
        "The STIB, a client of CPAS data", "Research"]
    assert checked == 11 + 20 + 5 and not any(expected.values())
