"""engine.casework.queues: what each person's inbox shows, and whom a task may be given."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from engine.casework import queues, task_actions
from engine.services import Services
from engine.store.db import transaction
from engine.store.models import HumanTask
from tests.engine.casework.conftest import away, start, the_task, who

pytestmark = pytest.mark.usefixtures("review")


def _inbox(svc: Services, username: str, **wanted: object) -> list[str]:
    with svc.readers() as session:
        rows, _total = queues.inbox(session, who(username), queues.InboxFilter(**wanted))  # type: ignore[arg-type]
    return [row.business_key for row in rows]


def _eligible(svc: Services, task_id: str, by: str = "sam") -> list[str]:
    with svc.readers() as session:
        task = session.get_one(HumanTask, task_id)
        return [
            name for name, _ in queues.eligible_assignees(session, who(by), task, svc.clock.now())
        ]


def test_the_inbox_shows_my_queues_in_my_office_only(svc: Services) -> None:
    start(svc, "CASE-1")

    assert _inbox(svc, "cole") == ["CASE-1"]
    assert _inbox(svc, "sam") == ["CASE-1"]  # supervisors see their office's queues
    assert _inbox(svc, "ira") == []  # another queue
    assert _inbox(svc, "olive") == []  # another office


def test_my_tasks_are_the_ones_i_hold(svc: Services) -> None:
    first = the_task(svc, start(svc, "CASE-1"))
    start(svc, "CASE-2")
    task_actions.claim_task(svc, who("casey"), first.id)

    assert _inbox(svc, "casey", mine=True) == ["CASE-1"]
    assert _inbox(svc, "cole", mine=True) == []


def test_the_assignee_list_has_the_office_people_who_work_the_queue(svc: Services) -> None:
    review = the_task(svc, start(svc))

    assert _eligible(svc, review.id) == ["casey", "cole"]


def test_the_assignee_list_leaves_out_whoever_is_away(svc: Services) -> None:
    review = the_task(svc, start(svc))
    away(svc, "cole")

    assert _eligible(svc, review.id) == ["casey"]


def test_the_assignee_list_leaves_out_the_four_eyes_excluded(svc: Services) -> None:
    review = the_task(svc, start(svc))
    with transaction(svc.sessions) as session:
        session.get_one(HumanTask, review.id).excluded_users = "casey"

    assert _eligible(svc, review.id) == ["cole"]


def test_only_a_supervisor_of_the_office_gets_an_assignee_list(svc: Services) -> None:
    review = the_task(svc, start(svc))

    assert _eligible(svc, review.id, by="casey") == []
    assert _eligible(svc, review.id, by="omar") == []


def test_everyone_listed_is_accepted_and_nobody_else(svc: Services) -> None:
    review = the_task(svc, start(svc))
    away(svc, "cole")
    listed = set(_eligible(svc, review.id))

    accepted = set()
    for name in ("dana", "ira", "casey", "cole", "sam", "ada", "olive", "omar"):
        with svc.sessions() as session:
            if _accepts(session, svc, review.id, name):
                accepted.add(name)

    assert listed == accepted == {"casey"}


def _accepts(session: Session, svc: Services, task_id: str, username: str) -> bool:
    task = session.get_one(HumanTask, task_id)
    try:
        queues.assign(session, who("sam"), task, username, svc.clock.now())
    except Exception:  # noqa: BLE001 - any refusal counts as "not accepted"
        return False
    finally:
        session.rollback()
    return True
