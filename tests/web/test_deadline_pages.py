"""Staff see moved deadlines and stopped clocks: the closures page previews the moves before
saving, the task page tells how a deadline moved, task and case pages show a stopped clock."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from engine.store.models import OfficeClosure
from tests.api.helpers import FIXTURES, open_task, start, upload
from tests.deadlines.test_clock_pauses import MONDAY_10, PAUSED
from tests.web.conftest import WebClient


def _text(response) -> str:  # type: ignore[no-untyped-def]
    return re.sub(r"\s+", " ", response.data.decode())


@pytest.fixture
def due_on_the_storm(api, clock) -> dict:
    upload(api.as_("dana"), FIXTURES / "closure_deadline.bpmn")
    clock.set(datetime(2027, 1, 12, 15, 0, tzinfo=UTC))
    data = {"received_at": "2027-01-11T10:00:00"}
    return start(api.as_("casey"), "closure_deadline", "CASE-STORM", data).json


def test_the_closures_page_previews_then_saves(web: WebClient, svc, due_on_the_storm):
    task = open_task(due_on_the_storm, "decide")
    web.login("sam")

    preview = _text(web.post("/closures/preview", {"day": "2027-01-15", "reason": "ice storm"}))

    assert "1 open deadline would move." in preview
    assert "CASE-STORM" in preview and "Decide on the request" in preview
    with svc.sessions() as session:
        assert session.scalars(select(OfficeClosure)).all() == []  # nothing saved yet
    saved = web.post("/closures", {"day": "2027-01-15", "reason": "ice storm"})
    assert saved.status_code == 302
    listed = _text(web.get("/closures"))
    assert "2027-01-15" in listed and "ice storm" in listed
    web.login("casey")
    page = _text(web.get(f"/tasks/{task['id']}"))
    assert "Deadline moved from" in page and "by closure 2027-01-15: ice storm" in page
    assert "4 business days counted from" in page


def test_reopening_is_previewed_too(web: WebClient, api, due_on_the_storm):
    closures = "/api/offices/sudbury/closures"
    api.as_("sam").post(closures, json={"day": "2027-01-15", "reason": "ice storm"})
    web.login("sam")

    preview = _text(web.post("/closures/2027-01-15/preview"))
    reopened = web.post("/closures/2027-01-15/remove")

    assert "Opening again on 2027-01-15" in preview and "1 open deadline would move." in preview
    assert reopened.status_code == 302
    assert api.as_("sam").get(closures).json["total"] == 0


def test_a_stopped_clock_shows_on_the_task_and_case_pages(web: WebClient, api, clock):
    upload(api.as_("dana"), *PAUSED)
    clock.set(MONDAY_10)
    case = start(api.as_("casey"), "paused_decision", "CASE-P").json
    assess = open_task(case, "assess")
    api.as_("casey").post(
        f"/api/tasks/{assess['id']}/complete", json={"data": {"documents_missing": True}}
    )
    waiting = open_task(
        api.as_("casey").get(f"/api/instances/{case['id']}").json, "documents_received"
    )
    web.login("casey")

    task_page = _text(web.get(f"/tasks/{waiting['id']}"))
    case_page = _text(web.get("/cases/CASE-P"))
    web.post("/language", {"lang": "fr"})
    french = _text(web.get(f"/tasks/{waiting['id']}"))

    assert "Clock stopped since" in task_page and "waiting on client" in task_page
    assert "Clock stopped since" in case_page
    assert "Chronomètre arrêté depuis" in french


def test_the_standards_page_shows_both_figures(web: WebClient, api, svc, clock):
    upload(api.as_("dana"), *PAUSED)
    clock.set(MONDAY_10)
    case = start(api.as_("casey"), "paused_decision", "CASE-P").json
    steps = [("assess", {"documents_missing": True}), ("documents_received", {}), ("decide", {})]
    moments = [(1, 12, 15), (1, 15, 16), (1, 19, 15)]  # Tue 10:00, Fri 11:00, Tue 10:00
    for (name, data), (month, day, hour) in zip(steps, moments, strict=True):
        clock.set(datetime(2027, month, day, hour, 0, tzinfo=UTC))
        instance = api.as_("casey").get(f"/api/instances/{case['id']}").json
        task = open_task(instance, name)
        api.as_("casey").post(f"/api/tasks/{task['id']}/complete", json={"data": data})
    web.login("sam")

    page = _text(web.get("/standards"))

    row = page[page.index("Decide on emergency assistance") :]
    assert re.search(r'data-label="On time" class="num">1 <span class="hint">\(0\)', row)
    assert 'data-label="Median business hours" class="num">48 / 23<' in row


def test_only_supervisors_change_closures(web: WebClient, svc):
    web.login("casey")

    page = web.get("/closures")
    refused = web.post("/closures", {"day": "2027-01-15", "reason": "ice storm"})

    assert page.status_code == 403 and refused.status_code == 403
    with svc.sessions() as session:
        assert session.scalars(select(OfficeClosure)).all() == []
