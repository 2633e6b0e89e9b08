"""The hub's logs: one JSON object per line (or a readable line on a terminal), one line per
journaled exchange, and no identification number in any line.

``CARREFOUR_LOG_FORMAT`` is ``json``, ``text`` or ``auto`` (text when standard error is a
terminal, JSON otherwise); ``CARREFOUR_LOG_LEVEL`` the lowest level written. Every line, the
messages of libraries and the tracebacks included, goes through :func:`mask_niss`: an
11-digit number or a formatted NISS (``85.07.30-033.28``) is written ``<niss>``.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import sys
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING, Any

import orjson

from carrefour.config import ObservabilitySettings

if TYPE_CHECKING:  # the journal's writer logs through this module
    from carrefour.journal.entries import JournalEntry

EXCHANGE_LOGGER = "carrefour.exchange"
_exchanges = logging.getLogger(EXCHANGE_LOGGER)
_NISS = re.compile(r"(?<!\d)(?:\d{11}|\d{2}\.\d{2}\.\d{2}-\d{3}\.\d{2})(?!\d)")
_STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}
EXCHANGE_FIELDS = ("ticket", "channel", "action", "client", "service", "outcome", "duration_ms")


def mask_niss(text: str) -> str:
    return _NISS.sub("<niss>", text)


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    """What the caller passed in ``extra``."""
    return {k: v for k, v in vars(record).items() if k not in _STANDARD}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            **_fields(record),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return mask_niss(orjson.dumps(line, default=str).decode())


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        extra = " ".join(f"{k}={v}" for k, v in _fields(record).items())
        return mask_niss(f"{text} {extra}" if extra else text)


def configure(settings: ObservabilitySettings, *, stream: IO[str] | None = None) -> None:
    """The root logger writes to ``stream`` (standard error) in the configured format."""
    stream = stream or sys.stderr
    handler = logging.StreamHandler(stream)
    handler.setFormatter(_formatter(settings.log_format, stream))
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "carrefour", False)]:
        root.removeHandler(old)
    handler.carrefour = True  # type: ignore[attr-defined]  # marks the handler as ours
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())


def _formatter(name: str, stream: IO[str]) -> logging.Formatter:
    if name == "text" or (name == "auto" and _is_terminal(stream)):
        return TextFormatter()
    return JsonFormatter()


def _is_terminal(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def log_exchanges(entries: Sequence[JournalEntry]) -> None:
    """One line per journaled entry (no NISS, no end user's id): nothing when INFO is off."""
    if not _exchanges.isEnabledFor(logging.INFO):
        return
    for entry in entries:
        _exchanges.info(
            "%s %s", entry.action, entry.outcome,
            extra={name: getattr(entry, name) for name in EXCHANGE_FIELDS},
        )
