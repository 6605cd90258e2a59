"""Hardened XML parsing: uploaded diagrams are untrusted, so lxml never resolves anything."""

from __future__ import annotations

import re

from lxml import etree

MAX_XML_BYTES = 5 * 1024 * 1024

# Encodings in which `<!DOCTYPE` and `<!ENTITY` are the same bytes as in ASCII, so the byte scan
# below sees exactly what libxml2 will. Anything else (UTF-16, UTF-32, UTF-7, EBCDIC) could hide
# a DOCTYPE from the scan and is refused; BPMN and DMN modelers write UTF-8.
_ASCII_COMPATIBLE = re.compile(
    r"(utf-?8|us-ascii|ascii|iso[-_]?8859-\d+|latin-?1|(windows|cp)-?125\d)", re.IGNORECASE
)
_DECLARED_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?\bencoding\s*=\s*["']([^"']*)["']""")
_WIDE_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")


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
    _check_encoding(data)
    lowered = data.lower()
    if b"<!doctype" in lowered or b"<!entity" in lowered:
        raise UnsafeXml("DOCTYPE and entity declarations are not allowed")
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise UnsafeXml(f"not well-formed XML: {exc.msg}") from exc
    if root.getroottree().docinfo.doctype:
        raise UnsafeXml("DOCTYPE declarations are not allowed")
    return root


def _check_encoding(data: bytes) -> None:
    if data.startswith(_WIDE_BOMS) or b"\x00" in data:
        raise UnsafeXml("only UTF-8 XML is accepted (this file looks like UTF-16 or UTF-32)")
    declared = _DECLARED_ENCODING.match(data.removeprefix(b"\xef\xbb\xbf"))
    if declared is not None:
        name = declared.group(1).decode("ascii", errors="replace")
        if not _ASCII_COMPATIBLE.fullmatch(name):
            raise UnsafeXml(f"only UTF-8 XML is accepted (the file declares {name!r})")
