"""Fixtures of the journal's tests: an entry factory, a second engine, the anyio backend."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine

from carrefour.db import build_engine
from carrefour.journal.entries import JournalEntry, new_ticket
from tests.journal.helpers import NISS, EntryFactory


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def make_entry() -> EntryFactory:
    def make(**overrides: Any) -> JournalEntry:
        fields: dict[str, Any] = {
            "ticket": new_ticket(),
            "occurred_at": datetime.now(UTC),
            "channel": "rest",
            "action": "consult",
            "client": "0212344876",
            "end_user_id": "social-worker-17",
            "end_user_role": "social-worker",
            "service": "IdentifyPerson",
            "niss": NISS,
            "quality_code": 2,
            "deliberation": "CSI 12/013",
            "sources": ("0200065765",),
            "outcome": "ok",
            "duration_ms": 12.5,
        }
        fields.update(overrides)
        return JournalEntry(**fields)

    return make


@pytest.fixture
def second_engine(engine: Engine, database_url: str) -> Iterator[Engine]:
    """Another engine on the same database, as a second hub process would have."""
    other = build_engine(database_url)
    yield other
    other.dispose()
