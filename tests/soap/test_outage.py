"""A database outage on the SOAP endpoints: every operation — consultations (IdentifyPerson by
SSIN, PerformInvestigation, a ManageAccess LIST, RetrieveTIGroups on both addresses), the
phonetic search, the integration writes (ManageAccess REGISTER and UNREGISTER), with HTTP Basic
credentials or a registered client address — answers a SOAP fault with the hub's stable code
(``journal-unavailable``, SSDN reason 33000003, Tx25 reason MSG00003) and a ticket to quote:
never the generic "unexpected internal error", no traceback in the log, and no reply whose
ticket the journal does not hold. The WSDLs, the CBSS schemas and liveness need no database
and answer all along; the hub serves again once the database is back.

PostgreSQL is stopped under load on a throwaway cluster of the test's own; the SQLite database
is served read-only (as SQLite opens a file its user may not write)."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from lxml import etree
from sqlalchemy import Engine

from carrefour.db import build_engine, metadata
from carrefour.journal.chain import UNAVAILABLE
from carrefour.journal.services import by_ticket
from carrefour.soap.codes import TICKETS
from carrefour.soap.wsdl import SCHEMAS_PATH, SSDN_PATH, TX25_LEGACY_PATH, TX25_PATH
from carrefour.tables import load_all_tables
from tests.pgcluster import throwaway_cluster
from tests.soap.conftest import JEAN, LUC, SoapNetwork, soap_network
from tests.soap.messages import (
    NS,
    identify,
    investigation,
    manage_access,
    person_data,
    phonetic,
    ssdn_request,
)
from tests.soap.schemas import assert_valid, soap_body_child, ssdn_reply_schema, validated_fault
from tests.sqlitefile import assert_no_traceback, read_only_switch, written_database

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
WSC = "http://ksz-bcss.fgov.be/connectors/WebServiceConnector"
V2 = "http://kszbcss.fgov.be/intf/RetrieveTIGroupsService/v2"
PROOF_LUC = person_data("Dupont", "Luc", "1990-01-15")


@dataclass(frozen=True)
class Operation:
    name: str
    path: str
    envelope: Callable[[SoapNetwork], str]
    by_address: bool = False  # no credentials: the client is known by its address

    @property
    def tx25(self) -> bool:
        return self.path != SSDN_PATH


def _ssdn(*services: tuple[str, str], org_unit: bool = False) -> Callable[[SoapNetwork], str]:
    def envelope(soap: SoapNetwork) -> str:
        inner = etree.Element(f"{{{WSC}}}xmlString", nsmap={"wsc": WSC})
        inner.text = ssdn_request(*services, org_unit=soap.cbe["cpas"] if org_unit else None)
        return (f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV}"><soapenv:Body>'
                f"{etree.tostring(inner, encoding='unicode')}</soapenv:Body></soapenv:Envelope>")
    return envelope


def _tx25(soap: SoapNetwork) -> str:
    return (
        f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV}"><soapenv:Body>'
        f'<v2:retrieveTIGroupsRequest xmlns:v2="{V2}"><informationCustomer>'
        f"<customerIdentification><cbeNumber>{soap.cbe['cpas']}</cbeNumber>"
        "</customerIdentification></informationCustomer>"
        "<legalContext>PCSA:SOCIAL_INQUIRY</legalContext>"
        f"<searchInformation><ssin>{JEAN}</ssin></searchInformation>"
        "</v2:retrieveTIGroupsRequest></soapenv:Body></soapenv:Envelope>"
    )


_TODAY = dt.date.today().isoformat()
OPERATIONS = (  # in an order a healthy hub answers without a refusal
    Operation("identify-by-ssin", SSDN_PATH, _ssdn(identify(f"<ipr:SSIN>{JEAN}</ipr:SSIN>"))),
    Operation("phonetic-search", SSDN_PATH, _ssdn(identify(phonetic("Dupont", "1961-04-12")))),
    Operation("by-client-address", SSDN_PATH,
              _ssdn(identify(f"<ipr:SSIN>{JEAN}</ipr:SSIN>"), org_unit=True), by_address=True),
    Operation("investigation", SSDN_PATH, _ssdn(investigation(JEAN))),
    Operation("manage-access-register", SSDN_PATH,
              _ssdn(manage_access(LUC, "REGISTER", start=_TODAY, proof=PROOF_LUC))),
    Operation("manage-access-list", SSDN_PATH,
              _ssdn(manage_access(LUC, "LIST", start=_TODAY, register="ALL"))),
    Operation("manage-access-unregister", SSDN_PATH,
              _ssdn(manage_access(LUC, "UNREGISTER", start=_TODAY, proof=PROOF_LUC))),
    Operation("tx25", TX25_PATH, _tx25),
    Operation("tx25-legacy-address", TX25_LEGACY_PATH, _tx25),
)
AUTHENTICATIONS = tuple(o for o in OPERATIONS  # HTTP Basic on each endpoint, an address
                        if o.name in ("identify-by-ssin", "by-client-address", "tx25"))
NO_DATABASE = (  # what a client reads before it calls: no database behind them
    SSDN_PATH + "?wsdl", TX25_PATH + "?wsdl", TX25_LEGACY_PATH + "?wsdl",
    SCHEMAS_PATH + "/be/fgov/kszbcss/types/common/CommonV3.xsd", "/health/live",
)


def _send(soap: SoapNetwork, operation: Operation) -> httpx.Response:
    made = soap.credentials["cpas"]
    auth = None if operation.by_address else (made.client_id, made.client_secret)
    return httpx.post(soap.url + operation.path, content=operation.envelope(soap).encode(),
                      auth=auth, timeout=30, headers={"Content-Type": "text/xml; charset=utf-8"})


def _ask(soap: SoapNetwork, operations: tuple[Operation, ...] = OPERATIONS
         ) -> dict[Operation, httpx.Response]:
    return {operation: _send(soap, operation) for operation in operations}


def _ask_once_recovered(soap: SoapNetwork, *, within: float = 10.0
                        ) -> dict[Operation, httpx.Response]:
    """Every operation asked again until all answer, for at most ``within`` seconds: the hub
    finds the restarted database at its next attempt, which may come a moment after it is
    back (on a loaded machine the first attempts may still be refused)."""
    deadline = time.monotonic() + within
    answers = _ask(soap)
    while (any(r.status_code != 200 for r in answers.values())
           and time.monotonic() < deadline):
        time.sleep(0.2)
        answers = _ask(soap)
    return answers


def _assert_refused_as_unavailable(answers: dict[Operation, httpx.Response]) -> None:
    for operation, response in answers.items():
        assert response.status_code == 500, (operation.name, response.text)
        fault = validated_fault(response.content, tx25=operation.tx25)
        assert fault.findtext("faultcode") == "soapenv:Server", operation.name
        assert fault.findtext("faultstring") == UNAVAILABLE, (operation.name, response.text)
        if operation.tx25:
            _assert_tx25_detail(fault)
        else:
            _assert_ssdn_detail(fault)


def _assert_ssdn_detail(fault: etree._Element) -> None:
    summary = fault.find("detail/c:ResultSummary", NS)
    assert summary is not None
    assert_valid(ssdn_reply_schema(), summary)  # the SSDN result model, as in a reply
    assert summary.get("ok") == "NO"
    assert summary.findtext("c:ReturnCode", namespaces=NS) == "10000"
    assert summary.findtext("c:Detail/c:ReasonCode", namespaces=NS) == "33000003"
    diagnostic = summary.findtext("c:Detail/c:Diagnostic", namespaces=NS) or ""
    assert diagnostic.startswith("journal-unavailable: "), diagnostic
    fields = summary.findall("c:Detail/c:Information", NS)
    assert [f.findtext("c:FieldName", namespaces=NS) for f in fields] == ["ticket"]
    assert fields[0].findtext("c:FieldValue", namespaces=NS)


def _assert_tx25_detail(fault: etree._Element) -> None:
    detail = fault.find(f"detail/{{{V2}}}retrieveTIGroupsFault")
    assert detail is not None
    assert detail.findtext("detail/reasonCode") == "MSG00003"
    diagnostic = detail.findtext("detail/diagnostic") or ""
    assert diagnostic.startswith("journal-unavailable: "), diagnostic
    assert detail.findtext("informationCBSS/ticketCBSS")


def _tickets(operation: Operation, response: httpx.Response) -> list[str]:
    """The journal tickets a reply names: each service's (SSDN), the exchange's (Tx25)."""
    reply = soap_body_child(response.content)
    if operation.tx25:
        return [reply.findtext("informationCBSS/ticketCBSS") or ""]
    inner = etree.fromstring((reply.text or "").encode())
    path = f"ssdn:ServiceReply/c:ResultSummary/c:Detail[c:ReasonCode='{TICKETS}']" \
           "/c:Information/c:FieldValue"
    return [str(found.text) for found in inner.iterfind(path, NS)]


def _under_load(soap: SoapNetwork, fault: Callable[[], None]
                ) -> list[tuple[Operation, httpx.Response]]:
    """Every operation sent over and over by 6 clients, ``fault`` injected meanwhile; what
    each was answered."""
    stop = threading.Event()

    def client(first: int) -> list[tuple[Operation, httpx.Response]]:
        answered, turn = [], first
        while not stop.is_set():
            operation = OPERATIONS[turn % len(OPERATIONS)]
            answered.append((operation, _send(soap, operation)))
            turn += 1
        return answered

    with ThreadPoolExecutor(max_workers=6) as pool:
        clients = [pool.submit(client, n) for n in range(6)]
        time.sleep(0.5)
        fault()
        time.sleep(0.5)
        stop.set()
        return [answer for c in clients for answer in c.result()]


def _assert_answered(answers: dict[Operation, httpx.Response]) -> list[str]:
    """Each operation answered, naming its journal tickets; the tickets."""
    tickets = []
    for operation, response in answers.items():
        assert response.status_code == 200, (operation.name, response.text)
        named = _tickets(operation, response)
        assert named and all(named), (operation.name, response.text)
        tickets += named
    return tickets


def _assert_answered_or_refused(answers: list[tuple[Operation, httpx.Response]]) -> list[str]:
    """Under load as the database stops: each answered (its tickets), or refused as
    unavailable — never the generic internal error."""
    tickets = []
    for operation, response in answers:
        if response.status_code == 200:
            tickets += _assert_answered({operation: response})
        else:
            _assert_refused_as_unavailable({operation: response})
    return tickets


def _assert_journaled(engine: Engine, tickets: list[str]) -> None:
    missing = [t for t in tickets if by_ticket(engine, t) is None]
    assert not missing, f"{len(missing)} of {len(tickets)} replies' tickets not journaled"


def _assert_served_without_database(soap: SoapNetwork) -> None:
    for path in NO_DATABASE:
        response = httpx.get(soap.url + path, timeout=30)
        assert response.status_code == 200, (path, response.text)


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Iterator[tuple[Engine, Path]]:
    """A hub database written by the test, and its file."""
    with written_database(tmp_path) as made:
        yield made


def test_a_sqlite_file_turned_read_only_under_load_answers_journal_unavailable_faults(
    sqlite_file: tuple[Engine, Path], national_register: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    engine, database = sqlite_file
    turn_read_only = read_only_switch(engine, database)
    with soap_network(engine, national_register) as soap:
        tickets = _assert_answered(_ask(soap))  # the callers' credentials known from then on
        during = _under_load(soap, turn_read_only)
        answers = _ask(soap)
        tickets += _assert_answered_or_refused(during)
        _assert_served_without_database(soap)
    _assert_refused_as_unavailable(answers)
    assert_no_traceback(caplog)
    _assert_journaled(engine, tickets)


def test_a_hub_started_on_a_read_only_sqlite_file_refuses_its_callers_with_the_same_fault(
    sqlite_file: tuple[Engine, Path], national_register: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    engine, database = sqlite_file
    read_only = build_engine(f"sqlite:///file:{database}?mode=ro&uri=true")
    try:
        with soap_network(engine, national_register, hub_engine=read_only) as soap:
            answers = _ask(soap, AUTHENTICATIONS)  # the authentication cannot be journaled
            _assert_served_without_database(soap)
    finally:
        read_only.dispose()
    _assert_refused_as_unavailable(answers)
    assert_no_traceback(caplog)


@pytest.mark.slow
def test_postgresql_stopped_under_load_answers_journal_unavailable_faults_then_serves_again(
    national_register: str, caplog: pytest.LogCaptureFixture
) -> None:
    with throwaway_cluster() as cluster:
        load_all_tables()
        engine = build_engine(cluster.url, pool_size=16)
        metadata.create_all(engine)
        try:
            with soap_network(engine, national_register) as soap:
                tickets = _assert_answered(_ask(soap))
                during = _under_load(soap, cluster.stop)
                time.sleep(1.1)  # the reference cache checks the database again
                stopped = _ask(soap)
                _assert_served_without_database(soap)
                cluster.start()
                tickets += _assert_answered_or_refused(during)
                tickets += _assert_answered(_ask_once_recovered(soap))
                _assert_journaled(engine, tickets)
        finally:
            engine.dispose()
    _assert_refused_as_unavailable(stopped)
    assert_no_traceback(caplog)
