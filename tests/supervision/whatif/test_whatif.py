"""What-if before deploy: replaying last weeks' cases through a candidate version predicts what
that version then actually does with the same cases."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.casework import commands
from engine.definitions.compile import SourceFile
from engine.identity.users import SYSTEM
from engine.services import Services
from engine.store.models import HumanTask
from engine.supervision.whatif import candidate_spec, what_if
from tests.engine.casework.conftest import who

HERE = Path(__file__).resolve().parent
# Hours each case's "Call the client" took: under 3 days one is late; under 2 days, three are.
HOURS = [24, 48, 60, 96, 36, 70]


def deploy(svc: Services, name: str) -> None:
    commands.deploy_files(svc, SYSTEM, [SourceFile("check_in.bpmn", (HERE / name).read_bytes())])


def live_through(svc: Services, clock, keys: list[str]) -> list[str]:
    """Start one case a day and complete its call after HOURS[i]; returns the instance ids."""
    started = []
    for key in keys:
        started.append(
            commands.start_instance(svc, who("casey"), commands.StartRequest("check_in", key, {}))
        )
        clock.advance(timedelta(days=1))
    begin = clock.now()
    for instance_id, hours in zip(started, HOURS, strict=True):
        with svc.readers() as session:
            task = session.scalars(
                select(HumanTask).where(HumanTask.instance_id == instance_id)
            ).one()
        clock.set(task.created_at + timedelta(hours=hours))
        commands.fire_due_timers(svc, instance_id)
        commands.complete_task(svc, who("casey"), task.id, {})
    clock.set(max(begin, clock.now()) + timedelta(days=1))
    return started


def late_tasks(svc: Services, instance_ids: list[str]) -> int:
    with svc.readers() as session:
        rows = session.scalars(
            select(HumanTask).where(HumanTask.instance_id.in_(instance_ids))
        ).all()
    return sum(1 for r in rows if r.due_at and r.completed_at and r.completed_at > r.due_at)


@pytest.fixture
def history(svc: Services, staff, clock) -> list[str]:
    deploy(svc, "check_in.bpmn")
    return live_through(svc, clock, [f"W-{n}" for n in range(len(HOURS))])


def test_a_shorter_deadline_predicts_the_late_tasks_it_then_makes(svc, clock, history) -> None:
    shorter = candidate_spec(
        svc,
        "check_in",
        [SourceFile("check_in.bpmn", (HERE / "check_in_shorter.bpmn").read_bytes())],
    )
    with svc.readers() as session:
        report = what_if(svc, session, "check_in", shorter, weeks=4).as_dict()

    (call,) = report["tasks"]
    assert report["cases"] == len(HOURS) and report["failed_cases"] == 0
    assert (call["old"]["on_time"], call["old"]["late"]) == (5, 1)
    predicted = call["new"]["late"]
    assert (call["new"]["on_time"], predicted) == (3, 3)
    assert report["overall"]["new"]["on_time_pct"] == pytest.approx(50.0)

    deploy(svc, "check_in_shorter.bpmn")  # then live the same cases under the new version
    actual = late_tasks(svc, live_through(svc, clock, [f"N-{n}" for n in range(len(HOURS))]))
    assert actual == predicted


def test_the_same_version_replays_to_the_same_figures(svc, history) -> None:
    same = candidate_spec(
        svc, "check_in", [SourceFile("check_in.bpmn", (HERE / "check_in.bpmn").read_bytes())]
    )
    with svc.readers() as session:
        report = what_if(svc, session, "check_in", same, weeks=4).as_dict()

    assert report["overall"]["old"] == report["overall"]["new"]
    weeks = {row["week"]: (row["old"], row["new"]) for row in report["per_queue_week"]}
    assert all(old == new for old, new in weeks.values())


def test_bad_requests_are_refused_with_the_field(svc, history) -> None:
    from engine.errors import Invalid, NotFound

    same = candidate_spec(
        svc, "check_in", [SourceFile("check_in.bpmn", (HERE / "check_in.bpmn").read_bytes())]
    )
    with svc.readers() as session:
        with pytest.raises(Invalid) as weeks:
            what_if(svc, session, "check_in", same, weeks=0)
        with pytest.raises(NotFound):
            what_if(svc, session, "no_such_process", same, weeks=4)
    with pytest.raises(Invalid) as other:
        candidate_spec(
            svc, "another_process", [SourceFile("x.bpmn", (HERE / "check_in.bpmn").read_bytes())]
        )
    assert weeks.value.field == "weeks" and other.value.field == "file"
