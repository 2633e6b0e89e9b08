"""The load generator: wrk (C, epoll, LuaJIT), driven by ``consult.lua``.

wrk sends the requests and measures them; the Lua script gives every request its own body (a
rotating NISS) and, for a constant-rate phase, the departure time of each request. Debian has
wrk but neither wrk2 nor vegeta, so the constant rate is the script's own timetable (see
``consult.lua``); the lateness it reports says whether the schedule held.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

LUA_SCRIPT = Path(__file__).with_name("consult.lua")
RESULT_PREFIX = "BENCH_RESULT "


class LoadError(RuntimeError):
    """The load generator is missing or did not report."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Load:
    """What to send: to ``url``, the JSON bodies of the file ``bodies``, with ``token``."""

    url: str
    bodies: Path
    token: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadResult:
    seconds: float
    completed: int  # answers received
    sent: int  # requests written (answers still in flight at the end are not completed)
    errors: dict[str, int]  # wrk's counts: connect, read, write, timeout, status (>= 400)
    latency_ms: dict[str, float]  # mean, max, p50, p90, p99, p999
    late: int  # constant rate only: requests that left more than 1 ms after their slot
    max_lag_ms: float
    cpu_seconds: float  # wrk's own CPU time (user + system)

    @property
    def rate(self) -> float:
        return self.completed / self.seconds

    @property
    def failures(self) -> int:
        return sum(self.errors.values())


def ensure_wrk() -> str:
    """The path of wrk, installed from Debian's packages when missing and we are root."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise LoadError("The benchmark needs wrk: install it (Debian/Ubuntu: "
                        "sudo apt-get install -y wrk) and run it again.")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, env=env)
    found = shutil.which("wrk")
    if not found:
        raise LoadError("apt-get installed wrk but it is not on the PATH.")
    return found


def run_wrk(wrk: str, load: Load, *, connections: int, threads: int, seconds: int,
            rate: int | None = None) -> LoadResult:
    """Run wrk for ``seconds``: as fast as possible, or at ``rate`` requests per second."""
    threads = min(threads, connections)
    env = {**os.environ, "BENCH_BODIES": str(load.bodies), "BENCH_TOKEN": load.token,
           "BENCH_RATE": str(rate / threads if rate else 0)}
    command = [wrk, "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s",
               "--timeout", "5s", "-s", str(LUA_SCRIPT), load.url]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return _parse(done, cpu_seconds=cpu)


def _parse(done: subprocess.CompletedProcess[str], *, cpu_seconds: float) -> LoadResult:
    line = next((x for x in done.stdout.splitlines() if x.startswith(RESULT_PREFIX)), None)
    if done.returncode != 0 or line is None:
        raise LoadError(f"wrk failed (exit {done.returncode}):\n{done.stdout}\n{done.stderr}")
    raw = json.loads(line.removeprefix(RESULT_PREFIX))
    latency = {key: value / 1000 for key, value in raw["latency_us"].items()}
    return LoadResult(
        seconds=raw["duration_us"] / 1e6, completed=int(raw["completed"]),
        sent=int(raw["sent"]), errors={k: int(v) for k, v in raw["errors"].items()},
        latency_ms=latency, late=int(raw["late"]), max_lag_ms=float(raw["max_lag_ms"]),
        cpu_seconds=cpu_seconds,
    )
