"""Readiness while the hub runs, and the checks before ``carrefour serve`` starts it."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import TYPE_CHECKING

from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.pool import NullPool

from carrefour.config import DEFAULT_DATA_DIR, default_database_url
from carrefour.db import describe_outage, is_outage, is_sqlite, metadata, reading
from carrefour.health.domain import Check, Readiness
from carrefour.health.files import sqlite_path, unwritable

if TYPE_CHECKING:
    from carrefour.bootstrap import Hub

CHECK_TIMEOUT = 2.0  # seconds a readiness probe waits for the database
INIT = "run `carrefour init`"


class StartRefused(Exception):
    """The hub cannot start; the message is one line saying why and what to do."""


# --- readiness -------------------------------------------------------------------------------
async def readiness(hub: Hub) -> Readiness:
    return Readiness(checks=(
        await _database(hub.engine),
        _journal(hub),
        _sources(hub),
    ))


async def _database(engine: Engine) -> Check:
    try:
        detail = await asyncio.wait_for(asyncio.to_thread(_database_problem, engine),
                                        CHECK_TIMEOUT)
    except TimeoutError:
        detail = f"the database did not answer in {CHECK_TIMEOUT} s"
    return Check("database", detail is None, detail or "ok")


def _database_problem(engine: Engine) -> str | None:
    path = sqlite_path(str(engine.url))
    if path is not None and (problem := unwritable(path)) is not None:
        return problem
    try:
        with reading(engine).connect() as connection:
            if is_sqlite(str(engine.url)):
                connection.execute(text("SELECT 1"))
                return None
            read_only = connection.execute(text("SHOW transaction_read_only")).scalar()
    except Exception as error:
        if is_outage(error):
            return f"the database is unavailable ({describe_outage(error)})"
        raise
    return "the database accepts no writes (read-only)" if read_only == "on" else None


def _journal(hub: Hub) -> Check:
    if not hub.journal.running:
        return Check("journal", False, "the journal writer is not running")
    failure = hub.journal.last_failure
    return Check("journal", failure is None, f"its last write failed: {failure}" if failure
                 else "ok")


def _sources(hub: Hub) -> Check:
    """The gateway is ready to call the sources; a source whose last call failed is named (it
    does not make the hub unready: the other sources, and partial answers, still serve)."""
    if not hub.gateway.started:
        return Check("sources", False, "the source gateway is not started")
    failing = hub.gateway.failing()
    if not failing:
        return Check("sources", True)
    named = ", ".join(f"{cbe} ({detail})" for cbe, detail in sorted(failing.items()))
    return Check("sources", True, f"last call failed: {named}")


# --- before start ----------------------------------------------------------------------------
def configured_url() -> str:
    """The database the hub would serve, read as :class:`carrefour.config.Settings` reads it
    (without writing anything, as reading the settings may)."""
    data_dir = Path(os.environ.get("CARREFOUR_DATA_DIR", str(DEFAULT_DATA_DIR)))
    return os.environ.get("CARREFOUR_DATABASE_URL", default_database_url(data_dir))


def check_before_start(url: str) -> None:
    """Refuse to start (:class:`StartRefused`) on a database missing, out of reach, not
    initialised or not writable by this user."""
    path = sqlite_path(url)
    if path is not None:
        if not path.exists():
            raise StartRefused(f"the database {path} does not exist: {INIT}")
        if (problem := unwritable(path)) is not None:
            raise StartRefused(problem)
    engine = create_engine(url, poolclass=NullPool)
    try:
        _check_schema(engine)
    except StartRefused:
        raise
    except Exception as error:
        if not is_outage(error):
            raise
        raise StartRefused(f"cannot reach the database: {describe_outage(error)}") from None
    finally:
        engine.dispose()


def _check_schema(engine: Engine) -> None:
    from carrefour.migrations import alembic_config
    from carrefour.tables import load_all_tables

    load_all_tables()
    with engine.connect() as connection:
        tables = set(inspect(connection).get_table_names())
        revision = (connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
                    if "alembic_version" in tables else None)
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    if revision is not None and revision != head:
        raise StartRefused(f"the database schema is at revision {revision}, this hub needs "
                           f"{head}: {INIT}")
    if revision is None and not set(metadata.tables) <= tables:
        raise StartRefused(f"the database is not initialised: {INIT}")
