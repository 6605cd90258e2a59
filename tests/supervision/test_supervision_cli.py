"""`caseway absences`, `reassign`, `team`, `caseloads` and `queues`, run as an operator would."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.casework import commands, queues
from engine.cli.main import main
from engine.config import Settings
from engine.identity.users import principal_for
from engine.services import Services
from engine.store.db import transaction
from engine.store.models import HumanTask
from tests.supervision.conftest import CASEWORK


@pytest.fixture
def caseway(monkeypatch, capsys, tmp_path: Path):
    """`caseway(*args)` → (exit code, stdout, stderr) against a migrated demo database."""
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", url)

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    assert run("db", "upgrade")[0] == 0
    assert run("seed-demo")[0] == 0
    assert run("deploy", str(CASEWORK))[0] == 0
    run.url = url  # type: ignore[attr-defined]
    return run


def claimed_case(url: str, key: str, user: str = "casey") -> str:
    svc = Services.build(Settings(database_url=url))
    try:
        with svc.sessions() as session:
            worker = principal_for(session, user)
        assert worker is not None
        instance_id = commands.start_instance(
            svc, worker, commands.StartRequest("casework", key, {})
        )
        with transaction(svc.sessions) as session:
            task = session.scalars(
                select(HumanTask).where(HumanTask.instance_id == instance_id)
            ).one()
            queues.claim(session, worker, task, svc.clock.now())
            return task.id
    finally:
        svc.engine.dispose()


def soon(days: int = 2) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


def test_absence_moves_work_to_the_cover_and_shows_in_list_and_team(caseway):
    claimed_case(caseway.url, "CASE-1")

    added = caseway(
        "absences", "add", "casey", "--until", soon(), "--cover", "cole", "--reason", "vacation"
    )
    listed = caseway("absences", "list", "--office", "sudbury")
    team = caseway("team", "--office", "sudbury")
    as_json = json.loads(caseway("team", "--office", "sudbury", "--json")[1])

    assert added[0] == 0 and "active, 1 task(s) moved" in added[1]
    assert "casey" in listed[1] and "cole" in listed[1] and "vacation" in listed[1]
    cole_line = next(line for line in team[1].splitlines() if line.startswith("cole"))
    assert cole_line.split()[1:3] == ["1", "0"] and "casey" in cole_line
    casey = next(w for w in as_json["items"] if w["username"] == "casey")
    assert casey["absent_now"] is True and casey["absence"]["cover"] == "cole"


def test_absence_with_a_cover_from_another_office_exits_2(caseway):
    code, _, err = caseway(
        "absences", "add", "casey", "--until", soon(), "--cover", "olive", "--reason", "sick"
    )

    assert code == 2 and "office" in err


def test_end_then_hand_back(caseway):
    task_id = claimed_case(caseway.url, "CASE-1")
    caseway("absences", "add", "casey", "--until", soon(), "--reason", "training")

    ended = caseway("absences", "end", "casey", "1")
    back = caseway("absences", "hand-back", "casey", "1")
    again = caseway("absences", "end", "casey", "1")
    mine = caseway("reassign", "--task", task_id, "--to", "cole")

    assert ended[0] == 0 and "ended" in ended[1]
    assert back[1].strip() == "handed 1 task(s) back to casey"
    assert again[0] == 2 and "already ended" in again[2]
    assert mine[1].strip() == "moved 1 task(s) to cole"


def test_reassign_caseloads_and_queues(caseway):
    task_id = claimed_case(caseway.url, "CASE-1")
    claimed_case(caseway.url, "CASE-2")

    refused = caseway("reassign", "--from-user", "casey", "--to", "ira")
    moved = caseway("reassign", "--case", "CASE-1", "--to-queue")
    caseloads = caseway("caseloads", "--office", "sudbury")
    waiting = caseway("queues", "--office", "sudbury")

    assert refused[0] == 2 and task_id in refused[2] and "nothing moved" in refused[2]
    assert moved[1].strip() == "moved 1 task(s) to the queue"
    casey_line = next(line for line in caseloads[1].splitlines() if line.startswith("casey"))
    assert casey_line.split()[1] == "2"
    assert "target 60" in caseloads[1]
    assert waiting[1].splitlines()[1].split()[:3] == ["caseworker", "1", "0"]
