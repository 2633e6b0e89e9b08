"""A SQLite hub database that a test turns read-only while the hub serves it, as when its
disk is remounted read-only (the test may run as root, whom ``chmod`` does not stop): from
then on the engine opens the file with ``mode=ro``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event


def read_only_switch(engine: Engine, database: Path) -> Callable[[], None]:
    """What turns ``engine``'s file read-only: its connections are closed, the next ones
    opened read-only."""
    turned = False

    @event.listens_for(engine, "do_connect")
    def _connect(_dialect: Any, _record: Any, cargs: list[Any], cparams: dict[str, Any]) -> None:
        if turned:
            cargs[:] = [f"file:{database}?mode=ro"]
            cparams["uri"] = True

    def turn() -> None:
        nonlocal turned
        turned = True
        engine.dispose()

    return turn
