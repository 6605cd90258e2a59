"""engine.casework.task_actions: claim, release and assign, each one locked transaction."""

from __future__ import annotations

import pytest

from engine import errors
from engine.casework import task_actions
from engine.services import Services
from tests.engine.casework.conftest import actions, away, start, task, the_task, who

pytestmark = pytest.mark.usefixtures("review")


def test_claiming_takes_the_task_once_and_again_changes_nothing(svc: Services) -> None:
    review = the_task(svc, start(svc))

    task_actions.claim_task(svc, who("casey"), review.id)
    held, _ = task_actions.claim_task(svc, who("casey"), review.id)

    assert held.assignee == "casey"
    assert actions(svc, review.id) == [("casey", "task.claim")]


def test_a_claimed_task_cannot_be_claimed_by_someone_else(svc: Services) -> None:
    review = the_task(svc, start(svc))
    task_actions.claim_task(svc, who("casey"), review.id)

    with pytest.raises(errors.TaskConflict):
        task_actions.claim_task(svc, who("cole"), review.id)
    assert task(svc, review.id).assignee == "casey"


def test_a_worker_cannot_claim_from_a_queue_they_do_not_work(svc: Services) -> None:
    review = the_task(svc, start(svc))

    with pytest.raises(errors.TaskNotVisible):  # not in their queues: not even seen
        task_actions.claim_task(svc, who("ira"), review.id)


def test_release_puts_the_task_back_in_its_queue(svc: Services) -> None:
    review = the_task(svc, start(svc))
    task_actions.claim_task(svc, who("casey"), review.id)

    released, _ = task_actions.release_task(svc, who("casey"), review.id)

    assert released.assignee is None
    assert actions(svc, review.id)[-1] == ("casey", "task.unclaim")


def test_only_the_assignee_or_a_supervisor_releases(svc: Services) -> None:
    review = the_task(svc, start(svc))
    task_actions.claim_task(svc, who("casey"), review.id)

    with pytest.raises(errors.TaskForbidden):
        task_actions.release_task(svc, who("cole"), review.id)
    task_actions.release_task(svc, who("sam"), review.id)
    assert task(svc, review.id).assignee is None


def test_a_supervisor_assigns_and_hands_back_to_the_queue(svc: Services) -> None:
    review = the_task(svc, start(svc))

    assigned, _ = task_actions.assign_task(svc, who("sam"), review.id, "cole")
    back, _ = task_actions.assign_task(svc, who("sam"), review.id, None)

    assert (assigned.assignee, back.assignee) == ("cole", None)
    assert actions(svc, review.id) == [("sam", "task.assign"), ("sam", "task.assign")]


def test_a_caseworker_cannot_assign(svc: Services) -> None:
    review = the_task(svc, start(svc))

    with pytest.raises(errors.TaskForbidden):
        task_actions.assign_task(svc, who("casey"), review.id, "cole")


def test_nobody_is_given_a_task_of_a_queue_they_do_not_work(svc: Services) -> None:
    review = the_task(svc, start(svc))

    with pytest.raises(errors.AssigneeInvalid):
        task_actions.assign_task(svc, who("sam"), review.id, "ira")


def test_nobody_is_given_a_task_while_away(svc: Services) -> None:
    review = the_task(svc, start(svc))
    away(svc, "cole", cover="casey")

    with pytest.raises(errors.Invalid) as refused:
        task_actions.assign_task(svc, who("sam"), review.id, "cole")

    assert "their cover is casey" in refused.value.detail
    assert task(svc, review.id).assignee is None
