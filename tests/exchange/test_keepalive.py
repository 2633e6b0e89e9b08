"""Healthy sources are not reported unavailable because a keep-alive connection was closed
under the hub's feet: the hub drops idle connections before the source does (configurable per
source), and retries once, on a new connection, a request whose reused connection was closed
before any answer came back."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import uvicorn

from carrefour.directory.domain import Institution, Role
from carrefour.exchange.gateway import SourceGateway, Status
from carrefour.exchange.keepalive import KeepAlive, parse_by_source
from carrefour.exchange.ports import SourceRequest
from tests.exchange.idle_source import IdleSource, serving_idle_source
from tests.exchange.source_double import SourceDouble
from tests.servers import free_port

SOURCE_CBE = "0362475538"
REQUEST = SourceRequest(ticket="t-1", service="legal-data", version=1, niss="85073003328",
                        parameters={}, client="0212345678")


def _source(url: str, token: str | None = None) -> Institution:
    return Institution(id=1, cbe=SOURCE_CBE, name_fr="Source", name_nl="Bron", sector=0,
                       subsector=0, kind="national-register", role=Role.SOURCE, endpoint=url,
                       source_token=token)


async def _spaced(gateway: SourceGateway, source: Institution, *, count: int,
                  spacing: float) -> list[Status]:
    """``count`` consultations, ``spacing`` seconds apart, on one started gateway."""
    await gateway.start()
    statuses = []
    try:
        for _ in range(count):
            statuses.append((await gateway.ask(source, REQUEST, timeout=2.0)).status)
            await asyncio.sleep(spacing)
    finally:
        await gateway.stop()
    return statuses


def test_requests_spaced_past_a_short_source_timeout_never_fail() -> None:
    idle = IdleSource(idle_timeout=0.3)
    keepalive = KeepAlive(by_source={SOURCE_CBE: 0.1})  # configured below the source's
    with serving_idle_source(idle) as url:
        statuses = asyncio.run(_spaced(SourceGateway(keepalive=keepalive), _source(url),
                                       count=5, spacing=0.35))
    assert statuses == [Status.NOT_FOUND] * 5
    assert (idle.connections, idle.closed_unanswered) == (5, 0)  # a new connection each time


def test_a_reused_connection_closed_by_the_source_is_retried_once_on_a_new_one() -> None:
    idle = IdleSource(idle_timeout=0.3)
    keepalive = KeepAlive(default_seconds=30)  # above the source's: the hub reuses too long
    with serving_idle_source(idle) as url:
        statuses = asyncio.run(_spaced(SourceGateway(keepalive=keepalive), _source(url),
                                       count=4, spacing=0.35))
    assert statuses == [Status.NOT_FOUND] * 4
    # the 2nd finds its connection closed, is sent again on a new one (closed after it); the
    # 3rd opens a connection, which the 4th finds closed, and sends again on a new one
    assert (idle.answered, idle.closed_unanswered, idle.connections) == (4, 2, 4)


def test_a_new_connection_closed_unanswered_is_not_retried() -> None:
    idle = IdleSource(idle_timeout=0.3, close_every_connection=True)
    with serving_idle_source(idle) as url:
        statuses = asyncio.run(_spaced(SourceGateway(), _source(url), count=1, spacing=0))
    assert statuses == [Status.UNAVAILABLE]
    assert (idle.connections, idle.closed_unanswered) == (1, 1)


@contextmanager
def _uvicorn_source(double: SourceDouble, *, idle_timeout: float) -> Iterator[str]:
    port = free_port()
    config = uvicorn.Config(double.app(), host="127.0.0.1", port=port, log_level="warning",
                            timeout_keep_alive=idle_timeout)  # type: ignore[arg-type]
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.mark.slow
def test_a_uvicorn_source_with_a_short_idle_timeout_shows_no_false_failure() -> None:
    """Requests spaced around the source's own idle timeout (0.2 s): where its close and the
    hub's next send cross, on the hub's default keep-alive (longer than the source's)."""
    double = SourceDouble(token="token-source")

    async def sweep(source: Institution) -> list[Status]:
        gateway = SourceGateway()
        await gateway.start()
        statuses = []
        try:
            for step in range(40):
                statuses.append((await gateway.ask(source, REQUEST, timeout=2.0)).status)
                await asyncio.sleep(0.195 + step * 0.0005)
        finally:
            await gateway.stop()
        return statuses

    with _uvicorn_source(double, idle_timeout=0.2) as url:
        statuses = asyncio.run(sweep(_source(url, double.token)))
    assert statuses.count(Status.NOT_FOUND) == 40, statuses


def test_the_keep_alive_of_each_source_is_read_from_the_environment() -> None:
    keepalive = KeepAlive.from_env({"CARREFOUR_SOURCE_KEEPALIVE": "2.5",
                                    "CARREFOUR_SOURCE_KEEPALIVE_BY_SOURCE": f"{SOURCE_CBE}=0.5"})
    assert keepalive.for_source(SOURCE_CBE) == 0.5
    assert keepalive.for_source("0212345678") == 2.5
    assert KeepAlive.from_env({}).for_source(SOURCE_CBE) == 3.0  # below the usual 5 s
    with pytest.raises(ValueError, match="CBE=SECONDS"):
        parse_by_source("0362475538")
    with pytest.raises(ValueError, match="negative"):
        parse_by_source("0362475538=-1")
