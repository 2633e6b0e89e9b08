"""Ports of the exchange: what the hub asks of an authentic source.

The wire form of these messages is the source protocol (``docs/source-protocol.md``); a source
inside the hub (the BIS register) implements :class:`LocalSource` directly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceRequest:
    """One question to one source about one person (or one search).

    ``client`` is the CBE number of the institution that asks. The source protocol carries it
    (member ``client``); a consultation source answers from its own data whoever asks and
    ignores it; the hub's own registers read it to say which of a person's files are the
    asking institution's own, and a source that registers declarations (Mediprima) keys them
    on it."""

    ticket: str
    service: str
    version: int
    niss: str | None
    parameters: Mapping[str, Any] = field(default_factory=dict)
    client: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceAnswer:
    """What the source holds: ``found`` False means it has no file on the person."""

    found: bool
    data: dict[str, Any] = field(default_factory=dict)


class LocalSource(Protocol):
    """A source that lives inside the hub process (the hub's own BIS register)."""

    async def answer(self, request: SourceRequest) -> SourceAnswer: ...
