"""The walk-through the demo prints after its examples — the seed's list for the demo CPAS and
its download, the usage statistics (CSV and the console), an A036 granting a derived right —
works as printed: each line of the guide, run by bash against the running network, answers
as its step says."""

from __future__ import annotations

import io
import os
import subprocess
import time
from pathlib import Path

import pytest
from rich.console import Console

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
from carrefour.simulation.demo.walkthrough import Section, Step
from tests.servers import free_port_block

# Each curl also writes its HTTP status to stderr: the line itself is run unchanged.
STATUS = "curl() { command curl -w '%{stderr}%{http_code}' \"$@\"; }\n"
TOKENS = ("TOKEN", "OPERATOR_TOKEN")


def _bash(script: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-c", STATUS + script], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=60)


def _tokens(guide: str) -> dict[str, str]:
    """Each token as the guide's last command setting it sets it."""
    found = {}
    for name in TOKENS:
        command = [c for c in _commands(guide) if c.startswith(f"{name}=$(curl")][-1]
        done = _bash(f'{command}\nprintf %s "${name}"', {})
        assert done.returncode == 0 and done.stdout, done.stderr
        found[name] = done.stdout
    return found


def _commands(guide: str) -> list[str]:
    """The guide's commands: a line and the lines it continues onto (`` \\``)."""
    commands, current = [], ""
    for line in guide.splitlines():
        if current:
            current += "\n" + line
        elif line.startswith(("curl ", "TOKEN=", "OPERATOR_TOKEN=")):
            current = line
        if current and not line.endswith("\\") and not _open_quote(current):
            commands.append(current)
            current = ""
    return commands


def _open_quote(command: str) -> bool:
    return command.count("'") % 2 == 1


def _run_step(step: Step, hub: str, section: Section, tokens: dict[str, str]
              ) -> tuple[str, str]:
    """The step's printed line in bash (with its section's assignments): status, output;
    retried while the step's answer may still be settling."""
    script = "\n".join([*section.assignments(), step.curl(hub)])
    deadline = time.monotonic() + step.settle
    while True:
        done = _bash(script, tokens)
        status, output = done.stderr.strip()[-3:], done.stdout
        shown = step.shows in output and not (step.lacks and step.lacks in output)
        if (status == str(step.expect) and shown) or time.monotonic() >= deadline:
            return status, output
        time.sleep(0.5)


@pytest.mark.slow
@pytest.mark.skipif(
    bool(os.environ.get("CARREFOUR_TEST_DATABASE_URL")),
    reason="the demo runs on its own embedded SQLite database; once per CI run is enough",
)
def test_every_request_of_the_walkthrough_works_as_the_guide_prints_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CARREFOUR_DATA_DIR", str(tmp_path))  # the demo's journal key
    base_port = free_port_block(26)
    options = DemoOptions(data_dir=tmp_path, persons=1000, seed=1, port=base_port + 23,
                          base_port=base_port)
    hub = f"http://127.0.0.1:{options.port}"
    prepared: Prepared = prepare(options, Console(file=io.StringIO()))
    assert prepared.demo_list["rows"] >= 0 and prepared.demo_list["format"] == "csv"
    with running_network(options) as children:
        wait_until_up(health_urls(prepared.report, hub), children, timeout=150)
        printed = io.StringIO()
        print_guide(Console(file=printed, width=80), options, prepared)
        guide = printed.getvalue()
        tokens = _tokens(guide)
        sections = walkthrough(options, prepared)
        assert [s.title.split(":")[0] for s in sections] == [
            "Lists", "Usage statistics (the data warehouse, from the journal)",
            "A derived right"]
        for section in sections:
            for line in section.assignments():
                assert line in guide.splitlines()
            for step in section.steps:
                assert step.curl(hub) in guide, step.title
                status, output = _run_step(step, hub, section, tokens)
                assert status == str(step.expect), f"{step.title}: {status} {output[:300]}"
                assert step.shows in output, f"{step.title}: {output[:300]}"
                assert not (step.lacks and step.lacks in output), step.title
