"""Database plumbing shared by every feature: metadata, engine factory, transactions.

Each feature declares its tables in its own ``tables.py`` on :data:`metadata`. SQLite (a file)
is the embedded default; PostgreSQL is the production store. Code uses SQLAlchemy Core and
stays portable between the two.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, MetaData, and_, create_engine, event, or_
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.pool import NullPool

from carrefour.turns import TurnConnection

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite database URL (``None``: not SQLite, or in memory).

    A URI filename (``sqlite:///file:/var/hub.sqlite3?mode=ro&uri=true``) names its file after
    the ``file:`` scheme and an optional empty authority (``file:///var/hub.sqlite3``); without
    ``uri=true`` SQLite takes the name as it is, ``file:`` included."""
    if not is_sqlite(url):
        return None
    parsed = make_url(url)
    database = parsed.database
    if database and parsed.query.get("uri") == "true" and database.startswith("file:"):
        if parsed.query.get("mode") == "memory":
            return None
        database = database.removeprefix("file:")
        if database.startswith("//"):
            database = "/" + database[2:].partition("/")[2]  # file://localhost/path: /path
    if not database or database == ":memory:":
        return None
    return Path(database)


def build_engine(url: str, *, pool_size: int = 8) -> Engine:
    """Create an engine tuned for the backend: WAL and busy timeout on SQLite."""
    if is_sqlite(url):
        _ensure_sqlite_folder(url)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30,
                          "factory": TurnConnection},
            poolclass=NullPool if ":memory:" in url else None,
            **({} if ":memory:" in url else {"pool_size": 32, "max_overflow": 32}),
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin(sqlite_file(url)))
        return engine
    engine = create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)
    event.listen(engine, "connect", _plan_every_execution)
    return engine


def _plan_every_execution(dbapi_connection: Any, _record: Any) -> None:
    """Plan each execution of a prepared statement for its parameters and the tables as they
    are. psycopg prepares a statement at its fifth use, and PostgreSQL then keeps a generic
    plan made for the tables as they were: made while the journal's month partition or the
    outbox was nearly empty, it scans them whole ever after (the journal's ticket check: 17.8 ms
    at 9,000 entries, growing with them, against 0.05 ms through the index). The prepared statement
    still spares the parsing; planning a custom plan costs tens of microseconds."""
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET plan_cache_mode = force_custom_plan")
    dbapi_connection.commit()


def _ensure_sqlite_folder(url: str) -> None:
    database = sqlite_file(url)
    if database is not None:
        database.parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # let SQLAlchemy's "begin" event issue BEGIN
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")  # a committed journal entry survives power loss
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(database: Path | None) -> Callable[[Connection], None]:
    """Take the write lock at BEGIN, so concurrent writers queue instead of deadlocking, after
    the database's write turn (:mod:`carrefour.turns`); connections marked read-only (see
    :func:`reading`) begin without either."""

    def begin(connection: Connection) -> None:
        dbapi_connection = connection.connection.dbapi_connection
        if connection.get_execution_options().get("readonly"):
            # straight on the driver: through SQLAlchemy, a quarter of a status look-up
            dbapi_connection.execute("BEGIN")  # type: ignore[union-attr]
            return
        if database is not None and isinstance(dbapi_connection, TurnConnection):
            dbapi_connection.begin_writing(database)
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return begin


def reading(engine: Engine) -> Engine:
    """The same engine for read-only work: on SQLite it does not take the write lock."""
    return engine.execution_options(readonly=True)


@contextmanager
def transaction(engine: Engine) -> Iterator[Connection]:
    """One unit of work: commits on success, rolls back on any exception."""
    with engine.begin() as connection:
        yield connection


def pairs_in(first: ColumnElement[Any], second: ColumnElement[Any],
             pairs: Iterable[tuple[Any, Any]], *, groups: int = 200
             ) -> Iterator[ColumnElement[bool]]:
    """Conditions that together select the rows whose (``first``, ``second``) is one of
    ``pairs``: ``first = x AND second IN (...)`` per value of ``first``, OR-ed, at most
    ``groups`` values of ``first`` per condition.

    A row-value ``(a, b) IN (...)`` reads the whole table on SQLite (its planner does not take
    the index for it), so a look-up that should cost a few index searches grew with the table;
    this form is an index search per value of ``first`` on both backends."""
    grouped: dict[Any, list[Any]] = {}
    for a, b in pairs:
        grouped.setdefault(a, []).append(b)
    values = list(grouped.items())
    for start in range(0, len(values), groups):
        yield or_(*(and_(first == a, second.in_(sorted(set(bs))))
                    for a, bs in values[start:start + groups]))


def is_outage(error: BaseException) -> bool:
    """Whether ``error`` (or what caused it) says the database cannot be reached or written —
    a server stopped or unreachable, a connection lost, a file opened read-only — rather than
    that this statement was wrong."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, DBAPIError) and seen.connection_invalidated:
            return True
        if isinstance(seen, OperationalError | InterfaceError):
            return True
        seen = seen.__cause__
    return False


def describe_outage(error: BaseException) -> str:
    """One line naming the database's fault, for the log (no traceback: the fault is the
    database's, not the hub's code)."""
    original = getattr(error, "orig", None) or error
    first_line = str(original).strip().splitlines()[0] if str(original).strip() else ""
    return f"{type(original).__name__}: {first_line}"
