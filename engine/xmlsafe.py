"""Hardened XML parsing: uploaded diagrams are untrusted, so lxml never resolves anything."""

from __future__ import annotations

from lxml import etree

MAX_XML_BYTES = 5 * 1024 * 1024


class UnsafeXml(ValueError):
    """The document was refused before any BPMN parsing (DOCTYPE, entities, size, syntax)."""


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
    )


def parse_untrusted(data: bytes, *, max_bytes: int = MAX_XML_BYTES) -> etree._Element:
    """Parse bytes into an element tree, refusing DTDs outright.

    A DOCTYPE is never needed by BPMN or DMN; refusing it closes XXE and entity-expansion
    attacks whatever the installed libxml2 would do with them.
    """
    if len(data) > max_bytes:
        raise UnsafeXml(f"file is {len(data)} bytes; the limit is {max_bytes}")
    head = data[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in data.lower():
        raise UnsafeXml("DOCTYPE and entity declarations are not allowed")
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise UnsafeXml(f"not well-formed XML: {exc}") from exc
    if root.getroottree().docinfo.doctype:
        raise UnsafeXml("DOCTYPE declarations are not allowed")
    return root
