"""The data warehouse's statistics over HTTP: the console's page (fr/nl/de, htmx tables,
CSV) and the API's CSV, for operators only, journaled, refusals and bad input included."""

from __future__ import annotations

import csv
import datetime as dt
import io

import httpx
import pytest

from carrefour.journal import services as journal
from tests.console.conftest import Console, sign_in

pytestmark = pytest.mark.slow  # each test starts a hub and seeds its exchanges (~10 s)


def _client(console: Console, lang: str = "fr") -> httpx.Client:
    return httpx.Client(base_url=console.net.url, headers={"Accept-Language": lang},
                        timeout=30, follow_redirects=True)


def _outcomes(console: Console, action: str) -> list[tuple[str | None, str]]:
    since = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    return [(e.end_user_role, e.outcome) for e in journal.recent(console.net.engine, since)
            if e.action == action]


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_an_operator_sees_the_statistics_page_in_the_three_languages(console: Console) -> None:
    titles = {"fr": "Personnes distinctes par donnée et destinataire",
              "nl": "Unieke personen per gegeven en ontvanger",
              "de": "Verschiedene Personen pro Datum und Empfänger"}
    cpas = console.net.institutions["cpas"]
    with _client(console) as client:
        sign_in(client, console.operator, "operator")
        pages = {lang: client.get("/console/statistics", params={"lang": lang})
                 for lang in titles}
        tables = client.get("/console/statistics/tables", params={"by": "institution"})
        refusals = client.get("/console/statistics.csv", params={"table": "latency"})
    for lang, page in pages.items():
        assert page.status_code == 200 and titles[lang] in page.text
    assert 'hx-get="/console/statistics/tables"' in pages["fr"].text
    assert "<html" not in tables.text and cpas.name_fr in tables.text
    assert "legal-data" in pages["fr"].text and cpas.kind in pages["fr"].text
    latency = _rows(refusals.text)
    assert refusals.headers["content-type"].startswith("text/csv")
    assert {r["service"] for r in latency} >= {"legal-data", "unemployment"}
    looked = _outcomes(console, "console-statistics")
    assert looked.count(("operator", "ok")) == 5  # three pages, the tables, the CSV


def test_a_dpo_is_refused_the_statistics_and_the_refusal_journaled(console: Console) -> None:
    with _client(console) as client:
        sign_in(client, console.dpo, "dpo")
        page = client.get("/console/statistics")
        export = client.get("/console/statistics.csv")
    assert page.status_code == 403 and export.status_code == 403
    assert _outcomes(console, "console-statistics") == [("dpo", "forbidden")] * 2


def test_bad_periods_groupings_and_tables_on_the_page_are_clear_refusals(
    console: Console
) -> None:
    with _client(console, "nl") as client:
        sign_in(client, console.operator, "operator")
        period = client.get("/console/statistics", params={"period": "2026-13"})
        grouping = client.get("/console/statistics/tables", params={"by": "sector"})
        table = client.get("/console/statistics.csv", params={"table": "wages"})
    assert period.status_code == 422 and "De periode is niet geldig" in period.text
    assert grouping.status_code == 422 and "niet zo worden gegroepeerd" in grouping.text
    assert table.status_code == 422 and "Deze statistieken bestaan niet" in table.text
    assert [o for _, o in _outcomes(console, "console-statistics")] == [
        "invalid-period", "invalid-grouping", "unknown-statistics"]


def test_the_api_gives_distinct_persons_and_usage_as_csv(console: Console) -> None:
    cbe = console.net.institutions["cpas"].cbe
    month = dt.datetime.now(dt.UTC).strftime("%Y-%m")
    with console.net.client("operator") as client:
        persons = client.get("/v1/statistics/persons.csv", params={"period": month})
        messages = client.get("/v1/statistics/usage.csv", params={"table": "messages"})
    assert persons.status_code == 200, persons.text
    found = {(r["datum"], r["recipient"]): int(r["persons"]) for r in _rows(persons.text)}
    assert found[("legal-data", "*")] == 2 and found[("legal-data", cbe)] == 2  # Alice, Bob
    assert found[("unemployment", cbe)] == 1
    kinds = {(r["service"], r["client_kind"]) for r in _rows(messages.text)}
    assert ("legal-data", console.net.institutions["cpas"].kind) in kinds
    assert persons.headers["carrefour-ticket"]
    entry = journal.by_ticket(console.net.engine, persons.headers["carrefour-ticket"])
    assert entry is not None and entry.entry.action == "admin-statistics-persons"


def test_the_api_refuses_a_client_without_the_admin_scope_and_bad_input(
    console: Console
) -> None:
    with console.net.client("cpas") as client:
        refused = client.get("/v1/statistics/persons.csv")
    with console.net.client("operator") as client:
        bad = [client.get("/v1/statistics/persons.csv", params={"period": "2026-02-30"}),
               client.get("/v1/statistics/persons.csv", params={"by": "sector"}),
               client.get("/v1/statistics/usage.csv", params={"table": "wages"})]
    assert refused.status_code == 403
    record = journal.by_ticket(console.net.engine, refused.json()["ticket"])
    assert record is not None and record.entry.outcome == refused.json()["code"]
    assert [(b.status_code, b.json()["code"]) for b in bad] == [
        (422, "invalid-period"), (422, "invalid-grouping"), (422, "unknown-statistics")]
