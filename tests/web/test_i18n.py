"""English and French: the switch, the catalogs (complete and compiled), and the forms."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir, extract_python
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from engine.config import REPO_ROOT
from tests.api.helpers import open_task, start

WEB = REPO_ROOT / "engine" / "web"
CATALOG = WEB / "translations" / "fr" / "LC_MESSAGES" / "messages"
FORMS = REPO_ROOT / "forms"

ERR_FR = '<span class="visually-hidden">Erreur : </span>'


def _text(response) -> str:  # type: ignore[no-untyped-def]
    return re.sub(r"\s+", " ", response.data.decode())


def _source_messages() -> set[str]:
    method_map = [("**.py", "python"), ("templates/**.html", "jinja2")]
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(WEB), method_map, keywords={"_": None, "gettext": None, "ngettext": (1, 2)}
    ):
        found.add(message if isinstance(message, str) else message[0])
    with open(REPO_ROOT / "engine" / "errors.py", "rb") as handle:  # the errors' message keys
        for _line, _func, message, _comments in extract_python(handle, ["N_"], [], {}):
            found.add(message)
    return found


def test_every_page_text_has_a_french_translation():
    with open(f"{CATALOG}.po", "rb") as handle:
        catalog = read_po(handle)
    translated = {
        (m.id if isinstance(m.id, str) else m.id[0])
        for m in catalog
        if m.id and m.string and all(m.string) and "fuzzy" not in m.flags
    }

    missing = sorted(_source_messages() - translated)

    assert not missing, f"run scripts/translations.sh update and translate: {missing}"


def test_the_compiled_catalog_matches_its_source():
    with open(f"{CATALOG}.po", "rb") as handle:
        source = read_po(handle)
    with open(f"{CATALOG}.mo", "rb") as handle:
        compiled = read_mo(handle)

    # Compared by content: the bytes also carry the Babel version that wrote them.
    assert _translations(compiled) == _translations(source), "run scripts/translations.sh compile"


def _translations(catalog: Catalog) -> dict[object, object]:
    """What a page would show: each translated, non-fuzzy message id and its text."""
    return {
        _plain(m.id): _plain(m.string)
        for m in catalog
        if m.id and m.string and "fuzzy" not in m.flags
    }


def _plain(value: object) -> object:
    return tuple(value) if isinstance(value, list | tuple) else value


def _titled(node: object, path: str = "") -> list[str]:
    """Schema nodes (by path) with an English title or labels but no French ones."""
    if isinstance(node, list):
        return [m for i, item in enumerate(node) for m in _titled(item, f"{path}[{i}]")]
    if not isinstance(node, dict):
        return []
    missing = []
    for key in ("title", "description"):
        if key in node and f"x-{key}-fr" not in node:
            missing.append(f"{path}:{key}")
    if "enum" in node and node.get("type") != "boolean":
        labels = node.get("x-enum-labels-fr") or {}
        absent = [str(v) for v in node["enum"] if str(v) not in labels]
        if absent:
            missing.append(f"{path}:enum labels {absent}")
    for key, value in node.items():
        if isinstance(value, dict | list) and not key.startswith("x-"):
            missing += _titled(value, f"{path}/{key}")
    return missing


@pytest.mark.parametrize("form", sorted(FORMS.glob("*.schema.json")), ids=lambda p: p.stem)
def test_every_shipped_form_is_bilingual(form: Path):
    schema = json.loads(form.read_text(encoding="utf-8"))

    assert _titled(schema) == []


def test_choosing_french_translates_the_pages(web):
    web.login("casey")

    web.post("/language", {"lang": "fr", "next": "/inbox"})
    page = _text(web.get("/inbox"))

    assert '<html lang="fr">' in page
    assert "Boîte de réception" in page and "Mes tâches" in page
    assert '<button class="linklike" name="lang" value="en" lang="en">English</button>' in page


def test_the_language_survives_signing_in_and_out(web):
    web.get("/login")
    web.post("/language", {"lang": "fr", "next": "/login"})
    web.login("casey")
    web.post("/logout")

    assert "Se connecter" in _text(web.get("/login"))


def test_the_browser_preference_is_used_until_a_choice_is_made(web):
    page = _text(web.get("/login", headers={"Accept-Language": "fr-CA,fr;q=0.9"}))

    assert '<html lang="fr">' in page and "Nom d'utilisateur" in page
    assert '<html lang="en">' in _text(web.get("/login"))


def test_forms_render_and_explain_errors_in_french(web, api, deployed):
    task = open_task(start(api.as_("casey"), "discretionary_benefit").json, "record_request")
    web.login("casey")
    web.post("/language", {"lang": "fr"})

    page = _text(web.get(f"/tasks/{task['id']}"))
    refused = _text(
        web.post(
            f"/tasks/{task['id']}/complete",
            {"f.client_name": "", "f.purpose": "dental", "f.amount": "12 500,5"},
        )
    )

    assert "Demande de prestation discrétionnaire" in page and "Nom du client" in page
    assert '<option value="dental">Soins dentaires</option>' in page
    assert 'id="field-client_name-error">' + ERR_FR + "Ce champ est obligatoire." in refused
    assert 'id="field-amount-error">' + ERR_FR + "Entrez 10" in refused and "ou moins." in refused


def test_an_unknown_language_is_ignored(web):
    web.get("/login")
    web.post("/language", {"lang": "xx", "next": "/login"})

    assert '<html lang="en">' in _text(web.get("/login"))
