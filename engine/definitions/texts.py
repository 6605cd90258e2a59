"""The words of the diagrams in other languages.

One gettext catalog per language beside the diagrams
(`workflows/translations/fr/LC_MESSAGES/workflows.po`, compiled to `.mo`), keyed by the English
text as the diagram says it. Keeping French out of the `.bpmn` files means a designer adds French
without code and without touching the diagram (diagram edits and translations merge apart), and
a diagram deployed from elsewhere is translated as soon as its texts are in the catalog: the
lookup is by (language, English text), whichever file the text came from.

Which texts count: names of processes, pools, lanes, tasks, events, gateways and flows, text
annotations, `documentation`, and SpiffWorkflow's `instructionsForEndUser`. Technical names
(messages, errors, signals, data) are not shown to people and are left out.
"""

from __future__ import annotations

import gettext
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from lxml import etree

from engine.definitions.xmlsafe import parse_untrusted

DOMAIN = "workflows"
SOURCE_LANGUAGE = "en"
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_NAMED = frozenset(
    "process participant lane laneSet sequenceFlow messageFlow subProcess transaction "
    "callActivity task dataObjectReference dataStoreReference group".split()
)
_NAMED_SUFFIXES = ("Task", "Event", "Gateway")
_TEXT_ELEMENTS = frozenset({"documentation", "text"})  # `text`: a text annotation's body
_EXTENSION_TEXTS = frozenset({"instructionsForEndUser"})


@dataclass(frozen=True)
class DiagramText:
    """One text a person reads, and where it sits (for the catalog's comments and warnings)."""

    text: str
    file: str
    element: str
    kind: str  # "name", "documentation", "annotation", "instructions"

    @property
    def where(self) -> str:
        return f"{self.file}: {self.element} ({self.kind})"


def diagram_texts(file: str, content: bytes) -> list[DiagramText]:
    """Every text of a BPMN file a person may read, in document order (duplicates kept)."""
    root = parse_untrusted(content)
    found: list[DiagramText] = []
    for node in root.iter():
        if not isinstance(node.tag, str):
            continue  # comments and processing instructions
        qname = etree.QName(node)
        local = qname.localname
        if qname.namespace == BPMN_NS and _is_named(local):
            name = (node.get("name") or "").strip()
            if name:
                found.append(DiagramText(name, file, _label(node), "name"))
        elif qname.namespace == BPMN_NS and local in _TEXT_ELEMENTS:
            _add_body(
                found, node, file, "documentation" if local == "documentation" else "annotation"
            )
        elif local in _EXTENSION_TEXTS:
            _add_body(found, node, file, "instructions")
    return found


def texts_of_files(files: Iterable[tuple[str, bytes]]) -> list[DiagramText]:
    return [
        t for name, content in files if name.endswith(".bpmn") for t in diagram_texts(name, content)
    ]


def _is_named(local: str) -> bool:
    return local in _NAMED or local.endswith(_NAMED_SUFFIXES)


def _add_body(found: list[DiagramText], node: etree._Element, file: str, kind: str) -> None:
    body = (node.text or "").strip()
    if body:
        owner = node.getparent()
        while owner is not None and not owner.get("id"):
            owner = owner.getparent()
        found.append(DiagramText(body, file, _label(owner) if owner is not None else "?", kind))


def _label(node: etree._Element) -> str:
    return f"{etree.QName(node).localname} {node.get('id') or '?'}"


# -- looking texts up -----------------------------------------------------------------------


def catalog_directory(workflows_dir: Path) -> Path:
    return workflows_dir / "translations"


def translate(directory: Path, text: str | None, language: str) -> str:
    """`text` in `language` when the catalog has it, else as written (English)."""
    if not text:
        return text or ""
    if language == SOURCE_LANGUAGE:
        return text
    return _messages(directory, language).get(text.strip(), text)


def has_translation(directory: Path, text: str, language: str) -> bool:
    return bool(_messages(directory, language).get(text.strip()))


def all_translations(directory: Path, language: str) -> dict[str, str]:
    """The whole catalog (English → language): the diagram viewer relabels shapes with it."""
    return dict(_messages(directory, language))


def _messages(directory: Path, language: str) -> dict[str, str]:
    path = directory / language / "LC_MESSAGES" / f"{DOMAIN}.mo"
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        return {}
    return _load(path, stamp)


@lru_cache(maxsize=16)
def _load(path: Path, stamp: int) -> dict[str, str]:
    """The compiled catalog; keyed by modification time, so `compile` is seen without a restart."""
    with path.open("rb") as handle:
        catalog = gettext.GNUTranslations(handle)
    messages: dict[object, str] = getattr(catalog, "_catalog", {})
    return {k: v for k, v in messages.items() if isinstance(k, str) and k and v}


def element_instructions(files: Iterable[tuple[str, str]], element_id: str) -> str:
    """What the diagram tells the person doing `element_id`: its `instructionsForEndUser`, else
    its `documentation` (English, as written; the page translates it)."""
    return _element_instructions(tuple(files), element_id)


@lru_cache(maxsize=256)
def _element_instructions(files: tuple[tuple[str, str], ...], element_id: str) -> str:
    label_suffix = f" {element_id}"
    for name, content in files:
        if not name.endswith(".bpmn") or f'"{element_id}"' not in content:
            continue
        found = [
            t
            for t in diagram_texts(name, content.encode("utf-8"))
            if t.element.endswith(label_suffix) and t.kind in ("instructions", "documentation")
        ]
        found.sort(key=lambda t: t.kind != "instructions")
        if found:
            return found[0].text
    return ""
