"""Hostile XML gets a SOAP fault at once: no DTD, no entity, no network, bounded size and
depth — on the envelope and on the SSDN document inside it."""

from __future__ import annotations

import time
from xml.sax.saxutils import escape

import httpx
import pytest

from carrefour.soap.wsdl import SSDN_PATH, TX25_PATH
from tests.soap.conftest import JEAN, SoapNetwork
from tests.soap.messages import identify, ssdn_request
from tests.soap.schemas import validated_fault

BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">
<soapenv:Body><x>&lol9;</x></soapenv:Body></soapenv:Envelope>"""

XXE = """<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">
<soapenv:Body><x>&xxe;</x></soapenv:Body></soapenv:Envelope>"""

NETWORK_DTD = """<?xml version="1.0"?>
<!DOCTYPE foo SYSTEM "http://127.0.0.1:9/evil.dtd">
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">
<soapenv:Body><x/></soapenv:Body></soapenv:Envelope>"""


def _deep(levels: int) -> str:
    return ('<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
            "<soapenv:Body>" + "<a>" * levels + "</a>" * levels
            + "</soapenv:Body></soapenv:Envelope>")


def _huge() -> str:
    return _deep(1).replace("<a>", "<a>" + "x" * 2_000_000)


HOSTILE = {
    "billion-laughs": BOMB,
    "xxe": XXE,
    "external-dtd": NETWORK_DTD,
    "deep": _deep(5_000),
    "huge": _huge(),
    "malformed": "<soapenv:Envelope xmlns:soapenv='http://schemas.xmlsoap.org/soap/envelope/'>",
}


@pytest.mark.parametrize("path", [SSDN_PATH, TX25_PATH], ids=["ssdn", "tx25"])
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_xml_gets_a_fault_not_a_hang(soap: SoapNetwork, path: str, name: str) -> None:
    started = time.perf_counter()
    response = httpx.post(soap.url + path, content=HOSTILE[name].encode(), timeout=10)
    assert time.perf_counter() - started < 2
    assert response.status_code == 500
    assert b"root:" not in response.content
    validated_fault(response.content, tx25=path == TX25_PATH)


def test_an_xxe_inside_the_ssdn_document_gets_a_fault(soap: SoapNetwork) -> None:
    inner = ssdn_request(identify(f"<ipr:SSIN>{JEAN}</ipr:SSIN>")).replace(
        "<SSDNRequest", '<!DOCTYPE SSDNRequest [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        "<SSDNRequest")
    envelope = ('<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
                'xmlns:wsc="http://ksz-bcss.fgov.be/connectors/WebServiceConnector">'
                f"<soapenv:Body><wsc:xmlString>{escape(inner)}</wsc:xmlString>"
                "</soapenv:Body></soapenv:Envelope>")
    response = httpx.post(soap.url + SSDN_PATH, content=envelope.encode())
    assert response.status_code == 500
    fault = validated_fault(response.content, tx25=False)
    assert "DTD" in str(fault.findtext("faultstring"))
