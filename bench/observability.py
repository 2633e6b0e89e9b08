"""The cost of observability on the hot path: what one consultation pays for its metrics, its
(disabled) tracing and its log line, measured in one process as CPU time (not wall time: the
figure holds on a busy host), best of several repeats.

    .venv/bin/python -m bench.observability [--exchanges 20000] [--repeats 7]

Compared, as a ratio, with the CPU time one consultation takes in the hub at its maximum rate
on one worker (``--per-consultation-us``; default 412 µs: 2,429 consultations/s, the last
quiet run of ``bench.consultations`` in docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Callable
from pathlib import Path

from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from bench.machine import describe_machine
from carrefour.config import ObservabilitySettings
from carrefour.observability.logs import log_exchanges
from carrefour.observability.metrics import HubMetrics
from carrefour.observability.tracing import Tracing, build_tracing, current_trace_id

STEPS = ("validate", "finality", "authorization", "routing", "sources", "source onem",
         "merge", "journal")


def per_call_us(work: Callable[[], None], *, calls: int, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.process_time()  # CPU time: what the work costs, however busy the host
        for _ in range(calls):
            work()
        best = min(best, time.process_time() - started)
    return best / calls * 1e6


def metrics_of_one(metrics: HubMetrics) -> Callable[[], None]:
    def work() -> None:
        metrics.exchange(service="legal-data", outcome="ok", client_kind="cpas", channel="rest",
                         seconds=0.004)
        metrics.source(source="0200000101", kind="national-register", status="ok",
                       seconds=0.002)
        metrics.journal_committed(size=1, seconds=0.001,  # a batch of one: the worst case
                                  entries=[("rest", "consult", "ok")])
    return work


def spans_of_one(tracing: Tracing) -> Callable[[], None]:
    def work() -> None:
        for name in STEPS:
            with tracing.span(name):
                pass
        current_trace_id()
        log_exchanges([])
    return work


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--exchanges", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--per-consultation-us", type=float, default=412.0)
    options = parser.parse_args()
    logging.getLogger().setLevel(logging.WARNING)
    calls, repeats = options.exchanges, options.repeats
    figures = {
        "metrics": per_call_us(metrics_of_one(HubMetrics()), calls=calls, repeats=repeats),
        "tracing off": per_call_us(spans_of_one(Tracing()), calls=calls, repeats=repeats),
        "tracing on (in memory)": per_call_us(
            spans_of_one(build_tracing(ObservabilitySettings(), exporter=InMemorySpanExporter())),
            calls=max(1, calls // 10), repeats=repeats),
    }
    machine = describe_machine(Path(__file__).resolve().parents[1])
    print(f"{time.strftime('%Y-%m-%d %H:%M')} `{machine.commit}` {machine.summary()}")
    for name, micros in figures.items():
        ratio = micros / options.per_consultation_us
        print(f"{name:<24} {micros:7.2f} µs per consultation  ({ratio:.1%} of "
              f"{options.per_consultation_us:.0f} µs)")


if __name__ == "__main__":
    main()
