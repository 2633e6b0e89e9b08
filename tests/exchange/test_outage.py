"""A database outage: every path answers 503 with a stable code (``journal-unavailable``, the
exchange was not carried out) and, where the path names its journal entry, the ticket — never a
500, never a traceback in the log — and the hub serves again once the database is back.

PostgreSQL is stopped under load on a throwaway cluster of the test's own (never the shared
server). The SQLite database is served read-only, as SQLite opens a file its user may not
write (the test may run as root, whom ``chmod`` does not stop)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from carrefour.api.app import create_app
from carrefour.auth.services import Scope, create_credentials
from carrefour.bootstrap import build_hub
from carrefour.config import ObservabilitySettings, Settings
from carrefour.db import build_engine, metadata
from carrefour.tables import load_all_tables
from tests.exchange.conftest import METRICS_TOKEN, SECRET, USER, Network, open_network
from tests.exchange.source_double import SourceDouble
from tests.pgcluster import throwaway_cluster
from tests.servers import serving
from tests.sqlitefile import assert_no_traceback

ALICE = "85073003328"


@dataclass(frozen=True)
class Call:
    name: str
    method: str
    path: str
    who: str | None  # whose token; None: the token endpoint itself
    body: dict[str, object] | None = None


CALLS = (
    Call("consultation", "POST", "/v1/consultations", "cpas",
         {"service": "legal-data", "niss": ALICE, "capacity": 2, "end_user": USER}),
    Call("integration", "POST", "/v1/integrations", "cpas",
         {"niss": ALICE, "quality_code": 2, "end_user": USER}),
    Call("mutation", "POST", "/v1/mutations", "publisher",
         {"type": "address-change", "niss": ALICE, "source_id": "rn-1",
          "effective_date": dt.date.today().isoformat(),
          "data": {"address": {"street": "Rue Haute 1"}}}),
    Call("admin", "GET", "/v1/admin/institutions", "operator"),
    Call("feed", "GET", "/v1/feed", "cpas"),
    Call("metrics", "GET", "/metrics", "scraper"),
    Call("token", "POST", "/oauth/token", None),
)


def _publisher(net: Network) -> None:
    made = create_credentials(net.engine, institution_id=net.institutions["national-register"].id,
                              scopes=[Scope.PUBLISH])
    net.tokens["publisher"] = _token(net.url, made.client_id, made.client_secret)
    net.tokens["publisher-secret"] = f"{made.client_id}:{made.client_secret}"
    net.tokens["scraper"] = METRICS_TOKEN  # the scrape token, sent as a bearer token


def _token(url: str, client_id: str, secret: str) -> str:
    response = httpx.post(f"{url}/oauth/token", timeout=60, data={
        "grant_type": "client_credentials", "client_id": client_id, "client_secret": secret})
    response.raise_for_status()
    return str(response.json()["access_token"])


def _send(url: str, net: Network, call: Call) -> httpx.Response:
    if call.who is None:
        client_id, _, secret = net.tokens["publisher-secret"].partition(":")
        return httpx.post(f"{url}/oauth/token", timeout=30, data={
            "grant_type": "client_credentials", "client_id": client_id, "client_secret": secret})
    headers = {"Authorization": f"Bearer {net.tokens[call.who]}"}
    return httpx.request(call.method, f"{url}{call.path}", json=call.body, headers=headers,
                         timeout=30)


def _assert_refused_as_unavailable(responses: dict[str, httpx.Response]) -> None:
    for name, response in responses.items():
        body = response.json()
        assert response.status_code == 503, (name, response.status_code, body)
        assert body["code"] == "journal-unavailable", (name, body)
        media = "application/json" if name == "token" else "application/problem+json"
        assert response.headers["content-type"] == media, name  # the token's: RFC 6749
        assert body.get("ticket"), (name, body)


def _assert_not_ready_because_of_the_database(ready: httpx.Response,
                                              live: httpx.Response) -> None:
    body = ready.json()
    assert (ready.status_code, body["code"]) == (503, "not-ready"), body
    assert "the database is unavailable" in body["detail"], body  # the reason, in one line
    assert live.status_code == 200  # alive all the same: nothing to restart


@pytest.fixture
def pg_network(_doubles: dict[str, tuple[SourceDouble, str]]) -> Iterator[tuple[Network, object]]:
    with throwaway_cluster() as cluster:
        load_all_tables()
        engine = build_engine(cluster.url, pool_size=16)
        metadata.create_all(engine)
        try:
            with open_network(engine, _doubles) as net:
                _publisher(net)
                yield net, cluster
        finally:
            engine.dispose()


@pytest.mark.slow
def test_postgresql_stopped_under_load_answers_503_on_every_path_then_recovers(
    pg_network: tuple[Network, object], caplog: pytest.LogCaptureFixture
) -> None:
    net, cluster = pg_network
    net.sources["national-register"].files["legal-data"] = {ALICE: {"niss": ALICE}}
    assert net.integrate(ALICE).status_code == 201
    with ThreadPoolExecutor(max_workers=8) as pool:
        load = [pool.submit(net.consult, "legal-data", ALICE) for _ in range(40)]
        cluster.stop()  # type: ignore[attr-defined]
        statuses = {future.result().status_code for future in load}
        assert statuses <= {200, 503}, statuses  # each one answered, or refused: no 500
        time.sleep(1.1)  # the reference cache checks the database again
        responses = {call.name: _send(net.url, net, call) for call in CALLS}
        ready = httpx.get(f"{net.url}/health/ready", timeout=30)
        live = httpx.get(f"{net.url}/health/live", timeout=30)
    _assert_refused_as_unavailable(responses)
    assert_no_traceback(caplog)
    _assert_not_ready_because_of_the_database(ready, live)
    cluster.start()  # type: ignore[attr-defined]
    assert net.consult("legal-data", ALICE).status_code == 200
    assert httpx.get(f"{net.url}/health/ready", timeout=30).status_code == 200


def test_a_read_only_sqlite_database_answers_503_on_every_path(
    tmp_path: Path, _doubles: dict[str, tuple[SourceDouble, str]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    database = tmp_path / "hub.sqlite3"
    load_all_tables()
    engine = build_engine(f"sqlite:///{database}")
    metadata.create_all(engine)
    read_only: Engine | None = None
    try:
        with open_network(engine, _doubles) as net:
            _publisher(net)
            read_only = build_engine(f"sqlite:///file:{database}?mode=ro&uri=true")
            settings = Settings(
                database_url=str(read_only.url), token_secret=SECRET, source_timeout_seconds=1.0,
                observability=ObservabilitySettings(metrics_token=METRICS_TOKEN))
            with serving(create_app(build_hub(settings, engine=read_only))) as url:
                responses = {call.name: _send(url, net, call) for call in CALLS}
                ready = httpx.get(f"{url}/health/ready", timeout=30)
                live = httpx.get(f"{url}/health/live", timeout=30)
            assert httpx.get(f"{net.url}/health/ready", timeout=30).status_code == 200
    finally:
        engine.dispose()
        if read_only is not None:
            read_only.dispose()
    _assert_refused_as_unavailable(responses)
    assert_no_traceback(caplog)
    _assert_not_ready_because_of_the_database(ready, live)
