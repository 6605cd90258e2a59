"""The shipped diagrams are bilingual: every text a person reads has French in the catalog, and
the compiled catalog is the current one."""

from __future__ import annotations

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from engine.cli.translations import collect, missing_texts
from engine.config import REPO_ROOT
from engine.definitions.texts import catalog_directory

WORKFLOWS = REPO_ROOT / "workflows"
CATALOG = catalog_directory(WORKFLOWS) / "fr" / "LC_MESSAGES" / "workflows"


def test_every_text_of_the_shipped_diagrams_has_french() -> None:
    missing = missing_texts(catalog_directory(WORKFLOWS), collect([WORKFLOWS]), "fr")

    assert not [t.where for t in missing], (
        "run `caseway translations update`, translate, then `caseway translations compile`"
    )


def test_the_compiled_diagram_catalog_matches_its_source() -> None:
    with open(f"{CATALOG}.po", "rb") as handle:
        source = {m.id: m.string for m in read_po(handle) if m.id and m.string}
    with open(f"{CATALOG}.mo", "rb") as handle:
        compiled = {m.id: m.string for m in read_mo(handle) if m.id and m.string}

    assert compiled == source, "run `caseway translations compile`"
