"""Use cases run through ``journaled``: success, refusal and fault each leave one entry."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import Engine, select

from carrefour.errors import NotFound
from carrefour.journal.recorded import Act, Stamp, journaled
from carrefour.journal.tables import journal_entries
from carrefour.journal.writer import JournalWriter

ACT = Act(
    channel="rest",
    action="create-bis",
    client="0206731645",
    end_user_id="u1",
    end_user_role="clerk",
    service="bis-register",
    niss=None,
)


def _outcomes(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        query = select(journal_entries.c.outcome).order_by(journal_entries.c.seq)
        return list(connection.execute(query).scalars())


def _run(engine: Engine, work: object) -> object:
    async def main() -> object:
        writer = JournalWriter(engine)
        await writer.start()
        try:
            return await journaled(writer, ACT, work)  # type: ignore[arg-type]
        finally:
            await writer.stop()

    return asyncio.run(main())


def test_a_success_is_journaled_with_its_ticket_and_the_number_it_created(engine: Engine) -> None:
    async def work(stamp: Stamp) -> str:
        stamp.niss = "90042099712"
        return "done"

    done = _run(engine, work)
    assert done.value == "done"  # type: ignore[attr-defined]
    with engine.connect() as connection:
        row = connection.execute(select(journal_entries)).mappings().one()
    assert (row["ticket"], row["niss"], row["outcome"]) == (done.ticket, "90042099712", "ok")  # type: ignore[attr-defined]


def test_a_refusal_is_journaled_with_its_code_and_carries_the_ticket(engine: Engine) -> None:
    async def work(_: Stamp) -> None:
        raise NotFound("nothing here")

    with pytest.raises(NotFound) as refused:
        _run(engine, work)
    assert _outcomes(engine) == ["not-found"]
    assert len(refused.value.extra["ticket"]) == 36


def test_a_fault_of_the_hub_is_journaled_as_an_internal_error(engine: Engine) -> None:
    async def work(_: Stamp) -> None:
        raise RuntimeError("a bug")

    with pytest.raises(RuntimeError):
        _run(engine, work)
    assert _outcomes(engine) == ["internal-error"]
