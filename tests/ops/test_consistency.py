"""`caseway check` finds cases whose task, timer and wait rows disagree with their state."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import delete, select, update

from engine.casework.commands import StartRequest, deploy_files, start_instance
from engine.casework.consistency import check_instances
from engine.cli.main import main as cli
from engine.definitions.compile import SourceFile
from engine.identity.users import Principal
from engine.store.db import transaction
from engine.store.models import HumanTask, ProcessInstance, Timer
from tests.api.helpers import FIXTURES, WORKFLOWS

pytestmark = pytest.mark.ops

DESIGNER = Principal("dana", "sudbury", frozenset({"designer"}))
WORKER = Principal("casey", "sudbury", frozenset({"caseworker"}))


@pytest.fixture
def cases(svc) -> dict[str, str]:
    files = [
        SourceFile(p.name, p.read_bytes())
        for p in (
            FIXTURES / "wait_then_act.bpmn",
            WORKFLOWS.parent / "tests" / "fixtures" / "discretionary_benefit.bpmn",
        )
    ]
    deploy_files(svc, DESIGNER, files)
    waiting = start_instance(
        svc, WORKER, StartRequest("wait_then_act", "CASE-T", {"wait_for": "PT1H"})
    )
    working = start_instance(svc, WORKER, StartRequest("discretionary_benefit", "CASE-H", {}))
    return {"timer": waiting, "task": working}


def test_rows_written_by_commands_agree(svc, cases):
    report = check_instances(svc)

    assert report.checked == 2
    assert report.disagreements == []


def test_a_missing_or_stray_row_is_reported(svc, cases):
    with transaction(svc.sessions) as session:
        session.execute(delete(HumanTask).where(HumanTask.instance_id == cases["task"]))
        session.execute(
            update(Timer)
            .where(Timer.instance_id == cases["timer"])
            .values(due_at=svc.clock.now() + timedelta(days=3))
        )

    report = check_instances(svc)

    by_case = {d.instance_id: d.problems for d in report.disagreements}
    assert set(by_case) == {cases["task"], cases["timer"]}
    assert "has no open row" in by_case[cases["task"]][0]
    assert "in its row" in by_case[cases["timer"]][0]


def test_a_task_row_whose_name_no_longer_matches_the_state_is_reported(svc, cases):
    with transaction(svc.sessions) as session:
        session.execute(
            update(HumanTask)
            .where(HumanTask.instance_id == cases["task"])
            .values(task_name="approve_benefit")
        )

    report = check_instances(svc)

    [disagreement] = report.disagreements
    assert disagreement.instance_id == cases["task"]
    assert (
        "'record_request' in the state but 'approve_benefit' in its row"
        in (disagreement.problems[0])
    )


def test_a_finished_case_with_open_rows_is_reported(svc, cases):
    with transaction(svc.sessions) as session:
        session.execute(
            update(ProcessInstance)
            .where(ProcessInstance.id == cases["task"])
            .values(status="completed")
        )

    (found,) = check_instances(svc).disagreements

    assert found.instance_id == cases["task"] and found.status == "completed"
    assert "not waiting in the state" in found.problems[0]


def test_the_command_exits_1_and_lists_them(svc, cases, database_url, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert cli(["check"]) == 0
    assert "checked 2 case(s): all agree" in capsys.readouterr().out
    with transaction(svc.sessions) as session:
        (timer_id,) = session.scalars(select(Timer.id))
        session.execute(delete(Timer))

    status = cli(["check", "--json"])

    report = json.loads(capsys.readouterr().out)
    assert status == 1
    assert report["checked"] == 2
    (found,) = report["disagreements"]
    assert found["instance_id"] == cases["timer"]
    (problem,) = found["problems"]
    assert problem.startswith(f"timer {timer_id} (due ") and problem.endswith("has no row")
