"""Bounds on what a client may send: integers the database can hold, page sizes, and the size
and nesting depth of free JSON objects (a BIS address, consultation parameters, a mutation's
data). Pure: the entry points apply them, the use cases that parse raw input too."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

INT64_MAX = 2**63 - 1
"""The largest integer a column of the hub's databases holds (signed 64 bits: journal
positions, mutations and deliveries)."""

INT32_MAX = 2**31 - 1
"""The largest id of a table keyed by a 32-bit integer on PostgreSQL (institutions,
integrations, deliberations, subscriptions)."""

MAX_PAGE = 1000
"""The most rows one listing returns (``limit``)."""

MAX_BODY_BYTES = 1024 * 1024
"""Default limit of a request body (``CARREFOUR_MAX_BODY_BYTES``)."""

JSON_MAX_DEPTH = 8
JSON_MAX_BYTES = 16 * 1024


def check_json_object(
    value: Mapping[str, Any], *, max_depth: int = JSON_MAX_DEPTH, max_bytes: int = JSON_MAX_BYTES
) -> Mapping[str, Any]:
    """``value`` unchanged when it nests at most ``max_depth`` objects and arrays and takes at
    most ``max_bytes`` as JSON; raises :class:`ValueError` saying which limit it passes."""
    if _deeper_than(value, max_depth):
        raise ValueError(f"nested deeper than {max_depth} levels")
    try:
        size = len(orjson.dumps(value))
    except orjson.JSONEncodeError:
        raise ValueError("holds a number beyond 64 bits or a value JSON cannot carry") from None
    if size > max_bytes:
        raise ValueError(f"takes {size} bytes as JSON, more than {max_bytes}")
    return value


def check_no_nul(value: object) -> None:
    """Raise :class:`ValueError` when a text anywhere in ``value`` (keys included) holds the
    NUL character, which no text or JSON column of PostgreSQL can store."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                raise ValueError("a text holds the NUL character (U+0000)")
        elif isinstance(item, Mapping):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list | tuple):
            pending.extend(item)


def _deeper_than(value: object, limit: int) -> bool:
    """Whether objects and arrays nest more than ``limit`` levels deep in ``value``, walked
    without recursion (a value nested thousands deep must not exhaust the stack)."""
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        children: Any
        if isinstance(item, Mapping):
            children = item.values()
        elif isinstance(item, list | tuple):
            children = item
        else:
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children)
    return False
