"""Driving delivery workers by hand in tests, with a clock the test moves."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass, field

from aiohttp.abc import AbstractResolver

from carrefour.directory.cache import ReferenceCache
from carrefour.signal.delivery import DeliveryPolicy, DeliveryWorker
from carrefour.signal.domain import default_mutation_types
from tests.signal.conftest import SignalNet, allowing_receivers

MANUAL = DeliveryPolicy(enabled=False, backoff_base_seconds=1, backoff_cap_seconds=300,
                        dead_after_seconds=86_400, lease_seconds=30, timeout_seconds=2)


@dataclass
class Clock:
    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)

    def catch_up(self) -> None:
        """At least the real time (what the intake and the operators' commands stamp)."""
        self.now = max(self.now, dt.datetime.now(dt.UTC))


def worker(net: SignalNet, clock: Clock, policy: DeliveryPolicy = MANUAL,
           name: str | None = None, resolver: AbstractResolver | None = None
           ) -> DeliveryWorker:
    """A worker on the test network, its receivers allow-listed (see ``allowing_receivers``)."""
    return DeliveryWorker(engine=net.engine, reference_cache=ReferenceCache(net.engine),
                          types=default_mutation_types(),
                          policy=allowing_receivers(policy, net.receivers), clock=clock,
                          name=name, resolver=resolver)


async def _cycles(workers: list[DeliveryWorker], count: int) -> int:
    for w in workers:
        await w.open()
    try:
        total = 0
        for _ in range(count):
            done = await asyncio.gather(*(w.run_once() for w in workers))
            total += sum(done)
        return total
    finally:
        for w in workers:
            await w.stop()


def run_cycles(workers: list[DeliveryWorker], count: int = 1) -> int:
    """Run ``count`` claim/send/record cycles of every worker at once; deliveries claimed."""
    return asyncio.run(_cycles(workers, count))
