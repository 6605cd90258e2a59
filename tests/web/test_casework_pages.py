"""The caseworker's pages: inbox tabs and filters, claim and release, the task page, completing
a form with server-side errors shown next to the fields, and a supervisor's reassignment."""

from __future__ import annotations

import re
from datetime import timedelta

from tests.api.helpers import open_task, start
from tests.web.conftest import WebClient

REQUEST = {
    "f.client_name": "Ana Silva",
    "f.purpose": "dental",
    "f.amount": "900",
    "f.notes": "",
}

ERR = '<span class="visually-hidden">Error: </span>'


def _task(api, key: str = "CASE-1") -> dict:
    return open_task(start(api.as_("casey"), "discretionary_benefit", key).json, "record_request")


def _text(response) -> str:  # type: ignore[no-untyped-def]
    return re.sub(r"\s+", " ", response.data.decode())


def test_the_inbox_has_my_tasks_and_each_queue_i_hold(web: WebClient, api, deployed):
    _task(api)
    web.login("casey")

    mine = _text(web.get("/inbox"))
    queue = _text(web.get("/inbox?tab=caseworker"))

    assert "My tasks" in mine and "Queue: Caseworker" in mine and "0 tasks" in mine
    assert "Record the benefit request" in queue and "CASE-1" in queue and "1 task," in queue


def test_claiming_moves_the_task_to_my_tasks_and_release_gives_it_back(
    web: WebClient, api, deployed
):
    task = _task(api)
    web.login("casey")

    claimed = web.post(f"/tasks/{task['id']}/claim", {"next": "/inbox?tab=caseworker"})
    mine = _text(web.get("/inbox"))
    released = web.post(f"/tasks/{task['id']}/release")

    assert claimed.headers["Location"] == "/inbox?tab=caseworker"
    assert "Record the benefit request" in mine and "You claimed the task." in mine
    assert released.status_code == 302
    assert api.as_("casey").get(f"/api/tasks/{task['id']}").json["assignee"] is None


def test_a_task_claimed_by_someone_else_cannot_be_claimed(web: WebClient, api, deployed):
    task = _task(api)
    api.as_("cole").post(f"/api/tasks/{task['id']}/claim")
    web.login("casey")

    web.post(f"/tasks/{task['id']}/claim")
    page = _text(web.get(f"/tasks/{task['id']}"))

    assert "This task changed meanwhile" in page
    assert "cole is working on this task." in page


def test_overdue_tasks_are_marked_and_filters_narrow_the_list(
    web: WebClient, api, deployed, svc, clock
):
    task = _task(api)
    web.login("casey")
    web.post(f"/tasks/{task['id']}/claim")
    with svc.sessions.begin() as session:
        from engine.store.models import HumanTask

        session.get(HumanTask, task["id"]).due_at = clock.now() - timedelta(hours=1)

    page = _text(web.get("/inbox"))
    other_process = _text(web.get("/inbox?process=nothing"))
    due_day = (clock.now() - timedelta(days=2)).date().isoformat()
    not_due_yet = _text(web.get(f"/inbox?due_by={due_day}"))

    assert 'class="overdue"' in page and "Overdue" in page
    assert "0 tasks" in other_process
    assert "0 tasks" in not_due_yet


def test_the_task_page_shows_the_case_the_diagram_and_the_form(web: WebClient, api, deployed):
    task = _task(api)
    web.login("casey")

    page = _text(web.get(f"/tasks/{task['id']}"))

    assert "CASE-1" in page and "Discretionary benefit request" in page
    assert 'data-current="record_request"' in page
    assert "/api/definitions/discretionary_benefit/versions/1/xml" in page
    assert 'name="f.client_name"' in page and "Client name" in page
    assert '<option value="dental">Dental care</option>' in page
    assert "Started by casey" in page


def test_errors_are_shown_next_to_their_fields_and_the_entries_are_kept(
    web: WebClient, api, deployed
):
    task = _task(api)
    web.login("casey")

    unreadable = web.post(f"/tasks/{task['id']}/complete", {**REQUEST, "f.amount": "lots"})
    refused = web.post(
        f"/tasks/{task['id']}/complete", {**REQUEST, "f.client_name": "", "f.amount": "20000"}
    )

    assert unreadable.status_code == 422
    assert 'id="field-amount-error">' + ERR + "Enter a number." in _text(unreadable)
    text = _text(refused)
    assert refused.status_code == 422
    assert 'id="field-client_name-error">' + ERR + "This field is required." in text
    assert 'id="field-amount-error">' + ERR + "Enter 10,000 or less." in text
    assert 'aria-describedby="field-amount-error" aria-invalid="true"' in text
    assert 'href="#field-client_name"' in text  # the error summary links to the field
    assert 'value="20000"' in text and '<option value="dental" selected>' in text
    assert api.as_("casey").get(f"/api/tasks/{task['id']}").json["status"] == "open"


def test_completing_the_form_finishes_the_task_and_shows_it_in_the_history(
    web: WebClient, api, deployed
):
    task = _task(api)
    web.login("casey")

    done = web.post(f"/tasks/{task['id']}/complete", REQUEST)

    assert done.headers["Location"] == "/inbox"
    assert "is completed" in _text(web.get("/inbox"))
    instance = api.as_("casey").get(f"/api/instances/{task['instance_id']}").json
    assert instance["data"]["amount"] == 900 and "notes" not in instance["data"]
    approval = open_task(instance, "approve_request")
    web.post("/logout")
    web.login("sam")
    page = _text(web.get(f"/tasks/{approval['id']}"))
    assert "Record the benefit request</strong> — completed by casey" in page
    assert "<dt>Client name</dt><dd>Ana Silva</dd>" in page


def test_four_eyes_keeps_the_requester_from_the_approval_form(web: WebClient, api, deployed):
    task = _task(api)
    web.login("casey")
    web.post(f"/tasks/{task['id']}/complete", REQUEST)
    instance = api.as_("casey").get(f"/api/instances/{task['instance_id']}").json
    approval = open_task(instance, "approve_request")
    web.post("/logout")
    web.login("ada")  # an admin who is not the requester may approve

    page = _text(web.get(f"/tasks/{approval['id']}"))

    assert 'name="f.approved"' in page


def test_a_supervisor_reassigns_from_the_task_page(web: WebClient, api, deployed):
    task = _task(api)
    web.login("sam")

    page = _text(web.get(f"/tasks/{task['id']}"))
    moved = web.post(f"/tasks/{task['id']}/assign", {"user": "cole"})
    refused = web.post(f"/tasks/{task['id']}/assign", {"user": "ira"})

    assert '<option value="cole">' in page and '<option value="ira">' not in page
    assert moved.status_code == 302
    assert api.as_("casey").get(f"/api/tasks/{task['id']}").json["assignee"] == "cole"
    assert refused.status_code == 302
    assert "That person cannot take this task" in _text(web.get(f"/tasks/{task['id']}"))


def test_caseworkers_cannot_assign(web: WebClient, api, deployed):
    task = _task(api)
    web.login("casey")

    assert web.post(f"/tasks/{task['id']}/assign", {"user": "cole"}).status_code == 403


def test_a_task_of_another_office_is_not_found(web: WebClient, api, deployed):
    task = _task(api)
    web.login("olive")

    assert web.get(f"/tasks/{task['id']}").status_code == 404


def test_the_task_page_offers_nobody_the_assignment_would_refuse(
    web: WebClient, api, deployed, clock
):
    task = _task(api)
    absence = {
        "starts_at": clock.now().isoformat(),
        "ends_at": (clock.now() + timedelta(days=5)).isoformat(),
        "cover": None,
        "reason_category": "vacation",
    }
    assert api.as_("sam").post("/api/users/cole/absences", json=absence).status_code == 201
    web.login("sam")

    page = _text(web.get(f"/tasks/{task['id']}"))
    refused = api.as_("sam").post(f"/api/tasks/{task['id']}/assign", json={"user": "cole"})

    assert refused.status_code == 422
    assert '<option value="casey">' in page and '<option value="cole">' not in page
