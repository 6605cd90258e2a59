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
        ("reminder_timer", "2027-01-05T14:00:00+00:00"),
        ("return_call_deadline", "2027-01-06T14:00:00+00:00"),
        ("return_call_supervisor_reminder", "2027-01-07T14:00:00+00:00"),
        ("return_call_escalation", "2027-01-11T14:00:00+00:00"),
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
    assert "reminder_timer" not in [t["task_name"] for t in case["timers"]]
    assert complete(api, "cole", case, "return_call", ANSWER)["status"] == "completed"


def test_a_missed_deadline_keeps_the_call_with_the_caseworker(api, svc, clock, call):
    clock.advance(days=2, seconds=1)

    timers.tick(svc)

    case = instance(api, call["id"])
    kept = task(case, "return_call")
    assert kept["queue"] == "caseworker" and kept["due_at"] == "2027-01-06T14:00:00+00:00"
    assert outbox(svc, call["id"])[-1].subject == "Overdue: Return the client's call"
    clock.advance(days=1)
    timers.tick(svc)
    assert outbox(svc, call["id"])[-1].recipient == "supervisor"
    assert complete(api, "cole", instance(api, call["id"]), "return_call", ANSWER)["status"] == (
        "completed"
    )


def test_only_the_final_escalation_moves_the_call_to_a_supervisor(api, svc, clock, call):
    clock.advance(days=7, seconds=1)  # Monday: 3 business days after the deadline

    timers.tick(svc)

    case = instance(api, call["id"])
    assert task(case, "return_call", "cancelled")["closed_reason"] == "escalated"
    overdue = task(case, "return_overdue_call")
    assert overdue["queue"] == "supervisor"
    assert overdue["due_at"] == "2027-01-12T14:00:01+00:00"  # late escalations count as late
    assert fired(case) == [
        "reminder_timer",
        "return_call_deadline",
        "return_call_supervisor_reminder",
        "return_call_escalation",
    ]
    done = complete(api, "sam", case, "return_overdue_call", ANSWER)
    assert done["status"] == "completed"


def test_a_client_not_reached_after_three_attempts_is_unreachable(api, svc, clock, call):
    case = call
    for attempt in range(3):
        clock.advance(hours=1)
        missed = {"reached": False, "call_outcome": "message_left"}
        case = complete(api, "casey", case, "return_call", missed)
        if attempt < 2:
            # each attempt has its own clock: 2 business days from that attempt
            assert task(case, "return_call")["due_at"] > call["tasks"][0]["due_at"]

    assert case["status"] == "completed"
    assert case["data"]["call_attempts"] == 3


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
