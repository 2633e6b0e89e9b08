"""The hub's Prometheus metrics (prometheus-client), observed where things happen.

Each hub has a registry of its own (several hubs may live in one test process). Recording is a
few counter and histogram updates per exchange (a lock each, no I/O). The outbox figures are
read from the database when ``/metrics`` is scraped (:mod:`carrefour.observability.outbox`).

Several worker processes (``carrefour serve --workers N``) share their figures through
prometheus-client's multiprocess mode: ``carrefour serve`` points ``PROMETHEUS_MULTIPROC_DIR``
at an emptied folder before the workers start, and a scrape of any worker answers the sum of
all of them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
UNKNOWN = "-"
_REACHED = frozenset({"ok", "not-found"})  # source statuses meaning the source answered


class HubMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._scraped: list[Collector] = []
        self._exchange_children: dict[tuple[str, ...], tuple[Counter, Histogram]] = {}
        self._source_children: dict[tuple[str, ...], tuple[Counter, Histogram, Gauge]] = {}
        self._entry_children: dict[tuple[str, str, str], Counter] = {}
        counter, histogram = self._factories()
        self.exchanges = counter(
            "carrefour_exchanges", "Consultations answered or refused",
            ["service", "outcome", "client_kind", "channel"],
        )
        self.exchange_seconds = histogram(
            "carrefour_exchange_duration_seconds", "Time the hub took to answer a consultation",
            ["service"], LATENCY_BUCKETS,
        )
        self.source_requests = counter(
            "carrefour_source_requests", "Requests to authentic sources, by outcome",
            ["source", "kind", "status"],
        )
        self.source_seconds = histogram(
            "carrefour_source_duration_seconds", "Time an authentic source took to answer",
            ["source", "kind"], LATENCY_BUCKETS,
        )
        self.source_up = Gauge(
            "carrefour_source_up", "1 when the source's last answer came, 0 when it failed",
            ["source", "kind"], registry=self.registry, multiprocess_mode="mostrecent",
        )
        self.journal_batch = histogram(
            "carrefour_journal_batch_size", "Entries per journal transaction (group commit)",
            [], BATCH_BUCKETS,
        )
        self.journal_commit_seconds = histogram(
            "carrefour_journal_commit_duration_seconds", "Time to write one journal batch",
            [], LATENCY_BUCKETS,
        )
        self.journal_entries = counter(
            "carrefour_journal_entries", "Journal entries committed, by channel, action, outcome",
            ["channel", "action", "outcome"],
        )
        self.auth_failures = counter(
            "carrefour_authentication_failures", "Credentials or tokens refused",
            ["channel", "code"],
        )
        self.auth_throttled = counter(
            "carrefour_authentication_throttled",
            "Authentication attempts refused unchecked (too many failures, hash pool full)",
            ["channel", "code"],
        )

    def _factories(self) -> tuple[Callable[..., Counter], Callable[..., Histogram]]:
        def counter(name: str, text: str, labels: list[str]) -> Counter:
            return Counter(name, text, labels, registry=self.registry)

        def histogram(
            name: str, text: str, labels: list[str], buckets: Iterable[float]
        ) -> Histogram:
            return Histogram(name, text, labels, registry=self.registry, buckets=tuple(buckets))

        return counter, histogram

    # --- recording (the hot path) -------------------------------------------------------------
    # The labelled children are kept in plain dictionaries: ``labels()`` costs a lock and a
    # tuple per call, a dictionary look-up does not.
    def exchange(
        self, *, service: str | None, outcome: str, client_kind: str | None, channel: str,
        seconds: float,
    ) -> None:
        key = (service or UNKNOWN, outcome, client_kind or UNKNOWN, channel)
        children = self._exchange_children.get(key)
        if children is None:
            children = self._exchange_children[key] = (
                self.exchanges.labels(*key), self.exchange_seconds.labels(key[0]))
        children[0].inc()
        children[1].observe(seconds)

    def source(self, *, source: str, kind: str, status: str, seconds: float) -> None:
        key = (source, kind, status)
        children = self._source_children.get(key)
        if children is None:
            children = self._source_children[key] = (
                self.source_requests.labels(*key), self.source_seconds.labels(source, kind),
                self.source_up.labels(source, kind))
        children[0].inc()
        children[1].observe(seconds)
        children[2].set(1 if status in _REACHED else 0)

    def journal_committed(
        self, *, size: int, seconds: float, entries: Iterable[tuple[str, str, str]]
    ) -> None:
        self.journal_batch.observe(size)
        self.journal_commit_seconds.observe(seconds)
        counted = self._entry_children
        for key in entries:
            child = counted.get(key)
            if child is None:
                child = counted[key] = self.journal_entries.labels(*key)
            child.inc()

    def authentication_refused(self, *, channel: str, code: str, throttled: bool) -> None:
        (self.auth_throttled if throttled else self.auth_failures).labels(channel, code).inc()

    # --- scraping -----------------------------------------------------------------------------
    def scrape_also(self, collector: Collector) -> None:
        """A collector read at each scrape (figures that live in the database)."""
        self._scraped.append(collector)
        self.registry.register(collector)

    def render(self) -> bytes:
        """The text exposition format; every process's figures in multiprocess mode."""
        folder = os.environ.get(MULTIPROCESS_DIR)
        if not folder:
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=folder)  # type: ignore[no-untyped-call]
        for collector in self._scraped:
            registry.register(collector)
        return generate_latest(registry)
