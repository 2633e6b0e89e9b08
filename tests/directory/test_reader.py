"""The hot read of integrations sees every committed change and leaves the pool sound."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import Engine, text

from carrefour.directory.domain import Role
from carrefour.directory.reader import IntegrationReader
from carrefour.directory.services import InstitutionSpec, register_institution
from carrefour.directory.tables import integrations
from tests.people import ALICE


def _integrate(engine: Engine, institution_id: int) -> None:
    with engine.begin() as connection:
        connection.execute(
            integrations.insert().values(
                niss=ALICE,
                institution_id=institution_id,
                quality_code=2,
                starts_on=dt.date(2026, 1, 1),
                ends_on=None,
                created_at=dt.datetime.now(dt.UTC),
            )
        )


def test_the_reader_sees_a_change_committed_after_its_first_read(engine: Engine) -> None:
    cpas = register_institution(
        engine,
        InstitutionSpec(
            cbe="0212344876",
            name_fr="CPAS",
            name_nl="OCMW",
            sector=17,
            subsector=1,
            kind="cpas",
            role=Role.CLIENT,
        ),
    )
    reader = IntegrationReader(engine)
    try:
        assert asyncio.run(reader.of(ALICE)) == []
        _integrate(engine, cpas.id)
        found = asyncio.run(reader.of(ALICE))
        assert [(i.institution_id, i.quality_code, i.starts_on) for i in found] == [
            (cpas.id, 2, dt.date(2026, 1, 1))
        ]
    finally:
        reader.close()


def test_closing_the_reader_leaves_the_engines_connections_usable(engine: Engine) -> None:
    for _ in range(3):
        reader = IntegrationReader(engine)
        asyncio.run(reader.of(ALICE))
        reader.close()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT 1")).scalar() == 1
