"""Parsing XML from outside the hub without trusting it.

No DTD is loaded or accepted, no entity is resolved, nothing is fetched from the network, and
documents are limited in size, depth and number of elements before and after parsing: an XML
bomb or an XXE attempt is refused at once (:class:`~carrefour.errors.InvalidXml`), never
expanded.
"""

from __future__ import annotations

import re

from lxml import etree

from carrefour.errors import InvalidXml

MAX_BYTES = 512 * 1024
MAX_DEPTH = 48
MAX_ELEMENTS = 20_000

_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
# "<!DOCTYPE" / "<!ENTITY" in the encodings a document may legally use (UTF-8 and UTF-16).
_FORBIDDEN = tuple(
    word.encode(codec)
    for word in ("<!DOCTYPE", "<!doctype", "<!ENTITY", "<!entity")
    for codec in ("utf-8", "utf-16-le", "utf-16-be")
)


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_pis=True,
        collect_ids=False,
    )


def parse(document: bytes | str, *, max_bytes: int = MAX_BYTES) -> etree._Element:
    """The root element of a document, or :class:`InvalidXml` if it is not one we accept."""
    data = _as_bytes(document)
    if len(data) > max_bytes:
        raise InvalidXml(f"The XML document is larger than {max_bytes} bytes.")
    if any(word in data for word in _FORBIDDEN):
        raise InvalidXml("XML documents with a DTD or entity declarations are refused.")
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as error:
        raise InvalidXml(f"The XML document is malformed: {error.msg}.") from None
    _check_tree(root)
    return root


def _as_bytes(document: bytes | str) -> bytes:
    if isinstance(document, bytes):
        return document
    # A text document (the SSDN request inside xmlString) is already decoded: its declaration
    # may name any encoding, which no longer applies.
    return _DECLARATION.sub("", document, count=1).encode("utf-8")


def _check_tree(root: etree._Element) -> None:
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise InvalidXml("XML documents with a DTD are refused.")
    depth = elements = 0
    for event, node in etree.iterwalk(root, events=("start", "end")):
        if event == "end":
            depth -= 1
            continue
        if isinstance(node, etree._Entity):  # an entity reference left unresolved
            raise InvalidXml("XML documents with entity references are refused.")
        depth += 1
        elements += 1
        if depth > MAX_DEPTH:
            raise InvalidXml(f"The XML document is nested deeper than {MAX_DEPTH} levels.")
        if elements > MAX_ELEMENTS:
            raise InvalidXml(f"The XML document has more than {MAX_ELEMENTS} elements.")


def local_name(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""
