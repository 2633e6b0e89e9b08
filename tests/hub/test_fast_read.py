"""A hot-path read compiled once (:class:`carrefour.reads.FastRead`) gives what the Core query
gives through SQLAlchemy, on both backends: the same rows, typed (dates, booleans), a LIMIT
kept, and every write committed before the read seen."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import Engine, bindparam, insert, select

from carrefour.reads import FastRead
from carrefour.statuses.tables import households, statuses

NISS = "85073003328"


def _status(event: str, starts: dt.date, *, cancelled: bool = False) -> dict[str, object]:
    return {"source": "0123456789", "event_id": event, "niss": NISS, "status": "ris",
            "starts_on": starts, "ends_on": None, "cancelled": cancelled,
            "effective_on": starts, "action_rank": 0, "source_ref": event}


def test_rows_are_those_of_the_core_query_and_typed(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(insert(statuses), [_status("e1", dt.date(2024, 1, 1)),
                                              _status("e2", dt.date(2023, 5, 1), cancelled=True)])
    query = (select(statuses.c.event_id, statuses.c.starts_on, statuses.c.cancelled)
             .where(statuses.c.niss == bindparam("niss")).order_by(statuses.c.starts_on))
    read = FastRead(engine, query)
    try:
        rows = asyncio.run(read.rows(niss=NISS))
    finally:
        read.close()
    with engine.connect() as connection:
        expected = [dict(row) for row in connection.execute(query, {"niss": NISS}).mappings()]
    assert rows == expected
    assert rows == [{"event_id": "e2", "starts_on": dt.date(2023, 5, 1), "cancelled": True},
                    {"event_id": "e1", "starts_on": dt.date(2024, 1, 1), "cancelled": False}]


def test_a_limit_and_a_date_parameter_are_bound(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(insert(households), [
            {"niss": NISS, "since": dt.date(2020, 1, 1), "household_id": "H1",
             "postal_code": "1000", "source": "x"},
            {"niss": NISS, "since": dt.date(2022, 1, 1), "household_id": "H2",
             "postal_code": "4000", "source": "x"}])
    query = (select(households.c.household_id)
             .where(households.c.niss == bindparam("niss"),
                    households.c.since <= bindparam("day"))
             .order_by(households.c.since.desc()).limit(1))
    read = FastRead(engine, query)

    async def on(day: dt.date) -> list[dict[str, object]]:
        return await read.rows(niss=NISS, day=day)

    try:
        assert asyncio.run(on(dt.date(2021, 6, 1))) == [{"household_id": "H1"}]
        assert asyncio.run(on(dt.date(2023, 6, 1))) == [{"household_id": "H2"}]
        assert asyncio.run(on(dt.date(2019, 6, 1))) == []
    finally:
        read.close()


def test_a_write_committed_after_the_first_read_is_seen(engine: Engine) -> None:
    query = select(statuses.c.event_id).where(statuses.c.niss == bindparam("niss"))
    read = FastRead(engine, query)
    try:
        assert asyncio.run(read.rows(niss=NISS)) == []
        with engine.begin() as connection:
            connection.execute(insert(statuses), [_status("e3", dt.date(2024, 2, 1))])
        assert asyncio.run(read.rows(niss=NISS)) == [{"event_id": "e3"}]
    finally:
        read.close()
