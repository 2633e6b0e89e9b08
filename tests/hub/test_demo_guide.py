"""The demo's guide pastes at 80 columns, and stopping the demo (Ctrl-C, SIGTERM) stops every
process of the network."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from carrefour.simulation.demo.guide import examples, shell_lines, token_command
from carrefour.simulation.demo.walkthrough import list_section, right_section, statistics_section
from tests.servers import free_port_block

HUB = "http://127.0.0.1:28000"


def test_every_command_of_the_guide_fits_80_columns_and_parses_in_the_shell() -> None:
    report = SimpleNamespace(examples={"not_integrated": "85073003328",
                                       "integrated_unemployed": "85073003328",
                                       "without_right": "85073003328"})
    manifest = {"id": "0" * 8 + "-0000-4000-8000-" + "0" * 12, "deliberation": "CSI/20/118",
                "period": {"start": "2020-04-01", "end": "2020-04-30"}, "rows": 12,
                "sha256": "a" * 64, "format": "csv", "fields": ["niss", "status"]}
    jar = Path("var/demo-console-cookies.txt")
    walked = [list_section(manifest, "0212345678"),
              statistics_section(HUB, "operator-0212345678-abcdef", "s" * 43, jar),
              right_section(report, dt.date(2026, 12, 2))]  # type: ignore[arg-type]
    commands = [token_command(HUB, "cpas-0212345678-abcdef", "s" * 43),
                *(example.curl(HUB) for example in examples(report)),  # type: ignore[arg-type]
                *(line for section in walked if section for line in section.assignments()),
                *(step.curl(HUB) for section in walked if section for step in section.steps)]
    for command in commands:
        assert max(len(line) for line in command.splitlines()) <= 80, command
        parsed = subprocess.run(["bash", "-n", "-c", command], capture_output=True, text=True)
        assert parsed.returncode == 0, parsed.stderr


def test_a_long_command_is_continued_on_the_next_line() -> None:
    text = shell_lines(["x" * 50, "y" * 40])
    assert text == "x" * 50 + " \\\n  " + "y" * 40


def _kill_all(demo: subprocess.Popen[str]) -> None:
    """After a failure: the demo and every process it started (each in a group of its own),
    so that none keeps the output pipe open behind the test."""
    leftovers = _descendants(demo.pid) if demo.poll() is None else set()
    if demo.poll() is None:
        demo.kill()
        demo.wait()
    for pid in leftovers:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    assert demo.stdout is not None
    demo.stdout.close()


def _descendants(root: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = set(), [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc").exists(), reason="reads the process tree from /proc")
@pytest.mark.skipif(
    bool(os.environ.get("CARREFOUR_TEST_DATABASE_URL")),
    reason="the demo runs on its own embedded SQLite database; once per CI run is enough",
)
@pytest.mark.parametrize("stop_with", [signal.SIGTERM, signal.SIGINT])
def test_stopping_the_demo_stops_every_process_of_the_network(
    tmp_path: Path, stop_with: signal.Signals
) -> None:
    base_port = free_port_block(24)
    command = [sys.executable, "-m", "carrefour.cli", "demo", "--persons", "100",
               "--port", str(base_port + 23), "--base-port", str(base_port)]
    env = {**os.environ, "CARREFOUR_DATA_DIR": "var"}  # as `make demo` has it: short paths
    demo = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    ready = threading.Event()
    output: list[str] = []

    def read() -> None:
        assert demo.stdout is not None
        for line in demo.stdout:
            output.append(line)
            if "Press Ctrl-C" in line:
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        assert ready.wait(timeout=150), "".join(output)
        time.sleep(1)  # the workers of the sources have started by now
        network = _descendants(demo.pid)
        assert len(network) >= 5  # sources (and their workers), hub, CPAS app, trickle
        assert max(len(line.rstrip("\n")) for line in output) <= 80
        assert (tmp_path / "var" / "demo-signal.log").exists()
        demo.send_signal(stop_with)
        # a few seconds alone; the bound leaves room for a loaded machine (each source drains
        # what it is publishing for up to 5 s before it stops)
        assert demo.wait(timeout=60) is not None
        deadline = time.monotonic() + 15
        while any(_alive(pid) for pid in network) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [pid for pid in network if _alive(pid)]
    finally:
        _kill_all(demo)
