"""The console during a database outage: every page of a signed-in operator, DPO or citizen,
and signing in, answer a 503 page in the visitor's language naming the journal's
unavailability and the ticket to quote — never a 500, never a traceback in the log; the
sign-in form itself needs no database and is shown all along.

PostgreSQL is stopped on a throwaway cluster of the test's own; the SQLite file is turned
read-only while the hub serves it."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from carrefour.auth.services import NewCredentials, Scope, create_credentials
from carrefour.console import sessions
from carrefour.console.domain import CITIZEN_ROLE, DPO_ROLE, Session
from carrefour.db import build_engine, metadata
from carrefour.tables import load_all_tables
from tests.exchange.conftest import SECRET, Network, open_network
from tests.exchange.source_double import SourceDouble
from tests.people import ALICE
from tests.pgcluster import throwaway_cluster
from tests.sqlitefile import assert_no_traceback, read_only_switch, written_database

UNAVAILABLE_NL = "Het logboek kon niet worden geschreven; de uitwisseling werd niet uitgevoerd."
TICKET = re.compile(r'<code class="ticket">[0-9a-f-]{36}</code>')
PAGES = {  # who visits: the pages of their views
    "operator": ("/console/dashboard", "/console/dashboard/live", "/console/ticket?ticket=x",
                 "/console/institutions", "/console/credentials", "/console/deliberations",
                 "/console/availability", "/console/audit", "/console/statistics",
                 "/console/statistics/tables", "/console/statistics.csv"),
    "dpo": ("/console/exchanges", "/console/exchanges.csv"),
    "citizen": ("/console/mine", "/console/mine.csv"),
}


@dataclass
class Visitors:
    url: str
    cookies: dict[str, str]  # a session cookie per visitor
    staff: NewCredentials  # the operator institution's credentials, to sign in


def _visitors(net: Network) -> Visitors:
    operator = net.institutions["operator"]
    staff = create_credentials(net.engine, institution_id=operator.id, scopes=[Scope.ADMIN])
    signed = {
        "operator": Session(kind="staff", end_user_id="jdoe", role="operator", language="nl",
                            client_id=staff.client_id, institution_id=operator.id,
                            scopes=frozenset({"admin"})),
        "dpo": Session(kind="staff", end_user_id="dpo-1", role=DPO_ROLE, language="nl",
                       client_id="cpas", institution_id=net.institutions["cpas"].id,
                       scopes=frozenset({"consult"})),
        "citizen": Session(kind="citizen", end_user_id="eid-1", role=CITIZEN_ROLE,
                           language="nl", niss=ALICE),
    }
    cookies = {who: sessions.encode(s, secret=SECRET, minutes=30) for who, s in signed.items()}
    return Visitors(url=net.url, cookies=cookies, staff=staff)


def _visit(visitors: Visitors) -> dict[str, httpx.Response]:
    answers = {}
    for who, pages in PAGES.items():
        with httpx.Client(base_url=visitors.url, timeout=30, headers={"Accept-Language": "nl"},
                          cookies={sessions.COOKIE: visitors.cookies[who]}) as client:
            answers |= {page: client.get(page) for page in pages}
    answers["sign-in"] = httpx.post(f"{visitors.url}/console/login", timeout=30, data={
        "client_id": visitors.staff.client_id, "client_secret": visitors.staff.client_secret,
        "end_user_id": "jdoe", "role": "operator"}, headers={"Accept-Language": "nl"})
    return answers


def _assert_shown(answers: dict[str, httpx.Response]) -> None:
    for page, response in answers.items():
        assert response.status_code in (200, 303), (page, response.status_code, response.text)


def _assert_unavailable_pages(answers: dict[str, httpx.Response]) -> None:
    """Each a 503 page in Dutch (the visitor's language) with the ticket to quote."""
    for page, response in answers.items():
        assert response.status_code == 503, (page, response.status_code, response.text)
        assert response.headers["content-type"] == "text/html; charset=utf-8", page
        assert response.headers["content-language"] == "nl", page
        assert UNAVAILABLE_NL in response.text, (page, response.text)
        assert TICKET.search(response.text), (page, response.text)


def _assert_sign_in_form_shown(url: str) -> None:
    assert httpx.get(f"{url}/console/login", timeout=30).status_code == 200


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Iterator[tuple[Engine, Path]]:
    with written_database(tmp_path) as made:
        yield made


def test_a_sqlite_file_turned_read_only_answers_503_pages_in_the_console(
    sqlite_file: tuple[Engine, Path], _doubles: dict[str, tuple[SourceDouble, str]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    engine, database = sqlite_file
    turn_read_only = read_only_switch(engine, database)
    with open_network(engine, _doubles) as net:
        visitors = _visitors(net)
        _assert_shown(_visit(visitors))
        turn_read_only()
        answers = _visit(visitors)
        _assert_sign_in_form_shown(net.url)
    _assert_unavailable_pages(answers)
    assert_no_traceback(caplog)


@pytest.mark.slow
def test_postgresql_stopped_answers_503_pages_in_the_console_then_serves_again(
    _doubles: dict[str, tuple[SourceDouble, str]], caplog: pytest.LogCaptureFixture
) -> None:
    with throwaway_cluster() as cluster:
        load_all_tables()
        engine = build_engine(cluster.url)
        metadata.create_all(engine)
        try:
            with open_network(engine, _doubles) as net:
                visitors = _visitors(net)
                _assert_shown(_visit(visitors))
                cluster.stop()
                time.sleep(1.1)  # the reference cache checks the database again
                answers = _visit(visitors)
                _assert_sign_in_form_shown(net.url)
                cluster.start()
                _assert_shown(_visit(visitors))
        finally:
            engine.dispose()
    _assert_unavailable_pages(answers)
    assert_no_traceback(caplog)
