"""Alembic migrations of the hub's database (``carrefour init`` applies them)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from carrefour.db import metadata
from carrefour.tables import load_all_tables


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", "carrefour:migrations")
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine) -> None:
    """Bring the database schema to the latest revision."""
    load_all_tables()
    command.upgrade(alembic_config(engine), "head")


def target_metadata() -> object:
    load_all_tables()
    return metadata
