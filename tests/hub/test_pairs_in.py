"""Look-ups by a pair of columns (``carrefour.db.pairs_in``): exactly the pairs asked for, and on
SQLite through the index rather than a scan of the whole table (a row-value ``IN`` scanned it,
so each mutation's duplicate check grew with the table)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Column, Integer, MetaData, String, Table, UniqueConstraint, insert, select

from carrefour.db import build_engine, pairs_in

metadata = MetaData()
pairs = Table("pairs", metadata, Column("id", Integer, primary_key=True),
              Column("a", Integer, nullable=False), Column("b", String(10), nullable=False),
              UniqueConstraint("a", "b"))


def test_exactly_the_pairs_asked_for_in_groups(tmp_path: Path) -> None:
    engine = build_engine(f"sqlite:///{tmp_path / 'p.sqlite3'}")
    metadata.create_all(engine)
    rows = [{"a": a, "b": b} for a in range(30) for b in ("x", "y", "z")]
    wanted = [(1, "x"), (2, "y"), (2, "z"), (7, "x"), (29, "z"), (40, "x")]
    try:
        with engine.begin() as connection:
            connection.execute(insert(pairs), rows)
            conditions = list(pairs_in(pairs.c.a, pairs.c.b, wanted, groups=2))
            found = {(r.a, r.b) for c in conditions
                     for r in connection.execute(select(pairs.c.a, pairs.c.b).where(c))}
    finally:
        engine.dispose()
    assert len(conditions) == 3  # five values of a, two per condition
    assert found == set(wanted) - {(40, "x")}  # never (1, "y") nor (2, "x")


def test_on_sqlite_the_look_up_searches_the_index(tmp_path: Path) -> None:
    engine = build_engine(f"sqlite:///{tmp_path / 'p.sqlite3'}")
    metadata.create_all(engine)
    try:
        with engine.connect() as connection:
            (condition,) = pairs_in(pairs.c.a, pairs.c.b, [(1, "x"), (2, "y")])
            statement = select(pairs.c.id).where(condition).compile(
                engine, compile_kwargs={"literal_binds": True})
            plan = " ".join(str(row[-1]) for row in connection.exec_driver_sql(
                f"EXPLAIN QUERY PLAN {statement}"))
    finally:
        engine.dispose()
    assert "SEARCH" in plan and "SCAN pairs" not in plan, plan
