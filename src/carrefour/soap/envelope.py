"""SOAP 1.1 envelopes: the body of a request, replies and faults."""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from carrefour.errors import InvalidXml
from carrefour.soap import xmlsafe

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
CONTENT_TYPE = "text/xml; charset=utf-8"


def body_content(document: bytes) -> etree._Element:
    """The one element in the Body of a SOAP 1.1 request."""
    root = xmlsafe.parse(document)
    if root.tag != f"{{{SOAP_ENV}}}Envelope":
        raise InvalidXml("The request is not a SOAP 1.1 envelope.")
    body = root.find(f"{{{SOAP_ENV}}}Body")
    children = [] if body is None else [c for c in body if isinstance(c.tag, str)]
    if len(children) != 1:
        raise InvalidXml("The SOAP Body must hold exactly one element.")
    return children[0]


def reply(content: etree._Element) -> bytes:
    """A SOAP 1.1 envelope carrying ``content`` in its Body."""
    envelope = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soapenv": SOAP_ENV})
    etree.SubElement(envelope, f"{{{SOAP_ENV}}}Body").append(content)
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


@dataclass(frozen=True, slots=True)
class Fault:
    """A SOAP 1.1 fault: ``Client`` when the request is at fault, ``Server`` otherwise."""

    code: str  # "Client" or "Server"
    message: str
    detail: etree._Element | None = None

    def document(self) -> bytes:
        fault = etree.Element(f"{{{SOAP_ENV}}}Fault", nsmap={"soapenv": SOAP_ENV})
        etree.SubElement(fault, "faultcode").text = f"soapenv:{self.code}"
        etree.SubElement(fault, "faultstring").text = self.message
        if self.detail is not None:
            etree.SubElement(fault, "detail").append(self.detail)
        return reply(fault)


def text(parent: etree._Element | None, name: str) -> str | None:
    """The stripped text of the first child named ``name`` (any namespace); None when the
    child is absent or empty — real clients send empty elements for absent values."""
    child = child_named(parent, name)
    value = (child.text or "").strip() if child is not None else ""
    return value or None


def child_named(parent: etree._Element | None, name: str) -> etree._Element | None:
    if parent is None:
        return None
    for child in parent:
        if xmlsafe.local_name(child) == name:
            return child
    return None


def sub(
    parent: etree._Element, namespace: str, name: str, value: object = None
) -> etree._Element:
    element = etree.SubElement(parent, f"{{{namespace}}}{name}" if namespace else name)
    if value is not None:
        element.text = str(value)
    return element
