"""The WSDLs the hub serves, with its own address.

Only the WSDL text is embedded (it is small); the CBSS schemas it refers to are not shipped
with Carrefour. The SSDN connector's WSDL is self-contained. The RetrieveTIGroups WSDL refers
to the CBSS schemas under ``{hub}/cbss/schemas/``, which the hub serves only when the operator
points ``CARREFOUR_CBSS_SCHEMAS`` at the CBSS schema folder (clients usually keep the WSDL and
schemas locally and only change the address).
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from xml.sax.saxutils import quoteattr

from lxml import etree

SSDN_PATH = "/connectors/webservice/KSZBCSSWebServiceConnectorPort"
TX25_PATH = "/SOA4520/RetrieveTIGroupsService/v2/retrieveTI"
TX25_LEGACY_PATH = "/RetrieveTIGroupsService/v2/retrieveTI"
SCHEMAS_PATH = "/cbss/schemas"
CARMED_PATH = "/carrefour/ManageCarmedService/v1"
CARMED_NAMESPACE = "urn:be:carrefour:intf:ManageCarmedService:v1"
CARMED_OPERATIONS = ("openCarmed", "modifyCarmed", "stopCarmed", "consultCarmed",
                     "evaluateCarmed", "evaluateModifiedCarmed", "consultCarmedHistory")

_SSDN = """<?xml version="1.0" encoding="UTF-8"?>
<wsdl:definitions name="KSZBCSSWebServiceConnector" \
targetNamespace="http://ksz-bcss.fgov.be/connectors/WebServiceConnector" \
xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" \
xmlns:tns="http://ksz-bcss.fgov.be/connectors/WebServiceConnector" \
xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:xsd="http://www.w3.org/2001/XMLSchema">
  <wsdl:types>
    <xsd:schema elementFormDefault="qualified" \
targetNamespace="http://ksz-bcss.fgov.be/connectors/WebServiceConnector">
      <xsd:element name="xmlString" type="xsd:string"/>
    </xsd:schema>
  </wsdl:types>
  <wsdl:message name="request"><wsdl:part element="tns:xmlString" name="requestXML"/></wsdl:message>
  <wsdl:message name="reply"><wsdl:part element="tns:xmlString" name="replyXML"/></wsdl:message>
  <wsdl:portType name="KSZBCSSWebServiceConnector">
    <wsdl:operation name="sendXML">
      <wsdl:input message="tns:request" name="requestXML"/>
      <wsdl:output message="tns:reply" name="replyXML"/>
    </wsdl:operation>
  </wsdl:portType>
  <wsdl:binding name="KSZBCSSWebServiceConnectorBinding" type="tns:KSZBCSSWebServiceConnector">
    <soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
    <wsdl:operation name="sendXML">
      <soap:operation soapAction="http://ksz-bcss.fgov.be/connectors/WebServiceConnector/sendXML"/>
      <wsdl:input name="requestXML"><soap:body use="literal"/></wsdl:input>
      <wsdl:output name="replyXML"><soap:body use="literal"/></wsdl:output>
    </wsdl:operation>
  </wsdl:binding>
  <wsdl:service name="KSZBCSSWebService">
    <wsdl:port binding="tns:KSZBCSSWebServiceConnectorBinding" \
name="KSZBCSSWebServiceConnectorPort">
      <soap:address location={address}/>
    </wsdl:port>
  </wsdl:service>
</wsdl:definitions>
"""

_TX25 = """<?xml version="1.0" encoding="UTF-8"?>
<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" \
xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" \
xmlns:tns="http://kszbcss.fgov.be/intf/RetrieveTIGroupsService/v2" \
xmlns:xsd="http://www.w3.org/2001/XMLSchema" name="RetrieveTIGroupsService" \
targetNamespace="http://kszbcss.fgov.be/intf/RetrieveTIGroupsService/v2">
  <wsdl:types>
    <xsd:schema attributeFormDefault="unqualified" elementFormDefault="unqualified" \
xmlns:common="http://kszbcss.fgov.be/types/common/v3" \
xmlns:rtg="http://kszbcss.fgov.be/types/RetrieveTIGroups/v2" \
targetNamespace="http://kszbcss.fgov.be/intf/RetrieveTIGroupsService/v2" version="2017-06-28">
      <xsd:import namespace="http://kszbcss.fgov.be/types/RetrieveTIGroups/v2" \
schemaLocation={rtg}/>
      <xsd:import namespace="http://kszbcss.fgov.be/types/common/v3" schemaLocation={common}/>
      <xsd:element name="retrieveTIGroupsRequest" type="rtg:RetrieveTIGroupsRequestType"/>
      <xsd:element name="retrieveTIGroupsResponse" type="rtg:RetrieveTIGroupsResponseType"/>
      <xsd:element name="retrieveTIGroupsFault" type="common:CBSSFaultType"/>
    </xsd:schema>
  </wsdl:types>
  <wsdl:message name="retrieveTIGroupsRequestMsg">
    <wsdl:part element="tns:retrieveTIGroupsRequest" name="retrieveTIGroupsRequestParameters"/>
  </wsdl:message>
  <wsdl:message name="retrieveTIGroupsResponseMsg">
    <wsdl:part element="tns:retrieveTIGroupsResponse" name="retrieveTIGroupsResponseParameters"/>
  </wsdl:message>
  <wsdl:message name="retrieveTIGroupsFaultMsg">
    <wsdl:part element="tns:retrieveTIGroupsFault" name="retrieveTIGroupsFaultParameters"/>
  </wsdl:message>
  <wsdl:portType name="RetrieveTIGroupsPortType">
    <wsdl:operation name="retrieveTI">
      <wsdl:input message="tns:retrieveTIGroupsRequestMsg" name="retrieveTIGroupsRequest"/>
      <wsdl:output message="tns:retrieveTIGroupsResponseMsg" name="retrieveTIGroupsResponse"/>
      <wsdl:fault message="tns:retrieveTIGroupsFaultMsg" name="retrieveTIGroupsFault"/>
    </wsdl:operation>
  </wsdl:portType>
  <wsdl:binding name="RetrieveTIGroupsServiceHTTPBinding" type="tns:RetrieveTIGroupsPortType">
    <soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
    <wsdl:operation name="retrieveTI">
      <soap:operation soapAction="http://kszbcss.fgov.be/RetrieveTIGroupsService/retrieveTI"/>
      <wsdl:input name="retrieveTIGroupsRequest"><soap:body use="literal"/></wsdl:input>
      <wsdl:output name="retrieveTIGroupsResponse"><soap:body use="literal"/></wsdl:output>
      <wsdl:fault name="retrieveTIGroupsFault">
        <soap:fault name="retrieveTIGroupsFault" use="literal"/>
      </wsdl:fault>
    </wsdl:operation>
  </wsdl:binding>
  <wsdl:service name="RetrieveTIGroupsService">
    <wsdl:port binding="tns:RetrieveTIGroupsServiceHTTPBinding" name="RetrieveTIGroupsService">
      <soap:address location={address}/>
    </wsdl:port>
  </wsdl:service>
</wsdl:definitions>
"""


def ssdn_wsdl(base_url: str) -> str:
    return _SSDN.format(address=quoteattr(base_url.rstrip("/") + SSDN_PATH))


def tx25_wsdl(base_url: str) -> str:
    base = base_url.rstrip("/")
    schemas = f"{base}{SCHEMAS_PATH}/be/fgov/kszbcss/types"
    return _TX25.format(
        address=quoteattr(base + TX25_PATH),
        rtg=quoteattr(f"{schemas}/RetrieveTIGroups/RetrieveTIGroupsV2.xsd"),
        common=quoteattr(f"{schemas}/common/CommonV3.xsd"),
    )


_WSDL = "http://schemas.xmlsoap.org/wsdl/"
_SOAP = "http://schemas.xmlsoap.org/wsdl/soap/"


@cache
def carmed_schema_text() -> bytes:
    """Carrefour's own ManageCarmed schema, shipped with the package."""
    return files("carrefour.soap").joinpath("schemas/ManageCarmedV1.xsd").read_bytes()


def carmed_wsdl(base_url: str) -> str:
    """The ManageCarmed WSDL (Carrefour's own): its schema inline, one operation per
    ManageCarmed operation, each with the fault ``manageCarmedFault``. The prefix ``mc`` is
    the schema's own (its types name it in attribute values)."""
    root = etree.Element(f"{{{_WSDL}}}definitions", nsmap={
        "wsdl": _WSDL, "soap": _SOAP, "mc": CARMED_NAMESPACE}, name="ManageCarmedService",
        targetNamespace=CARMED_NAMESPACE)
    types = etree.SubElement(root, f"{{{_WSDL}}}types")
    types.append(etree.fromstring(carmed_schema_text()))
    _message(root, "manageCarmedFault")
    port_type = etree.SubElement(root, f"{{{_WSDL}}}portType", name="ManageCarmedPortType")
    binding = etree.SubElement(root, f"{{{_WSDL}}}binding", name="ManageCarmedServiceBinding",
                               type="mc:ManageCarmedPortType")
    etree.SubElement(binding, f"{{{_SOAP}}}binding", style="document",
                     transport="http://schemas.xmlsoap.org/soap/http")
    for name in CARMED_OPERATIONS:
        _operation(root, port_type, binding, name)
    service = etree.SubElement(root, f"{{{_WSDL}}}service", name="ManageCarmedService")
    port = etree.SubElement(service, f"{{{_WSDL}}}port", name="ManageCarmedService",
                            binding="mc:ManageCarmedServiceBinding")
    etree.SubElement(port, f"{{{_SOAP}}}address", location=base_url.rstrip("/") + CARMED_PATH)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8").decode()


def _message(root: etree._Element, element: str) -> None:
    message = etree.SubElement(root, f"{{{_WSDL}}}message", name=f"{element}Msg")
    etree.SubElement(message, f"{{{_WSDL}}}part", name="parameters", element=f"mc:{element}")


def _operation(root: etree._Element, port_type: etree._Element, binding: etree._Element,
               name: str) -> None:
    for suffix in ("Request", "Response"):
        _message(root, name + suffix)
    operation = etree.SubElement(port_type, f"{{{_WSDL}}}operation", name=name)
    bound = etree.SubElement(binding, f"{{{_WSDL}}}operation", name=name)
    etree.SubElement(bound, f"{{{_SOAP}}}operation", soapAction=f"{CARMED_NAMESPACE}/{name}")
    for kind, suffix in (("input", "Request"), ("output", "Response")):
        etree.SubElement(operation, f"{{{_WSDL}}}{kind}", message=f"mc:{name}{suffix}Msg")
        etree.SubElement(etree.SubElement(bound, f"{{{_WSDL}}}{kind}"), f"{{{_SOAP}}}body",
                         use="literal")
    etree.SubElement(operation, f"{{{_WSDL}}}fault", message="mc:manageCarmedFaultMsg",
                     name="manageCarmedFault")
    fault = etree.SubElement(bound, f"{{{_WSDL}}}fault", name="manageCarmedFault")
    etree.SubElement(fault, f"{{{_SOAP}}}fault", name="manageCarmedFault", use="literal")
