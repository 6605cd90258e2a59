"""Reassignment: single or bulk, to a user who works the queue or back to it, all or nothing."""

from __future__ import annotations

import time
import uuid

from sqlalchemy import event, func, select

from engine.store.db import transaction
from engine.store.models import AuditEvent, HumanTask
from tests.supervision.conftest import (
    assignee,
    audit,
    away,
    claimed_case,
    complete,
    open_task,
    start_case,
)


def reassign(api, user, **body):
    return api.as_(user).post("/api/tasks/reassign", json=body)


def test_all_open_tasks_of_a_user_move_to_a_colleague(api, svc, casework):
    tasks = [claimed_case(api, f"CASE-{n}") for n in range(3)]

    response = reassign(api, "sam", from_user="casey", to="cole")

    assert response.status_code == 200 and response.json == {"moved": 3}
    assert api.as_("cole").get("/api/tasks?assignee=me").json["total"] == 3
    moves = audit(svc, "task.reassign")
    assert sorted(m["task_id"] for m in moves) == sorted(t["id"] for t in tasks)
    assert {(m["actor"], m["reason"], m["previous"], m["assignee"]) for m in moves} == {
        ("sam", "supervisor", "casey", "cole")
    }


def test_one_case_goes_back_to_the_queue(api, casework):
    first, second = claimed_case(api, "CASE-1"), claimed_case(api, "CASE-2")

    response = reassign(api, "sam", business_key="CASE-1", to=None)

    assert response.json == {"moved": 1}
    assert [assignee(api, t["id"]) for t in (first, second)] == [None, "casey"]


def test_single_task_by_id(api, casework):
    task = claimed_case(api, "CASE-1")

    response = reassign(api, "ada", task_ids=[task["id"]], to="cole")

    assert response.json == {"moved": 1}
    assert assignee(api, task["id"]) == "cole"


def test_caseworker_cannot_reassign_anothers_task(api, casework):
    task = claimed_case(api, "CASE-1", user="cole")

    response = reassign(api, "casey", task_ids=[task["id"]], to="casey")

    assert response.status_code == 403
    assert assignee(api, task["id"]) == "cole"


def test_assignee_without_the_queue_role_is_422_and_nothing_moves(api, casework):
    assess = claimed_case(api, "CASE-1")
    complete(api, "casey", assess["id"])
    complete(api, "casey", open_task(api, assess["instance_id"])["id"])
    sign_off = open_task(api, assess["instance_id"])
    other = claimed_case(api, "CASE-2")

    to_intake = reassign(api, "sam", from_user="casey", to="ira")
    mixed = reassign(api, "sam", task_ids=[sign_off["id"], other["id"]], to="cole")

    assert to_intake.status_code == 422 and to_intake.json["task_ids"] == [other["id"]]
    assert mixed.status_code == 422
    assert mixed.json["task_ids"] == [sign_off["id"]]
    assert "supervisor" in mixed.json["errors"][0]["message"]
    assert assignee(api, other["id"]) == "casey"


def test_nothing_is_reassigned_to_someone_who_is_away(api, svc, casework):
    task = claimed_case(api, "CASE-1")
    away(api, svc, "cole", cover=None)

    response = reassign(api, "sam", task_ids=[task["id"]], to="cole")

    assert response.status_code == 422 and "away" in response.json["detail"]
    assert assignee(api, task["id"]) == "casey"


def test_bad_selections_are_refused(api, svc, casework):
    task = claimed_case(api, "CASE-1")
    done = claimed_case(api, "CASE-2")
    complete(api, "casey", done["id"])

    no_filter = reassign(api, "sam", to="cole")
    unknown_task = reassign(api, "sam", task_ids=["nope"], to="cole")
    closed_task = reassign(api, "sam", task_ids=[done["id"]], to="cole")
    unknown_user = reassign(api, "sam", from_user="nobody", to="cole")
    unknown_target = reassign(api, "sam", from_user="casey", to="nobody")
    other_office = reassign(api, "omar", task_ids=[task["id"]], to="olive")
    wrong_type = reassign(api, "sam", task_ids="all", to="cole")

    assert no_filter.status_code == 422
    assert unknown_task.status_code == 404
    assert closed_task.status_code == 409
    assert unknown_user.status_code == 404
    assert unknown_target.status_code == 422
    assert other_office.status_code == 404
    assert wrong_type.status_code == 422
    assert audit(svc, "task.reassign") == []


def test_a_thousand_tasks_move_in_one_call_and_one_transaction(api, svc, casework):
    instance_id = start_case(api, "CASE-BIG")
    with transaction(svc.sessions) as session:
        session.add_all(
            HumanTask(
                id=str(uuid.uuid4()),
                instance_id=instance_id,
                process_id="casework",
                business_key="CASE-BIG",
                office="sudbury",
                task_name="assess",
                title="Assess needs",
                queue="caseworker",
                assignee="casey",
                status="open",
                created_at=svc.clock.now(),
            )
            for _ in range(1000)
        )
    commits: list[object] = []

    def count(connection: object) -> None:
        commits.append(connection)

    event.listen(svc.engine, "commit", count)

    started = time.perf_counter()
    response = reassign(api, "sam", from_user="casey", to="cole")
    elapsed = time.perf_counter() - started

    event.remove(svc.engine, "commit", count)
    print(f"bulk reassign of 1,000 tasks on {svc.engine.dialect.name}: {elapsed:.2f}s")
    assert response.json == {"moved": 1000}
    assert len(commits) == 1
    with svc.sessions() as session:
        moved = session.scalar(
            select(func.count()).where(HumanTask.assignee == "cole", HumanTask.status == "open")
        )
        audited = session.scalar(select(func.count()).where(AuditEvent.action == "task.reassign"))
    assert moved == 1000 and audited == 1000
