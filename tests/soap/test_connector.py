"""The SSDN connector: envelopes, several service requests, CDATA, how a client is
identified, and the WSDL served with the hub's address."""

from __future__ import annotations

from xml.sax.saxutils import escape

import httpx
import zeep
from lxml import etree

from carrefour.soap.wsdl import SSDN_PATH
from tests.soap.conftest import JEAN, SSDN_BINDING, SoapNetwork
from tests.soap.messages import (
    NS,
    context_code,
    identify,
    one,
    reasons,
    return_code,
    service_replies,
    ssdn_request,
)
from tests.soap.schemas import soap_body_child, validated_fault, validated_ssdn_reply
from tests.soap.test_identify_person import send

WSC = "http://ksz-bcss.fgov.be/connectors/WebServiceConnector"
SOAP_ACTION = "http://ksz-bcss.fgov.be/connectors/WebServiceConnector/sendXML"


def post_raw(soap: SoapNetwork, inner: str, **headers: str) -> httpx.Response:
    envelope = (
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        f'xmlns:wsc="{WSC}"><soapenv:Body><wsc:xmlString>{inner}</wsc:xmlString>'
        "</soapenv:Body></soapenv:Envelope>"
    )
    return httpx.post(soap.url + SSDN_PATH, content=envelope.encode(), timeout=10,
                      headers={"Content-Type": "text/xml; charset=utf-8",
                               "SOAPAction": SOAP_ACTION, **headers})


def reply_of(response: httpx.Response) -> etree._Element:
    assert response.status_code == 200, response.text
    return validated_ssdn_reply(str(soap_body_child(response.content).text))


def test_each_service_request_gets_its_own_reply_and_the_context_the_worst(
    soap: SoapNetwork,
) -> None:
    reply = send(soap, identify(f"<ipr:SSIN>{JEAN}</ipr:SSIN>"),
                 ("OCMWCPASUnknownService", "<x:Body xmlns:x='urn:x'/>"))
    ok, unknown = service_replies(reply)
    assert (return_code(ok), return_code(unknown)) == ("0", "10000")
    assert reasons(unknown) == ["31000010"]
    assert context_code(reply) == "10000"
    assert reasons(reply.find("ssdn:ReplyContext", NS)) == ["30000001"]


def test_an_older_client_sending_cdata_is_answered(soap: SoapNetwork) -> None:
    inner = f"<![CDATA[{ssdn_request(identify(f'<ipr:SSIN>{JEAN}</ipr:SSIN>'))}]]>"
    reply = reply_of(post_raw(soap, inner, Authorization=_basic(soap)))
    assert context_code(reply) == "0"


def test_a_client_without_credentials_is_admitted_by_its_registered_address(
    soap: SoapNetwork,
) -> None:
    inner = escape(ssdn_request(identify(f"<ipr:SSIN>{JEAN}</ipr:SSIN>"),
                                org_unit=soap.cbe["cpas"]))
    reply = reply_of(post_raw(soap, inner))
    assert context_code(reply) == "0"


def test_an_organisation_without_a_registered_address_is_refused_as_a_whole(
    soap: SoapNetwork,
) -> None:
    reply = send(soap, identify(f"<ipr:SSIN>{JEAN}</ipr:SSIN>"), who=None,
                 org_unit=soap.cbe["other-cpas"])
    assert context_code(reply) == "10000"
    assert reasons(reply.find("ssdn:ReplyContext", NS)) == ["30100001"]
    assert service_replies(reply) == []
    assert one(reply, "ssdn:ReplyContext/ssdn:Message/ssdn:Ticket")


def test_wrong_credentials_are_refused(soap: SoapNetwork) -> None:
    inner = escape(ssdn_request(identify(f"<ipr:SSIN>{JEAN}</ipr:SSIN>")))
    reply = reply_of(post_raw(soap, inner, Authorization="Basic bm9ib2R5Ondyb25n"))
    assert reasons(reply.find("ssdn:ReplyContext", NS)) == ["30100002"]


def test_an_authenticated_client_may_not_speak_for_another_organisation(
    soap: SoapNetwork,
) -> None:
    reply = send(soap, identify(f"<ipr:SSIN>{JEAN}</ipr:SSIN>"),
                 org_unit=soap.cbe["other-cpas"])
    assert reasons(reply.find("ssdn:ReplyContext", NS)) == ["30100004"]


def test_the_wsdl_is_served_with_the_hubs_own_address(soap: SoapNetwork) -> None:
    response = httpx.get(soap.url + SSDN_PATH + "?wsdl")
    assert response.status_code == 200
    address = etree.fromstring(response.content).find(
        ".//{http://schemas.xmlsoap.org/wsdl/soap/}address")
    assert address is not None and address.get("location") == soap.url + SSDN_PATH
    client = zeep.Client(soap.url + SSDN_PATH + "?wsdl")
    service = client.bind("KSZBCSSWebService", "KSZBCSSWebServiceConnectorPort")
    reply = validated_ssdn_reply(service.sendXML(
        ssdn_request(identify(f"<ipr:SSIN>{JEAN}</ipr:SSIN>"), org_unit=soap.cbe["cpas"])))
    assert context_code(reply) == "0"
    assert SSDN_BINDING.endswith(client.wsdl.bindings[SSDN_BINDING].name.localname)


def test_a_body_that_is_not_sendxml_gets_a_fault(soap: SoapNetwork) -> None:
    envelope = ('<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
                "<soapenv:Body><other/></soapenv:Body></soapenv:Envelope>")
    response = httpx.post(soap.url + SSDN_PATH, content=envelope)
    assert response.status_code == 500
    validated_fault(response.content, tx25=False)


def _basic(soap: SoapNetwork) -> str:
    made = soap.credentials["cpas"]
    return httpx.BasicAuth(made.client_id, made.client_secret)._auth_header
