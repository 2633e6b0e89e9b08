"""OpenTelemetry tracing: the caller's traceparent is followed, each pipeline step is a span,
the sources receive the trace context, and the journal entry keeps the trace id."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy import Engine, select

from carrefour.config import ObservabilitySettings
from carrefour.journal.tables import journal_entries
from carrefour.observability.tracing import build_tracing
from tests.exchange.conftest import USER, Network, open_network
from tests.exchange.source_double import SourceDouble
from tests.exchange.test_consultations import LEGAL, UNEMPLOYMENT
from tests.people import ALICE

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"
STEPS = {"validate", "finality", "authorization", "routing", "sources", "merge", "journal"}


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def traced(
    engine: Engine, _doubles: dict[str, tuple[SourceDouble, str]], exporter: InMemorySpanExporter
) -> Iterator[Network]:
    tracing = build_tracing(ObservabilitySettings(), exporter=exporter)
    with open_network(engine, _doubles, tracing=tracing) as net:
        yield net


def consult(network: Network, service: str, **headers: str) -> httpx.Response:
    body = {"service": service, "niss": ALICE, "capacity": 2, "end_user": USER}
    with network.client() as client:
        return client.post("/v1/consultations", json=body, headers=headers)


def test_a_traced_consultation_follows_the_callers_trace_to_the_journal_and_sources(
    traced: Network, exporter: InMemorySpanExporter
) -> None:
    assert traced.integrate(ALICE, code=2).status_code == 201
    traced.sources["onem"].files["unemployment"] = {ALICE: UNEMPLOYMENT}
    response = consult(traced, "unemployment", traceparent=TRACEPARENT)
    assert response.status_code == 200, response.text
    spans = [s for s in exporter.get_finished_spans() if s.context.trace_id == int(TRACE_ID, 16)]
    names = {span.name for span in spans}
    assert names >= STEPS, names
    assert "source onem" in names
    assert "POST /v1/consultations" in names
    sent = traced.sources["onem"].calls[-1]
    assert "traceparent" not in sent  # in the headers, not the body
    with traced.engine.connect() as connection:
        stored = connection.execute(select(journal_entries.c.trace_id).where(
            journal_entries.c.ticket == response.json()["ticket"])).scalar_one()
    assert stored == TRACE_ID


def test_the_source_receives_the_trace_context(
    traced: Network, exporter: InMemorySpanExporter
) -> None:
    received: list[str | None] = []
    double = traced.sources["national-register"]
    double.files["legal-data"] = {ALICE: LEGAL}
    double.on_request = lambda headers: received.append(headers.get("traceparent"))
    assert consult(traced, "legal-data", traceparent=TRACEPARENT).status_code == 200
    assert received and received[0] is not None
    assert received[0].split("-")[1] == TRACE_ID


def test_without_tracing_no_trace_id_is_journaled(network: Network) -> None:
    network.sources["national-register"].files["legal-data"] = {ALICE: LEGAL}
    response = consult(network, "legal-data", traceparent=TRACEPARENT)
    assert response.status_code == 200
    with network.engine.connect() as connection:
        stored = connection.execute(select(journal_entries.c.trace_id).where(
            journal_entries.c.ticket == response.json()["ticket"])).scalar_one()
    assert stored is None
