"""Deploy-time checks: every notice renders in English and French; a missing translation or a
notice a diagram names without templates stops `caseway validate`."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

from engine.cli.main import main
from engine.config import REPO_ROOT, Settings
from engine.delivery.checks import check_notices, notices_in

WORKFLOWS = REPO_ROOT / "workflows"


def _diagrams() -> list[str]:
    return [p.read_text() for p in sorted(WORKFLOWS.glob("*.bpmn"))]


def test_the_shipped_notices_and_diagrams_pass():
    assert check_notices(Settings(), _diagrams()) == []


def test_every_notice_a_shipped_diagram_sends_is_found():
    named = set().union(*(notices_in(d) for d in _diagrams()))
    assert {"discretionary_benefit", "local_assistance_decision", "callback_reminder"} <= named


def test_a_missing_french_template_is_reported(tmp_path: Path):
    notices = tmp_path / "notices"
    shutil.copytree(REPO_ROOT / "notices", notices)
    (notices / "plan_closed.fr.txt").unlink()

    problems = check_notices(replace(Settings(), notices_dir=notices), _diagrams())

    assert problems == ["notices/plan_closed.fr.txt: missing translation"]


def test_a_template_error_is_reported(tmp_path: Path):
    notices = tmp_path / "notices"
    shutil.copytree(REPO_ROOT / "notices", notices)
    broken = notices / "diversion.fr.txt"
    broken.write_text(broken.read_text().replace("{{ office.name }}", "{{ office.nom }}"))

    (problem,) = check_notices(replace(Settings(), notices_dir=notices), _diagrams())

    assert problem.startswith("notices/diversion.fr.txt:") and "nom" in problem


def test_validate_fails_when_a_diagram_names_a_notice_without_templates(tmp_path, capsys):
    diagram = tmp_path / "callback.bpmn"
    diagram.write_text(
        (WORKFLOWS / "client_callback.bpmn").read_text().replace("callback_reminder", "nope")
    )

    assert main(["validate", str(diagram)]) == 1

    assert "notice 'nope' is sent but" in capsys.readouterr().err
