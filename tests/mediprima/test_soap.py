"""ManageCarmed over SOAP (Carrefour's own messages, schemas/ManageCarmedV1.xsd): every
operation of the REST face, journaled on the soap channel, each reply valid against the
schema; a caller without the right is refused with a SOAP fault."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
import requests
import zeep
from lxml import etree
from sqlalchemy import select
from zeep.transports import Transport

from carrefour.journal.tables import journal_entries
from carrefour.soap.wsdl import CARMED_NAMESPACE, CARMED_PATH, carmed_schema_text
from tests.mediprima.conftest import MediprimaNet, day, patient

MC = CARMED_NAMESPACE
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.fromstring(carmed_schema_text()))


def _decision(reference: str, start: int = 0, end: int = 89, coverage: str = "full",
              ceiling: int | None = None) -> str:
    extra = f"<ceiling>{ceiling}</ceiling>" if ceiling else ""
    return (f"<decision><reference>{reference}</reference><period><startDate>{day(start)}"
            f"</startDate><endDate>{day(end)}</endDate></period><coverage>{coverage}</coverage>"
            f"{extra}</decision>")


def envelope(net: MediprimaNet, operation: str, ssin: str, rest: str = "", *,
             who: str = "cpas", quality_code: int | None = 4) -> str:
    code = "" if quality_code is None else f"<qualityCode>{quality_code}</qualityCode>"
    return (
        f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV}" xmlns:mc="{MC}"><soapenv:Body>'
        f"<mc:{operation}Request><informationCustomer><ticket>CPAS-42</ticket>"
        f"<customerIdentification><cbeNumber>{net.members[who].cbe}</cbeNumber>"
        f"</customerIdentification></informationCustomer>"
        f"<legalContext>PCSA:MEDICAL_AID</legalContext><ssin>{ssin}</ssin>{code}{rest}"
        f"</mc:{operation}Request></soapenv:Body></soapenv:Envelope>")


def send(net: MediprimaNet, document: str, *, who: str | None = "cpas") -> httpx.Response:
    auth = net.basic[who] if who else None
    return httpx.post(net.url + CARMED_PATH, content=document.encode(), auth=auth, timeout=30,
                      headers={"Content-Type": "text/xml; charset=utf-8"})


def body(response: httpx.Response, schema: etree.XMLSchema) -> etree._Element:
    root = etree.fromstring(response.content)
    element = root.find(f"{{{SOAP_ENV}}}Body")[0]
    if element.tag == f"{{{SOAP_ENV}}}Fault":
        element = element.find("detail")[0]
    schema.assertValid(element)
    return element


def ask(net: MediprimaNet, schema: etree.XMLSchema, operation: str, ssin: str, rest: str = "",
        **options: Any) -> etree._Element:
    response = send(net, envelope(net, operation, ssin, rest, **options),
                    who=options.get("who", "cpas"))
    assert response.status_code == 200, response.text
    answer = body(response, schema)
    assert answer.tag == f"{{{MC}}}{operation}Response"
    return answer


def _channel(net: MediprimaNet, ticket: str) -> tuple[str, str, str]:
    with net.engine.connect() as connection:
        row = connection.execute(select(journal_entries).where(
            journal_entries.c.ticket == ticket)).mappings().one()
    return row["channel"], row["service"], row["outcome"]


def test_a_cpas_manages_its_decision_over_soap(net: MediprimaNet,
                                               schema: etree.XMLSchema) -> None:
    person = patient()
    net.integrate(person, 4, who="cpas")

    opened = ask(net, schema, "openCarmed", person, _decision("SOAP-1", ceiling=5000))
    assert opened.findtext("status/value") == "DATA_FOUND"
    assert opened.findtext("status/code") == "MSG00000"
    assert opened.findtext("informationCustomer/ticket") == "CPAS-42"  # echoed
    assert opened.findtext("result/decision/reference") == "SOAP-1"
    assert opened.findtext("result/decision/version") == "1"
    assert opened.findtext("result/replayed") == "false"
    assert opened.findtext("result/calculation/coveredDays") == "90"
    ticket = str(opened.findtext("informationCBSS/ticketCBSS"))
    assert _channel(net, ticket) == ("soap", "mediprima-open", "ok")

    again = ask(net, schema, "openCarmed", person, _decision("SOAP-1", ceiling=5000))
    assert again.findtext("result/replayed") == "true"

    simulated = ask(net, schema, "evaluateModifiedCarmed", person,
                    _decision("SOAP-1", end=119, coverage="ambulatory"))
    assert simulated.findtext("result/outcome") == "accepted"
    assert simulated.findtext("result/calculation/stateSharePercent") == "90"

    modified = ask(net, schema, "modifyCarmed", person, _decision("SOAP-1", end=119))
    assert modified.findtext("result/decision/version") == "2"
    assert modified.findtext("result/decision/period/endDate") == day(119)

    stopped = ask(net, schema, "stopCarmed", person,
                  f"<reference>SOAP-1</reference><endDate>{day(30)}</endDate>")
    assert stopped.findtext("result/decision/status") == "stopped"

    consulted = ask(net, schema, "consultCarmed", person, "<reference>SOAP-1</reference>",
                    quality_code=None)  # the CPAS's own file on the person
    assert consulted.findtext("result/cpas") == net.members["cpas"].cbe
    assert consulted.findtext("result/calculation/coveredDays") == "31"

    history = ask(net, schema, "consultCarmedHistory", person)
    assert [d.findtext("action") for d in history.findall("result/decision")] == [
        "open", "modify", "stop"]


def test_a_new_decision_is_simulated_without_being_registered(
    net: MediprimaNet, schema: etree.XMLSchema,
) -> None:
    person = patient()
    net.integrate(person, 4, who="cpas")
    simulated = ask(net, schema, "evaluateCarmed", person, _decision("SOAP-E"))
    assert simulated.findtext("result/outcome") == "accepted"
    unknown = ask(net, schema, "consultCarmed", person, "<reference>SOAP-E</reference>")
    assert unknown.findtext("status/value") == "NO_DATA_FOUND"
    assert str(unknown.findtext("status/description")).startswith("mediprima-unknown-decision")


def test_an_overlapping_decision_of_another_cpas_is_no_result(
    net: MediprimaNet, schema: etree.XMLSchema,
) -> None:
    person = patient()
    net.integrate(person, 4, who="cpas")
    net.integrate(person, 4, who="other-cpas")
    assert ask(net, schema, "openCarmed", person, _decision("SOAP-A")).findtext(
        "status/value") == "DATA_FOUND"
    refused = ask(net, schema, "openCarmed", person, _decision("SOAP-B", start=30, end=60),
                  who="other-cpas")
    assert refused.findtext("status/value") == "NO_RESULT"
    assert str(refused.findtext("status/description")).startswith("mediprima-overlap")
    assert refused.find("result") is None


def test_the_decision_s_rules_are_checked_before_mediprima_is_asked(
    net: MediprimaNet, schema: etree.XMLSchema,
) -> None:
    person = patient()
    net.integrate(person, 4, who="cpas")
    refused = ask(net, schema, "openCarmed", person, _decision("SOAP-L", end=400))
    assert refused.findtext("status/value") == "NO_RESULT"
    assert str(refused.findtext("status/description")).startswith("invalid-period")


def _fault(response: httpx.Response, schema: etree.XMLSchema) -> tuple[str, str]:
    fault = etree.fromstring(response.content).find(f"{{{SOAP_ENV}}}Body/{{{SOAP_ENV}}}Fault")
    assert fault is not None, response.text
    detail = body(response, schema)  # the manageCarmedFault, valid against the schema
    assert detail.tag == f"{{{MC}}}manageCarmedFault"
    return str(fault.findtext("faultcode")), str(detail.findtext("detail/reasonCode"))


def test_a_cpas_without_a_file_on_the_person_is_refused_with_a_soap_fault(
    net: MediprimaNet, schema: etree.XMLSchema,
) -> None:
    person = patient()
    response = send(net, envelope(net, "openCarmed", person, _decision("SOAP-X"),
                                  who="other-cpas"), who="other-cpas")
    assert response.status_code == 403
    assert _fault(response, schema) == ("soapenv:Client", "MSG00012")


def test_a_caller_without_a_deliberation_is_refused_with_a_soap_fault(
    net: MediprimaNet, schema: etree.XMLSchema,
) -> None:
    person = patient()
    net.integrate(person, 1, who="hospital")  # a care provider checks coverage only
    response = send(net, envelope(net, "openCarmed", person, _decision("SOAP-H"),
                                  who="hospital", quality_code=1), who="hospital")
    assert response.status_code == 403
    assert _fault(response, schema) == ("soapenv:Client", "MSG00013")
    with net.engine.connect() as connection:  # the refusal is journaled too
        outcomes = connection.execute(select(journal_entries.c.outcome).where(
            journal_entries.c.niss == person, journal_entries.c.channel == "soap")).scalars()
        assert list(outcomes) == ["no-deliberation"]


def test_without_credentials_or_as_another_organisation_it_is_a_fault(
    net: MediprimaNet, schema: etree.XMLSchema,
) -> None:
    person = patient()
    anonymous = send(net, envelope(net, "consultCarmedHistory", person), who=None)
    assert anonymous.status_code == 401
    assert _fault(anonymous, schema) == ("soapenv:Client", "MSG00002")
    other = send(net, envelope(net, "consultCarmedHistory", person, who="other-cpas"))
    assert other.status_code == 403
    assert _fault(other, schema) == ("soapenv:Client", "MSG00011")


def test_an_unknown_operation_or_a_malformed_request_is_a_client_fault(
    net: MediprimaNet, schema: etree.XMLSchema,
) -> None:
    unknown = envelope(net, "openCarmed", patient()).replace("openCarmedRequest",
                                                              "deleteCarmedRequest")
    assert _fault(send(net, unknown), schema)[0] == "soapenv:Client"
    no_ssin = envelope(net, "consultCarmedHistory", "").replace("<ssin></ssin>", "")
    response = send(net, no_ssin)
    assert response.status_code == 500
    assert _fault(response, schema) == ("soapenv:Client", "MSG00008")


def test_a_client_built_from_the_served_wsdl_reads_the_history(net: MediprimaNet) -> None:
    person = patient()
    net.integrate(person, 4, who="cpas")
    assert net.open(person, "SOAP-Z").status_code == 200
    session = requests.Session()  # zeep reads the WSDL from the hub, then calls it
    session.auth = net.basic["cpas"]
    client = zeep.Client(f"{net.url}{CARMED_PATH}?wsdl", transport=Transport(session=session))
    reply = client.service.consultCarmedHistory(
        informationCustomer={"ticket": "CPAS-7", "timestampSent": dt.datetime.now(dt.UTC),
                             "customerIdentification": {"cbeNumber": net.members["cpas"].cbe}},
        legalContext="PCSA:MEDICAL_AID", ssin=person, qualityCode=4)
    assert reply.status.value == "DATA_FOUND"
    assert [d.reference for d in reply.result.decision] == ["SOAP-Z"]
