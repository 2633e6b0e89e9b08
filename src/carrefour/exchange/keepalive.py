"""How long the hub keeps an idle connection to a source open for reuse.

A source closes a connection that stayed idle longer than its own keep-alive timeout (5 s by
default for uvicorn and Apache). If the hub kept the connection longer, its next request could
leave on a connection the source is closing, and fail although the source is healthy. The hub
therefore drops its idle connections earlier than the source does: 3 s by default, configurable
for each source (by CBE number) whose timeout is shorter.

Environment: ``CARREFOUR_SOURCE_KEEPALIVE`` (seconds, default 3) and
``CARREFOUR_SOURCE_KEEPALIVE_BY_SOURCE`` (``CBE=SECONDS`` pairs separated by commas or spaces,
e.g. ``0212345678=0.5``); 0 means a new connection for every request.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

DEFAULT_KEEPALIVE_SECONDS = 3.0


@dataclass(frozen=True, kw_only=True)
class KeepAlive:
    default_seconds: float = DEFAULT_KEEPALIVE_SECONDS
    by_source: Mapping[str, float] = field(default_factory=dict)  # CBE number -> seconds

    def __post_init__(self) -> None:
        for seconds in (self.default_seconds, *self.by_source.values()):
            if seconds < 0:
                raise ValueError("a keep-alive timeout cannot be negative")

    def for_source(self, cbe: str) -> float:
        return self.by_source.get(cbe, self.default_seconds)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> KeepAlive:
        env = os.environ if environ is None else environ
        default = env.get("CARREFOUR_SOURCE_KEEPALIVE") or str(DEFAULT_KEEPALIVE_SECONDS)
        return cls(
            default_seconds=_seconds("CARREFOUR_SOURCE_KEEPALIVE", default),
            by_source=parse_by_source(env.get("CARREFOUR_SOURCE_KEEPALIVE_BY_SOURCE", "")),
        )


def parse_by_source(text: str) -> dict[str, float]:
    """``CBE=SECONDS`` pairs separated by commas or spaces."""
    pairs: dict[str, float] = {}
    for item in text.replace(",", " ").split():
        cbe, _, seconds = item.partition("=")
        if not cbe or not seconds:
            raise ValueError(f"CARREFOUR_SOURCE_KEEPALIVE_BY_SOURCE: {item!r} is not CBE=SECONDS")
        pairs[cbe.strip()] = _seconds("CARREFOUR_SOURCE_KEEPALIVE_BY_SOURCE", seconds)
    return pairs


def _seconds(name: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{name}: {text!r} is not a number of seconds") from None
    if value < 0:
        raise ValueError(f"{name}: {text!r} is negative")
    return value
