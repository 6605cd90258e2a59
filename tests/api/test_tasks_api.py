"""Working a case through the inbox as the right people, and being stopped when not."""

from __future__ import annotations

import json
import threading

import pytest
from sqlalchemy import select

from engine.store.models import AuditEvent, OutboxEntry
from tests.api.helpers import WORKFLOWS, open_task, start, upload

REQUEST = {"client_name": "Pat Doe", "purpose": "dental", "amount": 400}


@pytest.fixture
def case(api):
    upload(api.as_("dana"), WORKFLOWS.parent / "tests" / "fixtures" / "discretionary_benefit.bpmn")
    return start(api.as_("casey"), "discretionary_benefit", "CASE-7").json


def complete(user, task_id, data):
    return user.post(f"/api/tasks/{task_id}/complete", json={"data": data})


def test_two_lanes_run_to_completion_as_two_users(api, case, svc):
    casey, sam = api.as_("casey"), api.as_("sam")
    record = open_task(case, "record_request")

    claimed = casey.post(f"/api/tasks/{record['id']}/claim")
    done = complete(casey, record["id"], REQUEST)
    approval = sam.get("/api/tasks?queue=supervisor").json["items"][0]
    sam.post(f"/api/tasks/{approval['id']}/claim")
    finished = complete(sam, approval["id"], {"approved": True, "approval_note": "ok"})

    assert claimed.json["assignee"] == "casey"
    assert done.json["status"] == "completed"
    assert approval["task_name"] == "approve_request" and approval["queue"] == "supervisor"
    assert finished.status_code == 200
    instance = casey.get(f"/api/instances/{case['id']}").json
    assert instance["status"] == "completed"
    assert instance["data"]["approved"] is True
    assert instance["data"]["amount"] == 400
    assert [t["status"] for t in instance["tasks"]] == ["completed", "completed"]
    actions = [h["action"] for h in instance["history"]]
    assert actions[:3] == ["instance.start", "case.open", "task.claim"]
    assert "task.complete" in actions and actions[-1] == "instance.completed"
    with svc.sessions() as session:
        (notice,) = session.scalars(select(OutboxEntry)).all()
    assert notice.recipient == "Pat Doe" and notice.channel == "mail"


def test_task_view_has_form_schema_and_inbox_has_none(api, case):
    task = open_task(case, "record_request")

    listed = api.as_("casey").get("/api/tasks").json["items"][0]
    detail = api.as_("casey").get(f"/api/tasks/{task['id']}").json

    assert "schema" not in listed["form"]
    assert detail["form"]["key"] == "benefit_request"
    assert "amount" in detail["form"]["schema"]["properties"]
    assert set(detail) >= {
        "id",
        "instance_id",
        "process_id",
        "task_name",
        "title",
        "queue",
        "assignee",
        "status",
        "created_at",
        "due_at",
        "form",
    }


def test_invalid_form_data_gives_field_errors_and_changes_nothing(api, case):
    task = open_task(case, "record_request")

    response = complete(api.as_("casey"), task["id"], {"amount": "lots", "purpose": "yacht"})

    assert response.status_code == 422
    fields = {e["field"] for e in response.json["errors"]}
    assert fields == {"data.client_name", "data.amount", "data.purpose"}
    after = api.as_("casey").get(f"/api/tasks/{task['id']}").json
    assert after["status"] == "open"
    assert api.as_("casey").get(f"/api/instances/{case['id']}").json["status"] == "waiting"


def test_body_that_is_not_an_object_is_422(api, case):
    task = open_task(case, "record_request")

    response = api.as_("casey").post(f"/api/tasks/{task['id']}/complete", json={"data": [1, 2]})

    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "data"


def test_caseworker_cannot_see_or_claim_a_supervisor_task(api, case):
    complete(api.as_("casey"), open_task(case, "record_request")["id"], REQUEST)
    approval = api.as_("sam").get("/api/tasks").json["items"][0]

    seen = api.as_("casey").get(f"/api/tasks/{approval['id']}")
    claim = api.as_("casey").post(f"/api/tasks/{approval['id']}/claim")
    done = complete(api.as_("casey"), approval["id"], {"approved": True})

    assert seen.status_code == 404
    assert claim.status_code in (403, 404)
    assert done.status_code in (403, 404)
    assert api.as_("casey").get("/api/tasks").json["total"] == 0


def test_other_office_cannot_see_the_task(api, case):
    task = open_task(case, "record_request")

    assert api.as_("olive").get(f"/api/tasks/{task['id']}").status_code == 404
    assert api.as_("omar").get("/api/tasks").json["total"] == 0
    assert api.as_("olive").get(f"/api/instances/{case['id']}").status_code == 404


def test_second_claim_is_a_conflict(api, case):
    task = open_task(case, "record_request")
    api.as_("casey").post(f"/api/tasks/{task['id']}/claim")

    second = api.as_("cole").post(f"/api/tasks/{task['id']}/claim")
    steal = complete(api.as_("cole"), task["id"], REQUEST)

    assert second.status_code == 409
    assert "casey" in second.json["detail"]
    assert steal.status_code == 409  # someone else holds it: a conflict, as for the claim


def test_release_lets_another_worker_claim(api, case):
    task = open_task(case, "record_request")
    api.as_("casey").post(f"/api/tasks/{task['id']}/claim")

    released = api.as_("casey").post(f"/api/tasks/{task['id']}/unclaim")
    taken = api.as_("cole").post(f"/api/tasks/{task['id']}/claim")

    assert released.json["assignee"] is None
    assert taken.json["assignee"] == "cole"


def test_completing_a_completed_task_is_a_conflict(api, case):
    task = open_task(case, "record_request")
    complete(api.as_("casey"), task["id"], REQUEST)

    again = complete(api.as_("casey"), task["id"], REQUEST)

    assert again.status_code == 409


def test_supervisor_assigns_only_to_someone_who_works_the_queue(api, case):
    task = open_task(case, "record_request")

    to_cole = api.as_("sam").post(f"/api/tasks/{task['id']}/assign", json={"user": "cole"})
    to_intake = api.as_("sam").post(f"/api/tasks/{task['id']}/assign", json={"user": "ira"})
    by_peer = api.as_("casey").post(f"/api/tasks/{task['id']}/assign", json={"user": "casey"})
    to_queue = api.as_("sam").post(f"/api/tasks/{task['id']}/assign", json={"user": None})

    assert to_cole.status_code == 200 and to_cole.json["assignee"] == "cole"
    assert to_intake.status_code == 422
    assert by_peer.status_code == 403
    assert to_queue.json["assignee"] is None


def test_inbox_filters_and_pages(api):
    upload(api.as_("dana"), WORKFLOWS.parent / "tests" / "fixtures" / "discretionary_benefit.bpmn")
    for n in range(3):
        start(api.as_("casey"), "discretionary_benefit", f"CASE-{n}")
    first = api.as_("cole").get("/api/tasks?limit=2").json
    api.as_("cole").post(f"/api/tasks/{first['items'][0]['id']}/claim")

    second_page = api.as_("cole").get("/api/tasks?limit=2&offset=2").json
    mine = api.as_("cole").get("/api/tasks?assignee=me").json
    bad = api.as_("cole").get("/api/tasks?limit=0")

    assert first["total"] == 3 and len(first["items"]) == 2
    assert len(second_page["items"]) == 1
    assert mine["total"] == 1
    assert bad.status_code == 422 and bad.json["errors"][0]["field"] == "limit"


def test_two_threads_completing_one_task_exactly_one_wins(api, case, svc):
    task = open_task(case, "record_request")
    api.as_("casey").post(f"/api/tasks/{task['id']}/claim")
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def worker() -> None:
        client = api.client.application.test_client()
        barrier.wait()
        response = client.post(
            f"/api/tasks/{task['id']}/complete",
            json={"data": REQUEST},
            headers={"Authorization": f"Bearer {api.tokens['casey']}"},
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(statuses) == [200, 409]
    with svc.sessions() as session:
        completions = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "task.complete")
        ).all()
    assert len(completions) == 1
    approvals = api.as_("sam").get("/api/tasks").json
    assert approvals["total"] == 1


def test_nested_form_data_of_a_completed_task_never_changes(api, svc):
    upload(api.as_("dana"), WORKFLOWS.parent / "tests" / "fixtures" / "discretionary_benefit.bpmn")
    instance = start(api.as_("casey"), "discretionary_benefit", "CASE-N").json
    task = open_task(instance, "record_request")
    data = {**REQUEST, "notes": "first"}

    complete(api.as_("casey"), task["id"], data)
    data["notes"] = "changed after submit"
    stored = api.as_("casey").get(f"/api/tasks/{task['id']}").json

    assert stored["data"]["notes"] == "first"
    assert json.loads(json.dumps(stored["data"])) == {**REQUEST, "notes": "first"}


def test_four_eyes_the_requester_cannot_approve(api, case):
    record = open_task(case, "record_request")
    api.as_("sam").post(f"/api/tasks/{record['id']}/claim")
    complete(api.as_("sam"), record["id"], REQUEST)
    approval = api.as_("sam").get("/api/tasks?queue=supervisor").json["items"][0]

    claim = api.as_("sam").post(f"/api/tasks/{approval['id']}/claim")
    direct = complete(api.as_("sam"), approval["id"], {"approved": True})
    assign = api.as_("ada").post(f"/api/tasks/{approval['id']}/assign", json={"user": "sam"})

    assert claim.status_code == 403 and "four eyes" in claim.json["detail"]
    assert direct.status_code == 403
    assert assign.status_code == 422


def test_threshold_comes_from_the_service_standards(api, case):
    small = {**REQUEST, "amount": 200}

    complete(api.as_("casey"), open_task(case, "record_request")["id"], small)

    instance = api.as_("casey").get(f"/api/instances/{case['id']}").json
    assert instance["status"] == "completed"
    assert instance["data"]["approval_required"] is False


def test_worker_moved_to_another_office_still_sees_the_case_of_a_task_they_hold(api, case, svc):
    """A task stays with its assignee when their office changes (e.g. by single sign-on);
    the case behind it must open too, not answer 404 from the task page."""
    from engine.store.db import transaction
    from engine.store.models import User

    record = open_task(case, "record_request")
    api.as_("cole").post(f"/api/tasks/{record['id']}/claim")
    with transaction(svc.sessions) as session:
        session.scalars(select(User).where(User.username == "cole")).one().office = "ottawa"

    task = api.as_("cole").get(f"/api/tasks/{record['id']}")
    instance = api.as_("cole").get(f"/api/instances/{case['id']}")
    other = api.as_("olive").get(f"/api/instances/{case['id']}")

    assert task.status_code == 200
    assert instance.status_code == 200
    assert other.status_code == 404  # the rest of the new office still does not see it
