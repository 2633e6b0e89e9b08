"""The original CBSS schemas, compiled once, to validate every reply the hub sends."""

from __future__ import annotations

from functools import cache

from lxml import etree

from tests.soap.conftest import CBSS

XSD = CBSS / "XSD"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"


def _uri(relative: str) -> str:
    return (XSD / relative).as_uri()


@cache
def ssdn_reply_schema() -> etree.XMLSchema:
    """SSDNReply with the services' schemas (its xs:any is strict): a small wrapper schema
    importing SSDN/Service/NamespaceRoot.xsd and the service schemas."""
    imports = [
        ("http://www.ksz-bcss.fgov.be/XSD/SSDN/Common", "SSDN/Common/NamespaceRoot.xsd"),
        ("http://www.ksz-bcss.fgov.be/XSD/SSDN/Person", "SSDN/Person/NamespaceRoot.xsd"),
        ("http://www.ksz-bcss.fgov.be/XSD/SSDN/Service", "SSDN/Service/NamespaceRoot.xsd"),
        ("http://www.ksz-bcss.fgov.be/XSD/SSDN/OCMW_CPAS/IdentifyPerson",
         "SSDN/OCMW_CPAS/IdentifyPerson/NamespaceRoot.xsd"),
        ("http://www.ksz-bcss.fgov.be/XSD/SSDN/OCMW_CPAS/ManageAccess",
         "SSDN/OCMW_CPAS/ManageAccess/NamespaceRoot.xsd"),
        ("http://www.ksz-bcss.fgov.be/XSD/SSDN/OCMW_CPAS/PerformInvestigation",
         "SSDN/OCMW_CPAS/PerformInvestigation/PerformInvetigationReply.xsd"),
    ]
    lines = "".join(
        f'<xs:import namespace="{ns}" schemaLocation="{_uri(path)}"/>' for ns, path in imports
    )
    wrapper = (
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" '
        'targetNamespace="urn:carrefour:tests:wrapper">' + lines + "</xs:schema>"
    )
    return etree.XMLSchema(etree.fromstring(wrapper.encode(), base_url=str(XSD) + "/"))


@cache
def tx25_schema() -> etree.XMLSchema:
    """The three elements of the original v2 WSDL's inline schema, with its imports."""
    wrapper = f"""<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"
        xmlns:common="http://kszbcss.fgov.be/types/common/v3"
        xmlns:rtg="http://kszbcss.fgov.be/types/RetrieveTIGroups/v2"
        targetNamespace="http://kszbcss.fgov.be/intf/RetrieveTIGroupsService/v2"
        elementFormDefault="unqualified">
      <xs:import namespace="http://kszbcss.fgov.be/types/RetrieveTIGroups/v2"
        schemaLocation="{_uri('be/fgov/kszbcss/types/RetrieveTIGroups/RetrieveTIGroupsV2.xsd')}"/>
      <xs:import namespace="http://kszbcss.fgov.be/types/common/v3"
        schemaLocation="{_uri('be/fgov/kszbcss/types/common/CommonV3.xsd')}"/>
      <xs:element name="retrieveTIGroupsRequest" type="rtg:RetrieveTIGroupsRequestType"/>
      <xs:element name="retrieveTIGroupsResponse" type="rtg:RetrieveTIGroupsResponseType"/>
      <xs:element name="retrieveTIGroupsFault" type="common:CBSSFaultType"/>
    </xs:schema>"""
    return etree.XMLSchema(etree.fromstring(wrapper.encode()))


def assert_valid(schema: etree.XMLSchema, element: etree._Element) -> None:
    if not schema.validate(element):
        raise AssertionError(f"not schema-valid: {schema.error_log}\n"
                             + etree.tostring(element, pretty_print=True).decode())


def validated_ssdn_reply(xml_string: str) -> etree._Element:
    reply = etree.fromstring(xml_string.encode())
    assert_valid(ssdn_reply_schema(), reply)
    return reply


def soap_body_child(envelope: bytes) -> etree._Element:
    root = etree.fromstring(envelope)
    assert root.tag == f"{{{SOAP_ENV}}}Envelope"
    body = root.find(f"{{{SOAP_ENV}}}Body")
    assert body is not None
    return body[0]


def validated_fault(envelope: bytes, *, tx25: bool) -> etree._Element:
    """A SOAP 1.1 fault; on Tx25 its detail must be a valid CBSSFaultType."""
    fault = soap_body_child(envelope)
    assert fault.tag == f"{{{SOAP_ENV}}}Fault"
    assert [c.tag for c in fault][:2] == ["faultcode", "faultstring"]
    if tx25:
        detail = fault.find("detail")
        assert detail is not None
        assert_valid(tx25_schema(), detail[0])
    return fault
