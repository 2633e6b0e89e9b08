"""The console over HTTP: each view by role, journaled; refusals journaled and shown."""

from __future__ import annotations

import datetime as dt
import re

import httpx
import pytest
from sqlalchemy import update

from carrefour.journal import services as journal
from carrefour.journal.tables import journal_entries
from tests.console.conftest import Console, sign_in
from tests.people import ALICE, BOB

pytestmark = pytest.mark.slow  # each test starts a hub and seeds its exchanges (~10 s)


def _client(console: Console, lang: str = "fr") -> httpx.Client:
    return httpx.Client(base_url=console.net.url, headers={"Accept-Language": lang},
                        timeout=30, follow_redirects=True)


def _entries(console: Console, action: str) -> list[journal.JournalEntry]:
    since = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    return [e for e in journal.recent(console.net.engine, since) if e.action == action]


def test_an_operator_finds_a_ticket_and_the_look_up_is_journaled(console: Console) -> None:
    with _client(console, "nl") as client:
        assert sign_in(client, console.operator, "operator").status_code == 200
        page = client.get("/console/ticket", params={"ticket": console.tickets["legal"]})
    assert page.status_code == 200
    assert "Een ticket opzoeken" in page.text and ALICE in page.text
    looked = _entries(console, "console-ticket")
    assert [(e.end_user_id, e.end_user_role, e.outcome) for e in looked] == [
        ("jdoe", "operator", "ok")]


def test_the_ticket_page_shows_the_trace_the_exchange_was_part_of(console: Console) -> None:
    trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    ticket = console.tickets["legal"]
    with console.net.engine.begin() as connection:  # as a traced exchange journals it
        connection.execute(update(journal_entries).where(journal_entries.c.ticket == ticket)
                           .values(trace_id=trace))
    with _client(console, "de") as client:
        assert sign_in(client, console.operator, "operator").status_code == 200
        page = client.get("/console/ticket", params={"ticket": ticket})
    assert page.status_code == 200
    assert re.search(r'id="trace"><code>' + trace + "</code>", page.text), page.text


def test_the_operator_views_answer_in_the_three_languages(console: Console) -> None:
    words = {"fr": "Tableau de bord en direct", "nl": "Live dashboard", "de": "Live-Übersicht"}
    with _client(console) as client:
        sign_in(client, console.operator, "operator")
        for lang, title in words.items():
            page = client.get("/console/dashboard", params={"lang": lang})
            assert title in page.text and page.headers["content-language"] == lang
        for view in ("institutions", "credentials", "deliberations", "availability", "audit"):
            assert client.get(f"/console/{view}").status_code == 200, view
        live = client.get("/console/dashboard/live").text
    assert re.search(r'id="rate">[0-9.]+<', live)
    assert "legal-data" in live  # its p99 row


def test_a_dpo_sees_only_their_institutions_exchanges_and_exports_them(console: Console) -> None:
    with _client(console) as client:
        sign_in(client, console.dpo, "dpo", name="dpo-namur")
        page = client.get("/console/exchanges", params={"niss": BOB})
        export = client.get("/console/exchanges.csv", params={"service": "legal-data"})
    assert page.status_code == 200 and BOB in page.text
    assert console.tickets["legal"] not in page.text  # Alice's: filtered out
    lines = export.text.strip().splitlines()
    assert export.headers["content-type"].startswith("text/csv")
    assert lines[0] == "date,ticket,end_user,role,service,niss,capacity,outcome"
    assert sorted(line.split(",")[5] for line in lines[1:]) == sorted([ALICE, BOB])


def test_a_bad_filter_is_a_clear_journaled_refusal(console: Console) -> None:
    with _client(console, "de") as client:
        sign_in(client, console.dpo, "dpo")
        page = client.get("/console/exchanges", params={"since": "2026-13-45"})
    assert page.status_code == 422 and "JJJJ-MM-TT" in page.text
    assert [e.outcome for e in _entries(console, "console-exchanges")][-1] == "invalid-input"


def test_a_user_without_the_role_is_refused_and_the_refusal_journaled(console: Console) -> None:
    with _client(console) as client:
        sign_in(client, console.dpo, "social-worker", name="sw-1")
        exchanges = client.get("/console/exchanges")
        sign_in(client, console.dpo, "dpo")
        dashboard = client.get("/console/dashboard")
    assert exchanges.status_code == 403 and dashboard.status_code == 403
    assert "Accès refusé" in dashboard.text
    refused = _entries(console, "console-exchanges") + _entries(console, "console-dashboard")
    assert {(e.end_user_role, e.outcome) for e in refused if e.outcome != "ok"} == {
        ("social-worker", "forbidden"), ("dpo", "forbidden")}


def test_wrong_credentials_and_an_unknown_role_do_not_sign_in(console: Console) -> None:
    with _client(console, "nl") as client:
        wrong = client.post("/console/login", data={
            "client_id": console.operator.client_id, "client_secret": "nope",
            "end_user_id": "x", "role": "operator"})
        unknown = sign_in(client, console.operator, "president")
        after = client.get("/console/dashboard")
    assert wrong.status_code == 401 and "De clientgegevens zijn niet geldig" in wrong.text
    assert unknown.status_code == 422
    assert after.url.path == "/console/login"  # no session


def test_without_a_session_a_page_sends_to_sign_in(console: Console) -> None:
    with _client(console) as client:
        page = client.get("/console/mine")
    assert page.url.path == "/console/login" and "Se connecter avec l&#39;eID" in page.text


def _citizen_signs_in(client: httpx.Client, console: Console, niss: str) -> httpx.Response:
    form = client.get("/console/oidc/start")
    assert form.url.host == "127.0.0.1" and str(form.url).startswith(console.eid_url)
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form.text))
    return client.post(f"{console.eid_url}/authorize", data={**fields, "niss": niss})


def test_a_citizen_signed_in_with_eid_sees_their_consultations_only(console: Console) -> None:
    with _client(console, "nl") as client:
        mine = _citizen_signs_in(client, console, ALICE)
        export = client.get("/console/mine.csv")
        dashboard = client.get("/console/dashboard")
    assert mine.url.path == "/console/mine" and "Wettelijke gegevens" in mine.text
    assert export.text.splitlines()[0] == "Datum,Instelling,Dienst,Doeleinde,Hoedanigheid"
    assert len(export.text.strip().splitlines()) == 2  # the confidential one withheld
    assert dashboard.status_code == 403
    looked = _entries(console, "console-mine")
    assert {(e.client, e.niss, e.outcome) for e in looked} == {("citizen", ALICE, "ok")}


def test_a_confidential_consultation_is_shown_after_its_release_date(console: Console) -> None:
    from carrefour.bootstrap import build_hub
    from carrefour.config import Settings
    from carrefour.console.services import consulted
    from carrefour.directory.cache import load_snapshot

    engine = console.net.engine
    hub = build_hub(Settings(database_url=str(engine.url), token_secret="x" * 32), engine=engine)
    snapshot = load_snapshot(engine)
    today = dt.date.today()
    now = consulted(hub, snapshot, ALICE, language="fr", today=today)
    later = consulted(hub, snapshot, ALICE, language="fr", today=today + dt.timedelta(days=90))
    assert [c.purpose for c in now] == ["Identification of persons by the CPAS (legal data)"]
    assert len(later) == 2
    assert later[0].service.startswith("Périodes et allocations de chômage")
    assert later[0].capacity.startswith("1 — ")
    hub.exchange.close()
    hub.auth.close()
