"""One read statement on PostgreSQL from the event loop: psycopg's asynchronous connections.

A small pool per event loop (a connection is used by one coroutine at a time, and at most
:data:`MAX_CONNECTIONS` are open per loop: the others wait for one), each connection in
autocommit with the statement prepared on its first use. A connection found broken (the
server restarted, the network dropped it) is thrown away and the read tried once more on a new
one, since a read can be repeated; a second failure is the database's outage, raised as
SQLAlchemy's :class:`~sqlalchemy.exc.OperationalError` like every other read of the hub.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError

MAX_CONNECTIONS = 8


@dataclass(slots=True)
class _LoopPool:
    slots: asyncio.Semaphore
    idle: list[psycopg.AsyncConnection[Any]] = field(default_factory=list)


class AsyncPostgresRead:
    """``rows(parameters)``: the rows of one fixed statement, read from the running loop."""

    def __init__(self, url: URL, statement: str) -> None:
        self._conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._statement = statement
        self._pools: dict[asyncio.AbstractEventLoop, _LoopPool] = {}
        self._opened: list[psycopg.AsyncConnection[Any]] = []

    async def rows(self, parameters: Sequence[Any] | Mapping[str, Any]
                   ) -> list[tuple[Any, ...]]:
        pool = self._pool()
        async with pool.slots:
            try:
                return await self._read(pool, parameters)
            except (psycopg.OperationalError, psycopg.InterfaceError):
                pass  # a connection the server dropped: once more, on a new one
            try:
                return await self._read(pool, parameters)
            except (psycopg.OperationalError, psycopg.InterfaceError) as error:
                raise OperationalError(self._statement, parameters, error) from error

    async def _read(self, pool: _LoopPool, parameters: Sequence[Any] | Mapping[str, Any]
                   ) -> list[tuple[Any, ...]]:
        connection = await self._connection(pool)
        try:
            cursor = await connection.execute(self._statement, parameters, prepare=True)
            rows = await cursor.fetchall()
        except BaseException:  # broken, cancelled mid-read or worse: its state is unknown
            self._discard(connection)
            raise
        pool.idle.append(connection)
        return rows

    def _pool(self) -> _LoopPool:
        loop = asyncio.get_running_loop()
        pool = self._pools.get(loop)
        if pool is None:
            for stale in [known for known in self._pools if known.is_closed()]:
                for connection in self._pools.pop(stale).idle:
                    self._discard(connection)
            pool = self._pools[loop] = _LoopPool(slots=asyncio.Semaphore(MAX_CONNECTIONS))
        return pool

    async def _connection(self, pool: _LoopPool) -> psycopg.AsyncConnection[Any]:
        while pool.idle:
            connection = pool.idle.pop()
            if not connection.closed:
                return connection
        try:
            connection = await psycopg.AsyncConnection.connect(
                self._conninfo, autocommit=True, prepare_threshold=0)
        except psycopg.Error as error:
            raise OperationalError(self._statement, None, error) from error
        self._opened.append(connection)
        return connection

    def _discard(self, connection: psycopg.AsyncConnection[Any]) -> None:
        connection.pgconn.finish()  # closes the socket now, from any thread or loop
        if connection in self._opened:
            self._opened.remove(connection)

    def close(self) -> None:
        """Close every connection (at the hub's shutdown; no loop needs to be running)."""
        for connection in list(self._opened):
            self._discard(connection)
        self._pools.clear()
