"""``carrefour source trickle`` and ``carrefour source cpas-app``: the signal function in the
simulated network (mounted on the ``source`` sub-app)."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from carrefour.config import Settings
from carrefour.db import build_engine
from carrefour.simulation.demo.trickle import (
    CPAS_APP_OFFSET,
    PUBLISHERS,
    demo_cpas_persons,
    publisher,
    trickle,
    webhook_secret,
)
from carrefour.simulation.seeding.seed import DEFAULT_BASE_PORT

Seed = Annotated[int, typer.Option(help="Seed of the simulated network")]


def trickle_command(
    hub: Annotated[str, typer.Option(help="The hub's URL")] = "http://127.0.0.1:8000",
    seed: Seed = 1,
    per_second: Annotated[float, typer.Option(help="Mutations per second")] = 1.0,
) -> None:
    """Publish a steady trickle of mutations from the National Register and the ONEM."""
    engine = build_engine(Settings.from_env().database_url)
    try:
        persons = demo_cpas_persons(engine)
    finally:
        engine.dispose()
    publishers = [publisher(seed, kind) for kind in PUBLISHERS]
    asyncio.run(trickle(hub, publishers, persons, per_second=per_second, seed=seed))


def cpas_app_command(seed: Seed = 1, base_port: int = DEFAULT_BASE_PORT) -> None:
    """The demo CPAS's application: receives, verifies and prints the pushed mutations."""
    from carrefour.simulation.demo.cpas_app import serve_cpas_app

    serve_cpas_app(secret=webhook_secret(seed), port=base_port + CPAS_APP_OFFSET)


def eid_command(seed: Seed = 1, base_port: int = DEFAULT_BASE_PORT) -> None:
    """The simulated eID provider (OpenID Connect) with which citizens sign in to the console."""
    from carrefour.simulation.eid.serve import EID_OFFSET, serve_eid

    serve_eid(seed=seed, port=base_port + EID_OFFSET)


def register(source_app: typer.Typer) -> None:
    source_app.command("trickle")(trickle_command)
    source_app.command("cpas-app")(cpas_app_command)
    source_app.command("eid")(eid_command)
