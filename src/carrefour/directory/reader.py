"""The hot read of every consultation: a person's integrations.

On SQLite the read runs on the caller's thread through one DBAPI connection and a statement
compiled once from the Core query (SQLAlchemy's per-execution overhead was a third of the
hub's CPU). In WAL mode with autocommit, each SELECT sees every committed write at once and
never waits on a writer. Other backends go through the engine in a worker thread.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import Engine, select

from carrefour.db import is_sqlite
from carrefour.directory import services as directory
from carrefour.directory.domain import Integration
from carrefour.directory.tables import integrations

_COLUMNS = (
    "id",
    "niss",
    "institution_id",
    "quality_code",
    "starts_on",
    "ends_on",
    "unregistered_at",
)


class IntegrationReader:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._inline = is_sqlite(str(engine.url))
        self._pooled: Any = None  # the pool's connection, returned to the pool on close
        self._connection: Any = None  # the DBAPI connection inside it
        self._sql = ""

    async def of(self, niss: str) -> list[Integration]:
        if not self._inline:
            return await asyncio.to_thread(directory.integrations_of, self._engine, niss)
        return self._read_inline(niss)

    def _read_inline(self, niss: str) -> list[Integration]:
        if self._connection is None:
            self._open()
        rows = self._connection.execute(self._sql, (niss,)).fetchall()
        return [self._integration(row) for row in rows]

    def _open(self) -> None:
        query = (
            select(*(integrations.c[name] for name in _COLUMNS))
            .where(integrations.c.niss == "?")
            .order_by(integrations.c.id)
        )
        compiled = query.compile(dialect=self._engine.dialect)
        self._sql = str(compiled)
        dialect = self._engine.dialect
        self._processors = [
            c.type.dialect_impl(dialect).result_processor(dialect, None)
            for c in query.selected_columns
        ]
        self._pooled = self._engine.raw_connection()
        self._connection = self._pooled.driver_connection

    def _integration(self, row: tuple[Any, ...]) -> Integration:
        values: list[Any] = [p(v) if p else v for p, v in zip(self._processors, row, strict=True)]
        fields: dict[str, Any] = dict(zip(_COLUMNS, values, strict=True))
        return Integration(**fields)

    def close(self) -> None:
        """Give the connection back to the engine's pool (never close it under the pool)."""
        if self._pooled is not None:
            self._pooled.close()
            self._pooled = self._connection = None
