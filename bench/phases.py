"""The phases of a run, each one wrk run measured with the CPU its processes used."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from bench.loadgen import Load, LoadResult, run_wrk
from bench.machine import machine_busy, named_processes_cpu, process_tree_cpu
from bench.servers import Server

WARM_UP_SECONDS = 3


@dataclass(frozen=True, slots=True, kw_only=True)
class Options:
    persons: int
    seed: int
    workers: int
    connections: int  # of wrk, as fast as possible
    rate_connections: int  # of wrk at the constant rate: enough never to wait for a free one
    threads: int
    duration: int  # seconds of each maximum-throughput phase
    rate: int  # requests per second of the constant-rate phase
    rate_duration: int
    database_url: str | None = None  # the hub's PostgreSQL (None: SQLite in the run's folder)
    service: str = "legal-data"  # asked through the hub (the direct phases ask legal-data)


@dataclass(frozen=True, slots=True, kw_only=True)
class CpuShare:
    """CPU used during a phase, in % of one core (``machine``: % of all cores busy)."""

    hub: float
    source: float
    proxy: float  # nginx, in front of the source
    wrk: float
    database: float  # the PostgreSQL server's processes (0 on SQLite: it is in the hub)
    machine: float
    cores: int

    @property
    def other(self) -> float:
        """What the rest of the machine used (other processes, the kernel's own threads)."""
        used = self.hub + self.source + self.proxy + self.wrk + self.database
        return max(0.0, self.machine * self.cores - used)


@dataclass(frozen=True, slots=True, kw_only=True)
class Phase:
    name: str
    rate: int | None  # None: as fast as possible
    connections: int
    result: LoadResult
    cpu: CpuShare


@dataclass(frozen=True, slots=True, kw_only=True)
class Loads:
    direct: Load  # the source protocol, straight to the National Register
    proxy: Load  # the same, through nginx
    hub: Load  # the hub's API


class Bench:
    def __init__(self, wrk: str, *, hub: Server, source: Server, proxy: Server,
                 options: Options) -> None:
        self._wrk = wrk
        self._hub = hub
        self._source = source
        self._proxy = proxy
        self._options = options

    def warm_up(self, loads: Loads) -> int:
        """A few seconds of each load (pools, caches); the consultations sent to the hub."""
        self._run("warm-up direct", loads.direct, seconds=WARM_UP_SECONDS)
        self._run("warm-up proxy", loads.proxy, seconds=WARM_UP_SECONDS)
        return self._run("warm-up hub", loads.hub, seconds=WARM_UP_SECONDS).result.sent

    def phases(self, loads: Loads) -> list[Phase]:
        options = self._options
        return [
            self._run("direct, max", loads.direct, seconds=options.duration),
            self._run("proxy, max", loads.proxy, seconds=options.duration),
            self._run("hub, max", loads.hub, seconds=options.duration),
            self._run(f"hub, {options.rate:,}/s", loads.hub, seconds=options.rate_duration,
                      rate=options.rate, connections=options.rate_connections),
        ]

    def _run(self, name: str, load: Load, *, seconds: int, rate: int | None = None,
             connections: int | None = None) -> Phase:
        connections = connections or self._options.connections
        before = self._snapshot()
        result = run_wrk(self._wrk, load, connections=connections,
                         threads=self._options.threads, seconds=seconds, rate=rate)
        cpu = before.share_until(self._snapshot(), wrk_seconds=result.cpu_seconds)
        return Phase(name=name, rate=rate, connections=connections, result=result, cpu=cpu)

    def _snapshot(self) -> _Snapshot:
        busy, total = machine_busy()
        return _Snapshot(wall=time.monotonic(), hub=process_tree_cpu(self._hub.pid),
                         source=process_tree_cpu(self._source.pid),
                         proxy=process_tree_cpu(self._proxy.pid),
                         database=named_processes_cpu("postgres"), busy=busy, total=total)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Snapshot:
    """Clock and CPU seconds used so far: the hub's processes, the source's, the proxy's, the
    machine's."""

    wall: float
    hub: float
    source: float
    proxy: float
    database: float
    busy: float
    total: float

    def share_until(self, later: _Snapshot, *, wrk_seconds: float) -> CpuShare:
        elapsed = later.wall - self.wall
        return CpuShare(
            hub=100 * (later.hub - self.hub) / elapsed,
            source=100 * (later.source - self.source) / elapsed,
            proxy=100 * (later.proxy - self.proxy) / elapsed,
            wrk=100 * wrk_seconds / elapsed,
            database=100 * (later.database - self.database) / elapsed,
            machine=100 * (later.busy - self.busy) / (later.total - self.total),
            cores=os.cpu_count() or 1,
        )
