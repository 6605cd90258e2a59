"""engine.casework.sync: the task rows a case's progress leaves behind (inbox, due dates)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from engine.casework import commands, drafts
from engine.services import Services
from engine.store.models import ProcessInstance
from tests.engine.casework.conftest import open_tasks, start, task, the_task, who

pytestmark = pytest.mark.usefixtures("review")


def test_a_task_is_due_when_its_boundary_timer_fires(svc: Services) -> None:
    review = the_task(svc, start(svc))

    assert review.due_at == review.created_at + timedelta(days=2)


def test_a_task_takes_its_queue_from_its_lane(svc: Services) -> None:
    instance_id = start(svc)
    commands.complete_task(svc, who("casey"), the_task(svc, instance_id).id, {})

    (approve,) = open_tasks(svc, instance_id)

    assert (approve.task_name, approve.queue, approve.due_at) == ("approve", "supervisor", None)


def test_a_completed_task_keeps_what_was_submitted(svc: Services) -> None:
    review = the_task(svc, start(svc))

    commands.complete_task(svc, who("casey"), review.id, {"note": "all good"})

    done = task(svc, review.id)
    assert (done.status, done.completed_by) == ("completed", "casey")
    assert json.loads(done.submitted_json or "{}") == {"note": "all good"}


def test_a_passed_deadline_closes_the_task_as_escalated(svc: Services) -> None:
    instance_id = start(svc)
    review = the_task(svc, instance_id)
    svc.clock.advance(timedelta(days=3))  # type: ignore[attr-defined]

    commands.fire_due_timers(svc, instance_id)

    late = task(svc, review.id)
    assert (late.status, late.closed_reason) == ("cancelled", "escalated")
    assert [t.task_name for t in open_tasks(svc, instance_id)] == ["escalated"]


def test_a_finished_case_is_completed_and_leaves_no_open_task(svc: Services) -> None:
    instance_id = start(svc)
    commands.complete_task(svc, who("casey"), the_task(svc, instance_id).id, {})
    commands.complete_task(svc, who("sam"), the_task(svc, instance_id).id, {})

    with svc.readers() as session:
        instance = session.get_one(ProcessInstance, instance_id)
        assert (instance.status, instance.completed_at) == ("completed", svc.clock.now())
    assert open_tasks(svc, instance_id) == []


def test_a_task_closed_by_its_deadline_takes_its_drafts_with_it(svc: Services) -> None:
    instance_id = start(svc)
    review = the_task(svc, instance_id)
    drafts.save(svc, who("casey"), review.id, {"note": "half written"})
    svc.clock.advance(timedelta(days=3))  # type: ignore[attr-defined]

    commands.fire_due_timers(svc, instance_id)

    with svc.readers() as session:
        assert drafts.load(session, who("casey"), review.id) is None
