"""``/metrics``: the Prometheus series read after a known number of exchanges, and the scrape
token that guards them."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from carrefour.journal.tables import journal_entries as journal
from tests.exchange.conftest import METRICS_TOKEN, Network
from tests.exchange.test_consultations import LEGAL
from tests.people import ALICE

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(network: Network, token: str | None = METRICS_TOKEN) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.get(f"{network.url}/metrics", headers=headers, timeout=30)


def samples(network: Network) -> Samples:
    response = scrape(network)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(series: Samples, name: str, **labels: str) -> float:
    return series.get((name, frozenset(labels.items())), 0.0)


def test_exchanges_are_counted_by_service_outcome_and_client_kind(network: Network) -> None:
    network.sources["national-register"].files["legal-data"] = {ALICE: LEGAL}
    before = samples(network)
    for _ in range(3):
        assert network.consult("legal-data", ALICE).status_code == 200
    assert network.consult("legal-data", "85073003329").status_code == 422
    after = samples(network)
    ok = {"service": "legal-data", "outcome": "ok", "client_kind": "cpas", "channel": "rest"}
    refused = {**ok, "outcome": "invalid-niss"}
    name = "carrefour_exchanges_total"
    assert value(after, name, **ok) - value(before, name, **ok) == 3
    assert value(after, name, **refused) - value(before, name, **refused) == 1
    latency = "carrefour_exchange_duration_seconds_count"
    assert value(after, latency, service="legal-data") - value(
        before, latency, service="legal-data") == 4


def test_each_source_has_its_latency_and_availability(network: Network) -> None:
    register = network.institutions["national-register"]
    source = {"source": register.cbe, "kind": "national-register"}
    network.sources["national-register"].files["legal-data"] = {ALICE: LEGAL}
    assert network.consult("legal-data", ALICE).status_code == 200
    series = samples(network)
    assert value(series, "carrefour_source_up", **source) == 1
    assert value(series, "carrefour_source_duration_seconds_count", **source) >= 1
    network.sources["national-register"].broken = True
    assert network.consult("legal-data", ALICE).status_code == 502
    series = samples(network)
    assert value(series, "carrefour_source_up", **source) == 0
    assert value(series, "carrefour_source_requests_total", **source,
                 status="source-unavailable") >= 1


def test_the_journal_group_commit_and_the_outbox_are_measured(network: Network) -> None:
    series = samples(network)
    assert value(series, "carrefour_journal_batch_size_count") >= 1
    assert value(series, "carrefour_journal_commit_duration_seconds_count") >= 1
    assert value(series, "carrefour_outbox_backlog", state="pending") == 0
    assert value(series, "carrefour_outbox_oldest_pending_age_seconds") == 0
    assert ("carrefour_dead_letters", frozenset()) in series


def test_authentication_failures_are_counted(network: Network) -> None:
    name = "carrefour_authentication_failures_total"
    before = value(samples(network), name, channel="rest", code="invalid-credentials")
    for _ in range(2):
        refused = httpx.post(f"{network.url}/oauth/token", timeout=30, data={
            "grant_type": "client_credentials", "client_id": "nobody", "client_secret": "x"})
        assert refused.json()["error"] == "invalid_client"
    after = value(samples(network), name, channel="rest", code="invalid-credentials")
    assert after - before == 2


def test_a_scraper_without_the_token_is_refused_and_journaled(network: Network) -> None:
    for token in (None, "not-the-scrape-token-000000"):
        response = scrape(network, token)
        assert response.status_code == 401
        assert response.json()["code"] == "unauthenticated"
        assert "carrefour_" not in response.text
    with network.engine.connect() as connection:
        outcomes = connection.execute(
            select(journal.c.outcome).where(journal.c.action == "metrics-scrape")
        ).scalars().all()
    assert outcomes.count("unauthenticated") == 2


def test_a_successful_scrape_is_journaled(network: Network) -> None:
    samples(network)
    with network.engine.connect() as connection:
        outcomes = connection.execute(
            select(journal.c.outcome, journal.c.channel).where(
                journal.c.action == "metrics-scrape")
        ).all()
    assert [tuple(row) for row in outcomes] == [("ok", "admin")]
