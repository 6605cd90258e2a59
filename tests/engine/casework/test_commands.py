"""engine.casework.commands: starting a case and completing its tasks, as a user notices them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine import errors
from engine.casework import commands, task_actions
from engine.services import Services
from engine.store.models import ProcessInstance
from tests.engine.casework.conftest import actions, open_tasks, start, task, the_task, who

pytestmark = pytest.mark.usefixtures("review")


def test_starting_a_case_opens_its_first_task_in_the_lane_queue(svc: Services) -> None:
    instance_id = start(svc)

    (first,) = open_tasks(svc, instance_id)

    assert (first.task_name, first.queue, first.office) == ("review", "caseworker", "sudbury")
    assert first.assignee is None


def test_a_designer_cannot_start_a_case(svc: Services) -> None:
    with pytest.raises(errors.Forbidden):
        start(svc, by="dana")


def test_a_case_needs_a_business_key(svc: Services) -> None:
    with pytest.raises(errors.Invalid) as refused:
        start(svc, key="  ")

    assert refused.value.field == "business_key"


def test_completing_an_unclaimed_task_claims_it_and_moves_the_case_on(svc: Services) -> None:
    instance_id = start(svc)
    review = the_task(svc, instance_id)

    done, _ = commands.complete_task(svc, who("cole"), review.id, {})

    assert (done.status, done.completed_by, done.assignee) == ("completed", "cole", "cole")
    assert actions(svc, review.id) == [("cole", "task.claim"), ("cole", "task.complete")]
    assert [t.task_name for t in open_tasks(svc, instance_id)] == ["approve"]


def test_a_task_someone_else_holds_cannot_be_completed(svc: Services) -> None:
    review = the_task(svc, start(svc))
    task_actions.claim_task(svc, who("casey"), review.id)

    with pytest.raises(errors.TaskConflict, match="claimed by casey"):
        commands.complete_task(svc, who("cole"), review.id, {})
    assert task(svc, review.id).status == "open"


def test_completing_twice_is_a_conflict(svc: Services) -> None:
    review = the_task(svc, start(svc))
    commands.complete_task(svc, who("casey"), review.id, {})

    with pytest.raises(errors.Conflict):
        commands.complete_task(svc, who("casey"), review.id, {})


def test_another_office_does_not_see_the_task(svc: Services) -> None:
    review = the_task(svc, start(svc))

    with pytest.raises(errors.TaskNotVisible):
        commands.complete_task(svc, who("olive"), review.id, {})


def test_after_its_deadline_a_task_cannot_be_completed(svc: Services) -> None:
    instance_id = start(svc)
    review = the_task(svc, instance_id)
    svc.clock.advance(timedelta(days=3))  # type: ignore[attr-defined]

    with pytest.raises(errors.Conflict):
        commands.complete_task(svc, who("casey"), review.id, {})
    assert [t.task_name for t in open_tasks(svc, instance_id)] == ["escalated"]


def test_a_case_without_an_incident_cannot_be_retried(svc: Services) -> None:
    instance_id = start(svc)

    with pytest.raises(errors.Conflict):
        commands.retry_instance(svc, who("casey"), instance_id)
    with svc.readers() as session:
        assert session.get_one(ProcessInstance, instance_id).status == "waiting"
