"""The machine a run was made on, and where its CPU went (read from /proc, Linux only)."""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True, slots=True, kw_only=True)
class Machine:
    cores: int
    cpu_model: str
    memory_gib: float
    python: str
    sqlite: str
    commit: str

    def summary(self) -> str:
        return (f"{self.cores} × {self.cpu_model}, {self.memory_gib:.1f} GiB, "
                f"Python {self.python}, SQLite {self.sqlite}")


QUIET_LOAD = 1.5  # load average (1 min) at the start above which the machine was not quiet


def load_note() -> str:
    """The load average now, and a warning when the machine is not quiet."""
    load = os.getloadavg()[0]
    note = f"load average {load:.1f}"
    if load > QUIET_LOAD:
        note += (f" — WARNING: the machine is not quiet (above {QUIET_LOAD}): other work "
                 "shares the cores, figures are low and tails long")
    return note


def describe_machine(repository: Path) -> Machine:
    return Machine(
        cores=os.cpu_count() or 0, cpu_model=_cpuinfo("model name"),
        memory_gib=_meminfo_kib("MemTotal") / 2**20, python=platform.python_version(),
        sqlite=sqlite3.sqlite_version, commit=_commit(repository),
    )


def _cpuinfo(key: str) -> str:
    for line in (PROC / "cpuinfo").read_text().splitlines():
        name, _, value = line.partition(":")
        if name.strip() == key:
            return value.strip()
    return "unknown"


def _meminfo_kib(key: str) -> int:
    for line in (PROC / "meminfo").read_text().splitlines():
        name, _, value = line.partition(":")
        if name == key:
            return int(value.split()[0])
    return 0


def _commit(repository: Path) -> str:
    """The commit benchmarked, with ``+`` when the work tree has changes."""
    def git(*args: str) -> str:
        done = subprocess.run(["git", "-C", str(repository), *args], capture_output=True,
                              text=True, check=False)
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return commit + ("+" if git("status", "--porcelain", "--untracked-files=no") else "")


def process_tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by ``pid`` and its living descendants."""
    return sum(_cpu_of(member) for member in _family(pid))


def named_processes_cpu(name: str) -> float:
    """CPU seconds used so far by the living processes whose command is ``name`` (a database
    server's processes: ``postgres``)."""
    total = 0.0
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "comm").read_text().strip()
            except OSError:
                continue
            if command == name:
                total += _cpu_of(int(entry.name))
    return total


def process_tree_rss(pid: int) -> float:
    """Resident memory (MiB) of ``pid`` and its living descendants, now."""
    return sum(_rss_kib(member) for member in _family(pid)) / 1024


def _family(pid: int) -> set[int]:
    parents = _parents()
    family, todo = set(), [pid]
    while todo:
        current = todo.pop()
        family.add(current)
        todo += [child for child, parent in parents.items() if parent == current]
    return family


def _rss_kib(pid: int) -> int:
    try:
        lines = (PROC / str(pid) / "status").read_text().splitlines()
    except OSError:
        return 0
    found = next((line for line in lines if line.startswith("VmRSS:")), "VmRSS: 0 kB")
    return int(found.split()[1])


def _parents() -> dict[int, int]:
    found = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields:
                found[int(entry.name)] = int(fields[1])
    return found


def _cpu_of(pid: int) -> float:
    fields = _stat_fields(pid)
    return (int(fields[11]) + int(fields[12])) / TICKS if fields else 0.0


def _stat_fields(pid: int) -> list[str]:
    """Fields of /proc/PID/stat after the command name: state, ppid, ... (empty if gone)."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return []
    return text.rsplit(")", 1)[1].split()


def machine_busy() -> tuple[float, float]:
    """Busy and total CPU seconds of the whole machine so far (all cores, from /proc/stat)."""
    values = [int(x) for x in (PROC / "stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    total = sum(values[:8])  # guest time is already counted in user
    return (total - idle) / TICKS, total / TICKS
