"""What the command line says when a command fails: one line on standard error, never a
traceback, and exit code 1 (2 for a usage error, as click does; 130 after Ctrl-C)."""

from __future__ import annotations

import sys

from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError

from carrefour.errors import CarrefourError
from carrefour.settings import SettingsError

_MISSING_TABLE = ("no such table", "undefinedtable", "does not exist")


def one_line(error: BaseException) -> str:
    """The message for ``error``, in one line."""
    return " ".join(_message(error).split())


def _message(error: BaseException) -> str:
    if isinstance(error, SettingsError):
        return str(error)
    if isinstance(error, CarrefourError):
        return error.detail
    if isinstance(error, (ArgumentError, NoSuchModuleError)):
        return f"the database URL is not valid: {error}"
    if isinstance(error, DBAPIError):
        return _database_message(error)
    if isinstance(error, SQLAlchemyError):
        return f"database error: {error}"
    if isinstance(error, OSError):
        return f"{error.strerror or error}: {error.filename}" if error.filename else str(error)
    return f"unexpected error ({type(error).__name__}): {error}"


def _database_message(error: DBAPIError) -> str:
    text = str(error.orig or error).splitlines()[0] if str(error.orig or error) else ""
    kind = type(error.orig).__name__.lower() if error.orig is not None else ""
    if any(marker in text.lower() or marker in kind for marker in _MISSING_TABLE) and (
        "relation" in text.lower() or "table" in text.lower()
    ):
        return f"the database has no Carrefour tables ({text}): run `carrefour init`"
    if error.connection_invalidated or "connect" in text.lower() or "unable to open" in text:
        return f"cannot reach the database: {text}"
    return f"database error: {text}"


def fail(error: BaseException) -> int:
    """Print the one line for ``error``; the exit code."""
    if isinstance(error, KeyboardInterrupt):
        return 130
    print(f"carrefour: error: {one_line(error)}", file=sys.stderr)
    return 1
