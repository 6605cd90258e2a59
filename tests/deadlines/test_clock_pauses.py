"""A standard's clock stops while the office waits on the client, and the report shows the
business time both with and without the stopped time."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from engine.casework import timers
from engine.store.models import AuditEvent, ClockPause
from tests.api.helpers import FIXTURES, open_task, start, upload

PAUSED = (FIXTURES / "paused_decision.bpmn", FIXTURES / "paused_assess.schema.json")
MONDAY_10 = datetime(2027, 1, 11, 15, 0, tzinfo=UTC)  # 10:00 Toronto; 4 business days: Fri 10:00


@pytest.fixture
def case(api, clock):
    assert upload(api.as_("dana"), *PAUSED).status_code == 201
    clock.set(MONDAY_10)
    return start(api.as_("casey"), "paused_decision", "CASE-P").json


def _complete(api, instance: dict, name: str, data: dict | None = None) -> dict:
    task = open_task(instance, name)
    done = api.as_("casey").post(f"/api/tasks/{task['id']}/complete", json={"data": data or {}})
    assert done.status_code == 200, done.json
    return api.as_("casey").get(f"/api/instances/{instance['id']}").json


def test_tasks_inside_the_subprocess_take_its_deadline(case):
    assert open_task(case, "assess")["due_at"] == "2027-01-15T15:00:00+00:00"


def test_a_stopped_clock_keeps_the_decision_on_time(api, svc, clock, case):
    clock.set(datetime(2027, 1, 12, 15, 0, tzinfo=UTC))  # Tue 10:00: documents requested
    waiting = _complete(api, case, "assess", {"documents_missing": True})
    assert open_task(waiting, "documents_received")["due_at"] is None  # the clock stands still

    clock.set(datetime(2027, 1, 15, 16, 0, tzinfo=UTC))  # Fri 11:00, past the first due time
    assert timers.tick(svc) == 0  # nothing fires while the clock is stopped
    deciding = _complete(api, waiting, "documents_received")
    decide = open_task(deciding, "decide")
    # stopped Tue 10:00 → Fri 11:00 = 6.5 + 8 + 8 + 2.5 = 25 business hours (08:30-16:30)
    assert decide["due_at"] == "2027-01-20T16:00:00+00:00"

    clock.set(datetime(2027, 1, 19, 15, 0, tzinfo=UTC))  # Tue 10:00: late by the first due
    timers.tick(svc)
    _complete(api, deciding, "decide")

    report = api.as_("sam").get("/api/reports/service-standards?office=sudbury").json["items"]
    (line,) = [i for i in report if i["task_name"] == "decide"]
    assert line["completed_on_time"] == 1 and line["completed_late"] == 0
    assert line["completed_on_time_without_pauses"] == 0
    assert line["completed_late_without_pauses"] == 1
    assert line["paused_business_hours"] == 25.0
    assert line["median_business_hours_to_complete"] == 48.0  # Mon 10:00 → Tue 10:00 a week later
    assert line["median_business_hours_net_of_pauses"] == 23.0
    with svc.sessions() as session:
        (pause,) = session.scalars(select(ClockPause)).all()
        actions = session.scalars(select(AuditEvent.action)).all()
    assert pause.business_hours == 25.0 and pause.ended_at is not None
    assert {"clock.stop", "clock.resume", "deadline.move"} <= set(actions)


def test_without_the_pause_the_deadline_escalates(api, svc, clock, case):
    clock.set(datetime(2027, 1, 15, 15, 0, 1, tzinfo=UTC))

    timers.tick(svc)

    instance = api.as_("sam").get(f"/api/instances/{case['id']}").json
    assert open_task(instance, "escalation")["queue"] == "supervisor"
