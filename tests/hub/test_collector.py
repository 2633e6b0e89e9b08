"""A hub worker settles its garbage collector once it has started (``carrefour.collector``):
what the start built is frozen out of the collector's sight and young collections are spaced,
so the full collections that paused every request in flight no longer come every few seconds."""

from __future__ import annotations

import asyncio
import gc
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import pytest
from fastapi import FastAPI

from carrefour import collector
from carrefour.server import SWITCH_INTERVAL_SECONDS, settle_after_start


@pytest.fixture
def restored_collector() -> Iterator[None]:
    threshold, interval = gc.get_threshold(), sys.getswitchinterval()
    yield
    sys.setswitchinterval(interval)
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_the_collector_is_settled_after_the_hub_started(restored_collector: None) -> None:
    seen: dict[str, object] = {}

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        seen["frozen at start"] = gc.get_freeze_count()
        seen["built at start"] = [{"object": n} for n in range(1_000)]
        yield
        seen["stopped"] = True

    app = FastAPI(lifespan=lifespan)
    settle_after_start(app)
    gc.unfreeze()

    async def serve() -> None:
        async with app.router.lifespan_context(app):
            assert seen["frozen at start"] == 0  # the hub's own start ran first
            assert gc.get_freeze_count() >= 1_000  # what it built is frozen
            assert gc.get_threshold() == (collector.YOUNG_THRESHOLD,
                                          collector.MIDDLE_THRESHOLD, collector.OLD_THRESHOLD)
            # the journal's thread gets the interpreter back sooner from the busy loop
            assert sys.getswitchinterval() == pytest.approx(SWITCH_INTERVAL_SECONDS)
            assert SWITCH_INTERVAL_SECONDS < 0.005

    asyncio.run(serve())
    assert seen["stopped"] is True  # and its stop still runs


def test_garbage_made_after_settling_is_still_collected(restored_collector: None) -> None:
    collector.settle()

    class Node:
        other: object = None

    first, second = Node(), Node()
    first.other, second.other = second, first  # a cycle: reference counting cannot free it
    del first, second
    assert gc.collect() >= 2
