"""client_callback: the reference escalation pattern (return client calls in 2 business days)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from engine.casework import timers
from tests.workflows.helpers import complete, deploy, fired, instance, outbox, start, task

CALL = {"client_name": "Pat Doe", "phone": "705-555-0101", "reason": "Question about a cheque"}
ANSWER = {"reached": True, "call_outcome": "resolved", "call_notes": "Cheque reissued."}
MONDAY_9AM = datetime(2027, 1, 4, 14, 0, tzinfo=UTC)  # 09:00 in Sudbury


@pytest.fixture
def call(api, clock):
    deploy(api, "client_callback.bpmn")
    return start(api.as_("casey"), "client_callback", "CASE-CB-1", CALL)


def test_the_call_is_due_in_two_business_days_with_a_reminder_the_day_before(call):
    returning = task(call, "return_call")

    assert returning["queue"] == "caseworker"
    assert returning["due_at"] == "2027-01-06T14:00:00+00:00"  # Wednesday 09:00
    assert {(t["task_name"], t["due_at"]) for t in call["timers"]} == {
        ("deadline_timer", "2027-01-06T14:00:00+00:00"),
        ("reminder_timer", "2027-01-05T14:00:00+00:00"),
    }


def test_returned_in_time_closes_the_call_and_its_timers(api, svc, clock, call):
    clock.advance(hours=3)

    done = complete(api, "casey", call, "return_call", ANSWER)

    assert done["status"] == "completed"
    assert done["timers"] == [] and outbox(svc, call["id"]) == []
    assert done["data"]["call_outcome"] == "resolved"
    assert task(done, "return_call", "completed")["completed_by"] == "casey"
    clock.advance(days=10)
    assert timers.tick(svc) == 0


def test_the_reminder_goes_to_the_caseworker_queue_and_the_call_stays_open(api, svc, clock, call):
    clock.advance(days=1, seconds=1)

    assert timers.tick(svc) == 1

    case = instance(api, call["id"])
    assert task(case, "return_call")["due_at"] == "2027-01-06T14:00:00+00:00"
    (reminder,) = outbox(svc, call["id"])
    assert (reminder.channel, reminder.recipient) == ("staff", "caseworker")
    assert reminder.subject == "Call back due tomorrow: Pat Doe"
    assert [t["task_name"] for t in case["timers"]] == ["deadline_timer"]
    assert complete(api, "cole", case, "return_call", ANSWER)["status"] == "completed"


def test_a_missed_deadline_moves_the_call_to_a_supervisor(api, svc, clock, call):
    clock.advance(days=2, seconds=1)

    timers.tick(svc)

    case = instance(api, call["id"])
    missed = task(case, "return_call", "cancelled")
    assert missed["closed_reason"] == "escalated"
    overdue = task(case, "return_overdue_call")
    assert overdue["queue"] == "supervisor" and overdue["due_at"] is None
    assert api.as_("casey").get("/api/tasks").json["total"] == 0
    assert fired(case) == [
        "reminder_timer",
        "deadline_timer",
    ]
    assert [m.channel for m in outbox(svc, call["id"])] == ["staff"]
    done = complete(api, "sam", case, "return_overdue_call", ANSWER)
    assert done["status"] == "completed"
    assert task(done, "return_overdue_call", "completed")["completed_by"] == "sam"


def test_a_friday_afternoon_call_is_due_on_tuesday(api, clock):
    deploy(api, "client_callback.bpmn")
    clock.set(MONDAY_9AM + timedelta(days=4, hours=6))  # Friday 15:00

    call = start(api.as_("casey"), "client_callback", "CASE-CB-2", CALL)

    assert task(call, "return_call")["due_at"] == "2027-01-12T20:00:00+00:00"  # Tuesday 15:00


def test_the_answer_is_checked_field_by_field(api, call):
    item = task(call, "return_call")

    response = api.as_("casey").post(
        f"/api/tasks/{item['id']}/complete", json={"data": {"call_outcome": "maybe"}}
    )

    assert response.status_code == 422
    assert {e["field"] for e in response.json["errors"]} == {"data.reached", "data.call_outcome"}
