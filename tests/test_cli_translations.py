"""`caseway translations` and the French check of `caseway validate`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po

from engine.cli.main import main
from engine.config import REPO_ROOT
from engine.definitions import texts
from tests.test_cli import Caseway, Result

SHIPPED = REPO_ROOT / "workflows" / "discretionary_benefit.bpmn"


@pytest.fixture
def caseway(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Caseway:
    """`caseway(*args)` as an operator would type it, from the repository root."""
    monkeypatch.chdir(REPO_ROOT)
    monkeypatch.delenv("CASEWAY_DATABASE_URL", raising=False)

    def run(*args: str) -> Result:
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


def _renamed(tmp_path: Path) -> Path:
    path = tmp_path / "benefit.bpmn"
    content = SHIPPED.read_text(encoding="utf-8")
    path.write_text(
        content.replace('name="Approve the discretionary benefit"', 'name="Weigh the request"')
    )
    return path


def test_validate_warns_about_a_text_without_french(caseway: Caseway, tmp_path: Path) -> None:
    result = caseway("validate", str(_renamed(tmp_path)))

    assert result.code == 0  # a warning: the page shows the English meanwhile
    assert "benefit.bpmn: userTask approve_benefit (name): no fr text for 'Weigh the request'" in (
        result.err
    )
    assert "1 diagram text(s) without French" in result.err


def test_update_then_compile_makes_a_new_text_french(
    caseway: Caseway, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workflows = tmp_path / "workflows"
    workflows.mkdir()
    shutil.copytree(REPO_ROOT / "workflows" / "translations", workflows / "translations")
    shutil.copy(_renamed(tmp_path), workflows / "benefit.bpmn")
    monkeypatch.setenv("CASEWAY_WORKFLOWS_DIR", str(workflows))
    catalog = texts.catalog_directory(workflows)
    po_path = catalog / "fr" / "LC_MESSAGES" / "workflows.po"

    assert caseway("translations", "update").code == 0
    with po_path.open("rb") as handle:
        po = read_po(handle, locale="fr")
    assert po["Weigh the request"].string == ""  # new, waiting for a translator
    assert po["Approve the discretionary benefit"] is None  # no longer in any diagram: dropped
    assert po["Record the benefit request"].string == "Inscrire la demande de prestation"
    po["Weigh the request"].string = "Évaluer la demande"
    with po_path.open("wb") as handle:
        write_po(handle, po)
    missing = caseway("translations", "missing")
    assert caseway("translations", "compile").code == 0

    assert missing.code == 1 and "Weigh the request" in missing.err
    assert texts.translate(catalog, "Weigh the request", "fr") == "Évaluer la demande"
    assert caseway("translations", "missing").code == 0


def test_texts_people_read_are_extracted_and_technical_names_are_not() -> None:
    intake = REPO_ROOT / "workflows" / "intake.bpmn"
    found = texts.diagram_texts("intake.bpmn", intake.read_bytes())
    kinds = {t.kind for t in found}
    elements = {t.element.split()[0] for t in found}

    assert {"name", "documentation", "instructions"} <= kinds
    assert {"process", "lane", "userTask", "boundaryEvent", "sequenceFlow"} <= elements
    assert "message" not in elements  # message names are correlation keys, not words
