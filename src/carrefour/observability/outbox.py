"""Figures of the outbox, read from the database at each scrape: deliveries waiting by state,
the age of the oldest pending push, the dead letters."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func, select

from carrefour.signal.tables import deliveries

WAITING = ("pending", "feed", "dead")  # pending: push to make; feed: pull not yet read


class OutboxCollector(Collector):
    def __init__(
        self, engine: Engine, *, now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)
    ) -> None:
        self._engine = engine
        self._now = now

    def describe(self) -> Iterator[Metric]:
        return iter(())  # no description at registration: nothing is read before a scrape

    def collect(self) -> Iterator[Metric]:
        counts, oldest = self._read()
        backlog = GaugeMetricFamily(
            "carrefour_outbox_backlog", "Deliveries waiting, by state", labels=["state"]
        )
        for state in WAITING[:2]:
            backlog.add_metric([state], counts.get(state, 0))
        yield backlog
        yield GaugeMetricFamily(
            "carrefour_outbox_oldest_pending_age_seconds",
            "Age of the oldest delivery waiting to be pushed (0: none)",
            value=self._age(oldest),
        )
        yield GaugeMetricFamily(
            "carrefour_dead_letters", "Deliveries given up (replay them: carrefour signal replay)",
            value=counts.get("dead", 0),
        )

    def _read(self) -> tuple[dict[str, int], dt.datetime | None]:
        query = (
            select(deliveries.c.state, func.count(), func.min(deliveries.c.queued_at))
            .where(deliveries.c.state.in_(WAITING))
            .group_by(deliveries.c.state)
        )
        with self._engine.connect() as connection:
            rows = connection.execute(query).all()
        counts = {state: int(count) for state, count, _ in rows}
        oldest = next((first for state, _, first in rows if state == "pending"), None)
        return counts, oldest

    def _age(self, oldest: dt.datetime | None) -> float:
        if oldest is None:
            return 0.0
        if oldest.tzinfo is None:  # SQLite gives naive UTC datetimes back
            oldest = oldest.replace(tzinfo=dt.UTC)
        return max(0.0, (self._now() - oldest).total_seconds())
