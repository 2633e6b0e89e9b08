"""The simulated SPP IS on its own, without the hub: the CPAS's category that sets the refund
rate counts only the persons it was granted an intervention for; a declaration acknowledged
before the source stopped is decided when it starts again; requests racing on one reference
(two first declarations, two corrections, a decision and a correction) lose nothing."""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import Connection, Engine, Table, create_engine, insert, select

from carrefour.declarations import decisions
from carrefour.simulation.sources import declared, outbox, schema
from carrefour.simulation.sources.app import create_source_app
from carrefour.simulation.sources.kinds import SPP_IS
from carrefour.simulation.sources.publisher import Attempt, Outcome
from tests.conftest import _own_database
from tests.people import niss
from tests.servers import serving

CPAS = "0212344917"
NOW = dt.datetime.now(dt.UTC)
TODAY = NOW.date()
ANNA, BRUNO = niss(dt.date(1980, 3, 1), 17), niss(dt.date(1990, 6, 2), 21)


@pytest.fixture
def source(tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    """The SPP IS's database: SQLite, or a PostgreSQL database of its own beside the hub's
    when the suite runs on PostgreSQL."""
    hub = os.environ.get("CARREFOUR_TEST_DATABASE_URL")
    url = _own_database(hub, "spp_is") if hub else f"sqlite:///{tmp_path / 'spp-is.sqlite3'}"
    engine = create_engine(url)
    schema.SCHEMAS[SPP_IS].drop_all(engine)
    schema.SCHEMAS[SPP_IS].create_all(engine)
    yield url, engine
    engine.dispose()


def ris(person: str, reference: str, *, action: str = "declare", amount: float = 1000.0
        ) -> declared._Asked:
    return declared.parse_declaration(orjson.dumps({
        "ticket": f"T-{reference}-{action}-{amount}", "type": "federal-intervention",
        "action": action, "niss": person, "declarant": CPAS, "reference": reference,
        "data": {"category": "single", "start": (TODAY - dt.timedelta(days=10)).isoformat(),
                 "end": (TODAY + dt.timedelta(days=20)).isoformat(),
                 "monthly_amount": amount}}))


def held(engine: Engine, *, first: int = 0, **counts: int) -> None:
    """Other persons' federal interventions of the CPAS: ``granted``, ``refused``,
    ``cancelled`` (granted, then withdrawn) and ``undecided``, numbered from ``first``."""
    rows = [_row(kind, first + number) for kind, count in counts.items()
            for number in range(count)]
    with engine.begin() as connection:
        connection.execute(insert(declared.table(SPP_IS)), rows)


def _row(kind: str, number: int) -> dict[str, Any]:
    decision = None if kind == "undecided" else {"granted": kind != "refused"}
    return {"declarant": CPAS, "type": "federal-intervention", "reference": f"{kind}-{number}",
            "niss": f"{kind[:2]}{number:09d}", "version": 1,
            "state": "cancelled" if kind == "cancelled" else "accepted", "data": "{}",
            "event_id": f"E-{kind}-{number}", "updated_at": NOW,
            "decision": orjson.dumps(decision).decode() if decision else None}


def decided(engine: Engine, asked: declared._Asked) -> dict[str, Any]:
    pending = declared.receive(engine, SPP_IS, asked, NOW).pending
    assert pending is not None
    mutation, *_ = declared.decide(engine, SPP_IS, pending, NOW)
    found: dict[str, Any] = mutation["data"]["decision"]
    return found


def test_the_refund_rate_follows_the_persons_granted_not_the_requests_refused(
    source: tuple[str, Engine],
) -> None:
    _, engine = source
    held(engine, granted=498, refused=40, cancelled=30, undecided=20)
    assert decided(engine, ris(ANNA, "R-1"))["refund_percent"] == 55.0  # the 499th person
    held(engine, first=498, granted=1)  # one more granted: the CPAS now has 500 beneficiaries
    assert decided(engine, ris(BRUNO, "R-2"))["refund_percent"] == 65.0


def test_a_declaration_acknowledged_before_the_source_stopped_is_decided_when_it_starts(
    source: tuple[str, Engine],
) -> None:
    url, engine = source
    assert declared.receive(engine, SPP_IS, ris(ANNA, "R-3"), NOW).pending == (1, 1)
    assert declared.undecided(engine, SPP_IS) == [(1, 1)]
    published: list[dict[str, Any]] = []

    class Publisher:
        async def publish(self, mutation: dict[str, Any]) -> Attempt:
            published.append(mutation)
            return Attempt(Outcome.PUBLISHED)

    app = create_source_app(SPP_IS, database_url=url, token="source-token", name="SPP IS")
    app.state.decision_delay, app.state.publisher = 0.0, Publisher()
    with serving(app):
        deadline = time.monotonic() + 10
        while not published and time.monotonic() < deadline:
            time.sleep(0.02)
    assert [(m["type"], m["data"]["reference"], m["data"]["decision"]["ticket"])
            for m in published] == [("spp-decision", "R-3", "T-R-3-declare-1000.0")]
    assert declared.undecided(engine, SPP_IS) == []


def test_the_same_declaration_sent_twice_at_once_is_kept_once(
    source: tuple[str, Engine], monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, engine = source
    first = declared._first

    def rival_first(connection: Connection, table: Table, asked: declared._Asked,
                    now: dt.datetime) -> declared.Received:
        """The other request keeps the declaration between this one's look-up and insert."""
        monkeypatch.setattr(declared, "_first", first)
        with engine.begin() as rival:
            first(rival, table, asked, now)
        return first(connection, table, asked, now)

    monkeypatch.setattr(declared, "_first", rival_first)
    answer = declared.receive(engine, SPP_IS, ris(ANNA, "R-4"), NOW).answer
    assert (answer["state"], answer["version"], answer["duplicate"]) == ("received", 1, True)
    with engine.connect() as connection:
        table = declared.table(SPP_IS)
        assert connection.execute(select(table.c.reference)).scalars().all() == ["R-4"]


def held_row(engine: Engine, reference: str) -> dict[str, Any]:
    table = declared.table(SPP_IS)
    with engine.connect() as connection:
        return dict(connection.execute(select(table).where(
            table.c.reference == reference)).mappings().one())


def test_two_corrections_at_once_make_two_versions(
    source: tuple[str, Engine], monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, engine = source
    declared.receive(engine, SPP_IS, ris(ANNA, "R-5"), NOW)
    again = declared._again

    def rival_again(connection: Connection, table: Table, row: dict[str, Any],
                    asked: declared._Asked, now: dt.datetime) -> declared.Received:
        """The other correction is kept between this one's look-up and its write."""
        monkeypatch.setattr(declared, "_again", again)
        declared.receive(engine, SPP_IS, ris(ANNA, "R-5", action="correct", amount=1100.0), now)
        return again(connection, table, row, asked, now)

    monkeypatch.setattr(declared, "_again", rival_again)
    answer = declared.receive(engine, SPP_IS, ris(ANNA, "R-5", action="correct", amount=1200.0),
                              NOW).answer
    assert (answer["version"], answer["duplicate"]) == (3, False)
    row = held_row(engine, "R-5")
    assert (row["version"], orjson.loads(row["data"])["monthly_amount"]) == (3, 1200.0)


def test_a_decision_taken_while_the_declaration_is_corrected_gives_way_to_the_new_version(
    source: tuple[str, Engine], monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, engine = source
    pending = declared.receive(engine, SPP_IS, ris(ANNA, "R-6"), NOW).pending
    assert pending is not None
    decide = decisions.decide

    def corrected_meanwhile(rule: decisions.DecisionRule, asked: decisions.Asked
                            ) -> dict[str, Any]:
        monkeypatch.setattr(decisions, "decide", decide)
        declared.receive(engine, SPP_IS, ris(ANNA, "R-6", action="correct", amount=900.0), NOW)
        return decide(rule, asked)

    monkeypatch.setattr(decisions, "decide", corrected_meanwhile)
    assert declared.decide(engine, SPP_IS, pending, NOW) == []  # version 1: superseded
    assert held_row(engine, "R-6")["decision"] is None
    assert declared.undecided(engine, SPP_IS) == [(pending[0], 2)]
    mutation, *_ = declared.decide(engine, SPP_IS, (pending[0], 2), NOW)
    assert mutation["data"]["version"] == 2
    assert [d["version"] for d in orjson.loads(held_row(engine, "R-6")["decisions"])] == [2]


class Hub:
    """A publisher standing for the hub: ``down`` it cannot take anything; ``refusing`` the
    types it refuses for good."""

    def __init__(self, *, down: bool = False, refusing: tuple[str, ...] = ()) -> None:
        self.down, self.refusing = down, refusing
        self.tries: list[str] = []
        self.kept: list[str] = []

    async def publish(self, mutation: dict[str, Any]) -> Attempt:
        self.tries.append(mutation["source_id"])
        if self.down:
            return Attempt(Outcome.FAILED, "connection refused")
        if mutation["type"] in self.refusing:
            return Attempt(Outcome.REFUSED, "422 invalid-input")
        self.kept.append(mutation["source_id"])
        return Attempt(Outcome.PUBLISHED)


def running(url: str, hub: Hub, until: Any, *, timeout: float = 10.0) -> None:
    """Run the source until ``until()`` holds (``timeout`` seconds at most)."""
    app = create_source_app(SPP_IS, database_url=url, token="source-token", name="SPP IS")
    app.state.decision_delay, app.state.retry_delay, app.state.publisher = 0.0, 0.01, hub
    with serving(app):
        deadline = time.monotonic() + timeout
        while not until() and time.monotonic() < deadline:
            time.sleep(0.02)


def states(engine: Engine) -> list[tuple[str, str]]:
    publications = outbox.table(SPP_IS)
    with engine.connect() as connection:
        return [(r.source_ref.split("/")[-1], r.state) for r in connection.execute(
            select(publications.c.source_ref, publications.c.state)
            .order_by(publications.c.id))]


def test_a_decision_is_owed_to_the_hub_in_the_transaction_that_takes_it(
    source: tuple[str, Engine],
) -> None:
    _, engine = source
    decided(engine, ris(ANNA, "R-7"))
    assert states(engine) == [("1", "pending")]
    assert outbox.owed(engine, SPP_IS)[0].mutation["data"]["reference"] == "R-7"


def test_what_the_source_owed_when_it_stopped_is_published_when_it_starts_in_order(
    source: tuple[str, Engine],
) -> None:
    url, engine = source
    decided(engine, ris(ANNA, "R-8"))
    decided(engine, ris(ANNA, "R-8", action="correct", amount=1100.0))
    down = Hub(down=True)
    running(url, down, lambda: len(down.tries) >= 3)
    assert len(set(down.tries)) == 1  # the first holds back the second until the hub answers
    assert states(engine) == [("1", "pending"), ("2", "pending")]
    assert outbox.owed(engine, SPP_IS)[0].attempts >= 3
    up = Hub()
    running(url, up, lambda: len(up.kept) == 2)
    assert [ref.split("/")[-1] for ref in up.kept] == ["1", "2"]
    assert states(engine) == [("1", "published"), ("2", "published")]
    again = Hub()
    running(url, again, lambda: bool(again.tries), timeout=0.5)
    assert again.tries == []  # published once: never sent again


def test_a_mutation_the_hub_refuses_is_kept_as_refused_and_not_sent_again(
    source: tuple[str, Engine],
) -> None:
    url, engine = source
    decided(engine, ris(ANNA, "R-9"))
    decided(engine, ris(BRUNO, "R-10"))
    hub = Hub(refusing=("spp-decision",))
    running(url, hub, lambda: len(hub.tries) >= 2)
    assert states(engine) == [("1", "refused"), ("1", "refused")]
    assert len(hub.tries) == 2


def test_a_source_seeded_before_it_had_an_outbox_gets_one_when_it_starts(
    source: tuple[str, Engine],
) -> None:
    url, engine = source
    outbox.table(SPP_IS).drop(engine)
    declared.receive(engine, SPP_IS, ris(ANNA, "R-11"), NOW)
    hub = Hub()
    running(url, hub, lambda: bool(hub.kept))
    assert states(engine) == [("1", "published")]
