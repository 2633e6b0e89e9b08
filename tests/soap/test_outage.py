"""A database outage on the SOAP endpoints: the SSDN connector and RetrieveTIGroups (Tx25)
answer a SOAP fault with the hub's stable code (``journal-unavailable``, SSDN reason 33000003,
Tx25 reason MSG00003) and a ticket to quote — not the generic "unexpected internal error" —
with no traceback in the log, and serve again once the database is back.

PostgreSQL is stopped on a throwaway cluster of the test's own; the SQLite database is served
read-only (as SQLite opens a file its user may not write)."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from lxml import etree
from sqlalchemy import Engine

from carrefour.db import build_engine, metadata
from carrefour.journal.chain import UNAVAILABLE
from carrefour.soap.wsdl import SSDN_PATH, TX25_PATH
from carrefour.tables import load_all_tables
from tests.pgcluster import throwaway_cluster
from tests.soap.conftest import JEAN, SoapNetwork, soap_network
from tests.soap.messages import NS, identify, ssdn_request
from tests.soap.schemas import assert_valid, ssdn_reply_schema, validated_fault

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
WSC = "http://ksz-bcss.fgov.be/connectors/WebServiceConnector"
V2 = "http://kszbcss.fgov.be/intf/RetrieveTIGroupsService/v2"


@dataclass(frozen=True)
class Answers:
    ssdn: httpx.Response
    tx25: httpx.Response


def _post(url: str, envelope: str, auth: tuple[str, str]) -> httpx.Response:
    return httpx.post(url, content=envelope.encode(), auth=auth, timeout=30,
                      headers={"Content-Type": "text/xml; charset=utf-8"})


def _ssdn(soap: SoapNetwork) -> httpx.Response:
    inner = etree.Element(f"{{{WSC}}}xmlString", nsmap={"wsc": WSC})
    inner.text = ssdn_request(identify(f"<ipr:SSIN>{JEAN}</ipr:SSIN>"))
    envelope = (f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV}"><soapenv:Body>'
                f"{etree.tostring(inner, encoding='unicode')}</soapenv:Body></soapenv:Envelope>")
    made = soap.credentials["cpas"]
    return _post(soap.url + SSDN_PATH, envelope, (made.client_id, made.client_secret))


def _tx25(soap: SoapNetwork) -> httpx.Response:
    envelope = (
        f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV}"><soapenv:Body>'
        f'<v2:retrieveTIGroupsRequest xmlns:v2="{V2}"><informationCustomer>'
        f"<customerIdentification><cbeNumber>{soap.cbe['cpas']}</cbeNumber>"
        "</customerIdentification></informationCustomer>"
        "<legalContext>PCSA:SOCIAL_INQUIRY</legalContext>"
        f"<searchInformation><ssin>{JEAN}</ssin></searchInformation>"
        "</v2:retrieveTIGroupsRequest></soapenv:Body></soapenv:Envelope>"
    )
    made = soap.credentials["cpas"]
    return _post(soap.url + TX25_PATH, envelope, (made.client_id, made.client_secret))


def _ask(soap: SoapNetwork) -> Answers:
    return Answers(ssdn=_ssdn(soap), tx25=_tx25(soap))


def _assert_ssdn_journal_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 500, response.text
    fault = validated_fault(response.content, tx25=False)
    assert fault.findtext("faultcode") == "soapenv:Server"
    assert fault.findtext("faultstring") == UNAVAILABLE
    summary = fault.find("detail/c:ResultSummary", NS)
    assert summary is not None, response.text
    assert_valid(ssdn_reply_schema(), summary)  # the SSDN result model, as in a reply
    assert summary.get("ok") == "NO"
    assert summary.findtext("c:ReturnCode", namespaces=NS) == "10000"
    assert summary.findtext("c:Detail/c:ReasonCode", namespaces=NS) == "33000003"
    diagnostic = summary.findtext("c:Detail/c:Diagnostic", namespaces=NS) or ""
    assert diagnostic.startswith("journal-unavailable: "), diagnostic
    fields = summary.findall("c:Detail/c:Information", NS)
    assert [f.findtext("c:FieldName", namespaces=NS) for f in fields] == ["ticket"]
    assert fields[0].findtext("c:FieldValue", namespaces=NS)


def _assert_tx25_journal_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 500, response.text
    fault = validated_fault(response.content, tx25=True)  # detail: a valid CBSSFaultType
    assert fault.findtext("faultcode") == "soapenv:Server"
    assert fault.findtext("faultstring") == UNAVAILABLE
    detail = fault.find(f"detail/{{{V2}}}retrieveTIGroupsFault")
    assert detail is not None
    assert detail.findtext("detail/reasonCode") == "MSG00003"
    diagnostic = detail.findtext("detail/diagnostic") or ""
    assert diagnostic.startswith("journal-unavailable: "), diagnostic
    assert detail.findtext("informationCBSS/ticketCBSS")


def _assert_answered(answers: Answers) -> None:
    assert answers.ssdn.status_code == 200, answers.ssdn.text
    assert answers.tx25.status_code == 200, answers.tx25.text


def _no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    tracebacks = [r for r in caplog.records if r.exc_info and r.levelno >= logging.ERROR
                  and r.name.startswith(("carrefour", "uvicorn"))]
    assert not tracebacks, [r.getMessage() for r in tracebacks]


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Iterator[tuple[Engine, Engine]]:
    """A hub database written by the test, and the same file opened read-only."""
    database = tmp_path / "hub.sqlite3"
    load_all_tables()
    engine = build_engine(f"sqlite:///{database}")
    metadata.create_all(engine)
    read_only = build_engine(f"sqlite:///file:{database}?mode=ro&uri=true")
    try:
        yield engine, read_only
    finally:
        engine.dispose()
        read_only.dispose()


def test_a_read_only_sqlite_database_answers_a_journal_unavailable_fault(
    sqlite_file: tuple[Engine, Engine], national_register: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    engine, read_only = sqlite_file
    with soap_network(engine, national_register, hub_engine=read_only) as soap:
        answers = _ask(soap)
    _assert_ssdn_journal_unavailable(answers.ssdn)
    _assert_tx25_journal_unavailable(answers.tx25)
    _no_traceback(caplog)


@pytest.mark.slow
def test_postgresql_stopped_answers_a_journal_unavailable_fault_then_serves_again(
    national_register: str, caplog: pytest.LogCaptureFixture
) -> None:
    with throwaway_cluster() as cluster:
        load_all_tables()
        engine = build_engine(cluster.url)
        metadata.create_all(engine)
        try:
            with soap_network(engine, national_register) as soap:
                _assert_answered(_ask(soap))
                cluster.stop()
                time.sleep(1.1)  # the reference cache checks the database again
                answers = _ask(soap)
                cluster.start()
                again = _ask(soap)
        finally:
            engine.dispose()
    _assert_ssdn_journal_unavailable(answers.ssdn)
    _assert_tx25_journal_unavailable(answers.tx25)
    _no_traceback(caplog)
    _assert_answered(again)
