"""Imports every feature's ``tables`` module so that :data:`carrefour.db.metadata` is complete
(for migrations and for tests that create the schema)."""

from __future__ import annotations

import importlib

FEATURE_TABLES = (
    "carrefour.directory.tables",
    "carrefour.identification.tables",
    "carrefour.journal.tables",
    "carrefour.auth.tables",
    "carrefour.signal.tables",
    # derived rights: the status buffer and the rights granted
    "carrefour.statuses.tables",
    "carrefour.rights.tables",
    "carrefour.lists.tables",  # lists: files per recipient
    "carrefour.research.tables",  # research extracts: projects, releases
)


def load_all_tables() -> None:
    for module in FEATURE_TABLES:
        importlib.import_module(module)
