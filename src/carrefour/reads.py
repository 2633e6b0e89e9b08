"""One fixed read statement on a consultation's hot path, without SQLAlchemy's execution.

Building and executing a Core statement costs 40 to 150 µs on this hardware, running the same
indexed look-up through the driver about 5 µs. A :class:`FastRead` compiles its query once
for the engine's dialect and then runs it

- on SQLite on the caller's thread, through one DBAPI connection of the engine's pool in
  autocommit (in WAL mode each SELECT sees every committed write and never waits on a writer);
- on PostgreSQL on the event loop, through psycopg's asynchronous connections
  (:class:`~carrefour.directory.postgres.AsyncPostgresRead`), the statement prepared.

Each statement reads on its own: several of them see the database as it is at each one, not as
one snapshot. The rows come back as mappings of the selected columns, with the values typed as
the Core query would give them (dates, booleans).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, Select

from carrefour.db import is_sqlite
from carrefour.directory.postgres import AsyncPostgresRead

Processor = Callable[[Any], Any] | None


class FastRead:
    """``await rows(**parameters)``: the rows of one query with those bound parameters."""

    def __init__(self, engine: Engine, query: Select[Any]) -> None:
        dialect = engine.dialect
        compiled = query.compile(dialect=dialect)
        self._names = tuple(str(column.key) for column in query.selected_columns)
        self._defaults = dict(compiled.params)  # a LIMIT's value, for one
        self._engine = engine
        self._pooled: Any = None  # the pool's connection, given back on close
        self._connection: Any = None  # the DBAPI connection inside it
        self._async: AsyncPostgresRead | None = None
        if is_sqlite(str(engine.url)):
            self._sql = str(compiled)
            self._order = tuple(compiled.positiontup or ())
            self._binds: dict[str, Processor] = {
                name: compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
                for name in self._order}
            self._results: tuple[Processor, ...] = tuple(
                column.type.dialect_impl(dialect).result_processor(dialect, None)
                for column in query.selected_columns)
        else:
            self._async = AsyncPostgresRead(engine.url, str(compiled))

    async def rows(self, **parameters: Any) -> list[dict[str, Any]]:
        values = {**self._defaults, **parameters}
        if self._async is not None:
            found = await self._async.rows(values)
            return [dict(zip(self._names, row, strict=True)) for row in found]
        return self._read_inline(values)

    def _read_inline(self, values: dict[str, Any]) -> list[dict[str, Any]]:
        if self._connection is None:
            self._pooled = self._engine.raw_connection()
            self._connection = self._pooled.driver_connection
        bound = [self._bound(name, values[name]) for name in self._order]
        found = self._connection.execute(self._sql, bound).fetchall()
        return [{name: (p(v) if p else v)
                 for name, p, v in zip(self._names, self._results, row, strict=True)}
                for row in found]

    def _bound(self, name: str, value: Any) -> Any:
        processor = self._binds[name]
        return processor(value) if processor else value

    def close(self) -> None:
        """Give the connection back to the engine's pool, close the asynchronous ones."""
        if self._async is not None:
            self._async.close()
        if self._pooled is not None:
            self._pooled.close()
            self._pooled = self._connection = None
