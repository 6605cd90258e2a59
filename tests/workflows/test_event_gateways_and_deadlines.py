"""Engine gaps found while building the shipped workflows, kept as regression tests now that
the engine handles them: event-based gateways (timers and messages behind them) and deadlines
that fire without interrupting."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.casework import timers
from tests.api.helpers import upload, upload_bytes
from tests.workflows.helpers import add_partner, instance, start, task

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def gateway(api):
    assert upload(api.as_("dana"), FIXTURES / "event_gateway.bpmn").status_code == 201


def test_event_gateway_timer_gets_a_timer_row(api, svc, clock, gateway):
    case = start(
        api.as_("casey"), "event_gateway", "GAP-1", {"referral_id": "R-1", "wait_for": "PT1H"}
    )

    assert [t["task_name"] for t in case["timers"]] == ["timeout"]
    clock.advance(hours=1, seconds=1)
    assert timers.tick(svc) == 1
    assert instance(api, case["id"])["status"] == "completed"


def test_event_gateway_message_is_found_by_correlation(api, svc, gateway):
    partner = add_partner(api, svc)
    start(api.as_("casey"), "event_gateway", "GAP-2", {"referral_id": "R-2", "wait_for": "PT1H"})

    response = partner.post(
        "/api/messages",
        json={"name": "referral_accepted", "correlation": {"referral_id": "R-2"}, "payload": {}},
    )

    assert response.status_code == 202


def test_event_gateway_timer_accepts_business_days(api):
    diagram = (FIXTURES / "event_gateway.bpmn").read_bytes()
    business = diagram.replace(b">wait_for<", b">business_days(1)<")
    assert upload_bytes(api.as_("dana"), "event_gateway.bpmn", business).status_code == 201

    case = start(api.as_("casey"), "event_gateway", "GAP-3", {"referral_id": "R-3"})

    assert case["status"] == "waiting", case["incidents"]


def test_task_stays_overdue_after_its_non_interrupting_deadline_fires(api, svc, clock):
    upload(api.as_("dana"), FIXTURES / "reminder_only.bpmn")
    case = start(api.as_("sam"), "reminder_only", "GAP-4")
    due = task(case, "answer")["due_at"]
    clock.advance(hours=1, seconds=1)
    timers.tick(svc)

    still_open = task(instance(api, case["id"]), "answer")

    assert still_open["due_at"] == due
    assert api.as_("sam").get("/api/tasks?overdue=true").json["total"] == 1
