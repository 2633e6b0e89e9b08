"""The SOAP side of ``carrefour demo``: the demo CPAS is admitted on the classic CBSS
connector from its own address (like the real network's registered addresses) and on Tx25
with HTTP Basic; the guide prints both endpoints with a ready request, and ``--check`` sends
them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import httpx

from carrefour.simulation.network import DEMO_CPAS_SLUG, institution
from carrefour.simulation.seeding.directory_seed import DemoCredentials
from carrefour.simulation.seeding.seed import SeedReport
from carrefour.soap.wsdl import SSDN_PATH, TX25_PATH

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SSDN_ACTION = "http://ksz-bcss.fgov.be/connectors/WebServiceConnector/sendXML"
TX25_ACTION = "http://kszbcss.fgov.be/RetrieveTIGroupsService/retrieveTI"
DEMO_USER_ID = "00000000097"  # a program id: the CPAS application itself


def soap_environment() -> dict[str, str]:
    """The demo CPAS is admitted on the connector from the loopback address."""
    return {"CARREFOUR_SOAP_CLIENT_ADDRESSES": f"{institution(DEMO_CPAS_SLUG).cbe}=127.0.0.1/32"}


@dataclass(frozen=True)
class SoapExample:
    title: str
    path: str
    action: str
    envelope: str
    expect: str  # a text the answer holds when it went as the guide says
    basic: bool  # sent with the CPAS's HTTP Basic credentials

    def words(self, hub: str, cpas: DemoCredentials, body: Path) -> list[str]:
        """The curl command sending the envelope written in ``body``, word by word."""
        auth = [f"-u {cpas.client_id}:{cpas.client_secret}"] if self.basic else []
        return ["curl -s", *auth, "-H 'Content-Type: text/xml; charset=utf-8'",
                "-H", f"SOAPAction:{self.action}", "--data-binary", f"@{body}",
                f"{hub}{self.path}"]

    def curl(self, hub: str, cpas: DemoCredentials) -> str:
        auth = f"-u {cpas.client_id}:{cpas.client_secret} " if self.basic else ""
        return (f"curl -s {auth}-H 'Content-Type: text/xml; charset=utf-8' "
                f"-H 'SOAPAction: \"{self.action}\"' --data-binary @- {hub}{self.path} <<'XML'\n"
                f"{self.envelope}\nXML")


def demo_examples(report: SeedReport) -> list[SoapExample]:
    """The examples for the demo CPAS, about a person it holds a file on."""
    return soap_examples(institution(DEMO_CPAS_SLUG).cbe, report.examples["integrated_unemployed"])


def soap_examples(cbe: str, person: str) -> list[SoapExample]:
    """A Tx25 request and an SSDN IdentifyPerson, sent by the CPAS ``cbe`` about ``person``."""
    return [
        SoapExample("Tx25 (RetrieveTIGroups v2, HTTP Basic): the National Register record, "
                    "with history", TX25_PATH, TX25_ACTION, _tx25(cbe, person), "DATA_FOUND",
                    basic=True),
        SoapExample("SSDN connector (sendXML, admitted by address and OrgUnit): "
                    "OCMWCPASIdentifyPerson by NISS", SSDN_PATH, SSDN_ACTION,
                    _identify(cbe, person), "IdentifyPersonReply", basic=False),
    ]


def _tx25(cbe: str, ssin: str) -> str:
    sent = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    return _envelope(
        '<v2:retrieveTIGroupsRequest xmlns:v2="http://kszbcss.fgov.be/intf/'
        'RetrieveTIGroupsService/v2">'
        f"<informationCustomer><ticket>DEMO-1</ticket><timestampSent>{sent}</timestampSent>"
        f"<customerIdentification><cbeNumber>{cbe}</cbeNumber></customerIdentification>"
        "</informationCustomer><legalContext>PCSA:SOCIAL_INQUIRY</legalContext>"
        f"<searchInformation><ssin>{ssin}</ssin><language>fr</language><history>true</history>"
        "</searchInformation></v2:retrieveTIGroupsRequest>")


def _identify(cbe: str, ssin: str) -> str:
    inner = (
        '<SSDNRequest xmlns="http://www.ksz-bcss.fgov.be/XSD/SSDN/Service"><RequestContext>'
        f"<AuthorizedUser><UserID>{DEMO_USER_ID}</UserID><Email>demo@cpas.example</Email>"
        f"<OrgUnit>{cbe}</OrgUnit><MatrixID>17</MatrixID><MatrixSubID>1</MatrixSubID>"
        "</AuthorizedUser><Message><Reference>DEMO-2</Reference></Message></RequestContext>"
        "<ServiceRequest><ServiceId>OCMWCPASIdentifyPerson</ServiceId><Version>20050930</Version>"
        '<ipr:IdentifyPersonRequest xmlns:ipr="http://www.ksz-bcss.fgov.be/XSD/SSDN/OCMW_CPAS/'
        f'IdentifyPerson"><ipr:SearchCriteria><ipr:SSIN>{ssin}</ipr:SSIN></ipr:SearchCriteria>'
        "</ipr:IdentifyPersonRequest></ServiceRequest></SSDNRequest>")
    return _envelope('<wsc:xmlString xmlns:wsc="http://ksz-bcss.fgov.be/connectors/'
                     f'WebServiceConnector">{escape(inner)}</wsc:xmlString>')


def _envelope(body: str) -> str:
    return f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV}"><soapenv:Body>{body}' \
           "</soapenv:Body></soapenv:Envelope>"


def run_soap_examples(hub: str, credentials: tuple[str, str],
                      examples: list[SoapExample]) -> int:
    """Send every SOAP example; how many answered as the guide says (else an error)."""
    for example in examples:
        response = httpx.post(f"{hub}{example.path}", content=example.envelope.encode(),
                              auth=credentials if example.basic else None, timeout=10,
                              headers={"Content-Type": "text/xml; charset=utf-8",
                                       "SOAPAction": f'"{example.action}"'})
        if response.status_code != 200 or example.expect not in response.text:
            raise RuntimeError(f"{example.title}: HTTP {response.status_code}: "
                               f"{response.text[:500]}")
    return len(examples)
