"""Service-standard deadlines: boundary timers remind and escalate; the clock is a FakeClock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.casework import timers
from engine.store.models import AuditEvent, OutboxEntry, Timer
from tests.api.helpers import FIXTURES, open_task, start, upload


@pytest.fixture
def callback(api, clock):
    upload(api.as_("dana"), FIXTURES / "callback_deadline.bpmn")
    return start(api.as_("casey"), "callback_deadline", "CASE-CB").json


def test_task_due_at_is_its_interrupting_timer(callback, clock):
    task = open_task(callback, "return_call")

    assert task["due_at"] == (clock.now() + timedelta(days=2)).isoformat()
    kinds = sorted((t["task_name"], t["interrupting"]) for t in callback["timers"])
    assert kinds == [("deadline_timer", True), ("reminder_timer", False)]


def test_reminder_fires_and_the_task_stays_open(api, svc, clock, callback):
    clock.advance(hours=8, seconds=1)

    fired = timers.tick(svc)

    assert fired == 1
    instance = api.as_("casey").get(f"/api/instances/{callback['id']}").json
    assert open_task(instance, "return_call")
    assert [t["task_name"] for t in instance["timers"]] == ["deadline_timer"]
    with svc.sessions() as session:
        (notice,) = session.scalars(select(OutboxEntry)).all()
        fires = session.scalars(select(AuditEvent).where(AuditEvent.action == "timer.fire")).all()
    assert notice.channel == "staff"
    assert [f.actor for f in fires] == ["scheduler"]


def test_deadline_escalates_to_the_supervisor_queue(api, svc, clock, callback):
    clock.advance(days=2, seconds=1)

    timers.tick(svc)

    instance = api.as_("sam").get(f"/api/instances/{callback['id']}").json
    escalated = [t for t in instance["tasks"] if t["task_name"] == "return_call"][0]
    assert escalated["status"] == "cancelled" and escalated["closed_reason"] == "escalated"
    follow_up = open_task(instance, "follow_up")
    assert follow_up["queue"] == "supervisor"
    assert instance["timers"] == []
    assert api.as_("casey").get("/api/tasks").json["total"] == 0


def test_completing_after_the_deadline_is_refused_even_before_the_scheduler_ran(
    api, svc, clock, callback
):
    task = open_task(callback, "return_call")
    clock.advance(days=3)

    response = api.as_("casey").post(f"/api/tasks/{task['id']}/complete", json={"data": {}})

    assert response.status_code == 409
    assert "escalated" in response.json["detail"]
    instance = api.as_("sam").get(f"/api/instances/{callback['id']}").json
    assert open_task(instance, "follow_up")


def test_completing_in_time_removes_the_timers(api, svc, clock, callback):
    task = open_task(callback, "return_call")
    clock.advance(hours=1)

    api.as_("casey").post(f"/api/tasks/{task['id']}/complete", json={"data": {}})

    with svc.sessions() as session:
        assert session.scalars(select(Timer)).all() == []
    assert api.as_("casey").get(f"/api/instances/{callback['id']}").json["status"] == "completed"
    clock.advance(days=5)
    assert timers.tick(svc) == 0


def test_overdue_and_due_before_filters(api, clock, callback):
    upcoming = api.as_("casey").get("/api/tasks?due_before=2030-01-01T00:00:00Z").json
    none_yet = api.as_("casey").get("/api/tasks?overdue=true").json
    clock.advance(days=2, hours=1)
    overdue = api.as_("casey").get("/api/tasks?overdue=true").json

    assert upcoming["total"] == 1
    assert none_yet["total"] == 0
    assert overdue["total"] == 1


def test_intermediate_timer_waits_then_moves_on(api, svc, clock):
    upload(api.as_("dana"), FIXTURES / "wait_then_act.bpmn")
    case = start(api.as_("casey"), "wait_then_act", "CASE-W", {"wait_for": "PT30M"}).json

    assert case["tasks"] == [] and len(case["timers"]) == 1
    clock.advance(minutes=29)
    assert timers.tick(svc) == 0
    clock.advance(minutes=2)
    assert timers.tick(svc) == 1
    assert open_task(api.as_("casey").get(f"/api/instances/{case['id']}").json, "act")


def test_catch_up_after_downtime_fires_in_due_order(api, svc, clock):
    upload(api.as_("dana"), FIXTURES / "wait_then_act.bpmn")
    waits = ["PT3H", "PT1H", "PT2H"]
    ids = [
        start(api.as_("casey"), "wait_then_act", f"CASE-{n}", {"wait_for": w}).json["id"]
        for n, w in enumerate(waits)
    ]
    clock.advance(hours=12)

    fired = timers.tick(svc)

    assert fired == 3
    with svc.sessions() as session:
        order = session.scalars(
            select(AuditEvent.instance_id)
            .where(AuditEvent.action == "timer.fire")
            .order_by(AuditEvent.id)
        ).all()
    assert order == [ids[1], ids[2], ids[0]]


def test_service_standards_report(api, svc, clock, callback):
    upload(api.as_("dana"), FIXTURES / "callback_deadline.bpmn")
    on_time = start(api.as_("casey"), "callback_deadline", "CASE-OK").json
    api.as_("casey").post(
        f"/api/tasks/{open_task(on_time, 'return_call')['id']}/complete", json={"data": {}}
    )
    clock.advance(days=3)
    timers.tick(svc)

    report = api.as_("sam").get("/api/reports/service-standards").json
    refused = api.as_("casey").get("/api/reports/service-standards")

    lines = {line["task_name"]: line for line in report["items"]}
    assert lines["return_call"]["completed_on_time"] == 1
    assert lines["return_call"]["escalated"] == 1
    assert lines["follow_up"]["open"] == 1
    assert lines["follow_up"]["queue"] == "supervisor"
    assert refused.status_code == 403
