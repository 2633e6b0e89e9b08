"""Alembic environment: runs migrations on the engine handed over by ``carrefour init``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from carrefour.db import build_engine, metadata
from carrefour.tables import load_all_tables

load_all_tables()
config = context.config
engine: Engine = config.attributes.get("engine") or build_engine(
    config.get_main_option("sqlalchemy.url") or ""
)

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
