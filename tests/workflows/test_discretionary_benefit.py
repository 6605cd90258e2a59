"""discretionary_benefit: one model on its own or from the needs assessment; front-line staff
decide up to the (local-policy) threshold, supervisors above; the notice always carries the
decision, the amount and the review rights."""

from __future__ import annotations

import json

import pytest

from engine.casework import timers
from tests.workflows.helpers import complete, deploy, instance, open_tasks, outbox, start, task

REQUEST = {"client_name": "Pat Doe", "purpose": "dental", "amount": 180}


@pytest.fixture
def recorded(api):
    deploy(api, "discretionary_benefit.bpmn")
    case = start(api.as_("casey"), "discretionary_benefit", "CASE-40", {})
    return complete(api, "casey", case, "record_request", REQUEST)


def test_below_the_threshold_the_caseworker_decides_and_the_notice_says_it_all(api, svc, recorded):
    decide = task(recorded, "decide_benefit")
    assert (decide["queue"], decide["assignee"]) == ("caseworker", "casey")
    assert decide["due_at"] == "2027-01-11T14:00:00+00:00"  # benefit_decision_business_days

    done = complete(
        api, "casey", recorded, "decide_benefit", {"approved": True, "approval_note": "Estimate OK"}
    )

    assert done["status"] == "completed"
    assert task(done, "decide_benefit", "completed")["completed_by"] == "casey"
    (notice,) = outbox(svc, recorded["id"])
    assert (notice.channel, notice.recipient, notice.kind) == (
        "mail",
        "Pat Doe",
        "discretionary_benefit",
    )
    assert notice.subject == "Your discretionary benefit request: approved"
    assert "approved: $180.00" in notice.body
    assert "Reason: Estimate OK" in notice.body
    assert "Decided by: your caseworker." in notice.body
    assert "internal review within 30 days" in notice.body
    payload = json.loads(notice.payload_json)
    assert payload["approved"] is True and payload["amount"] == 180


def test_a_refusal_needs_a_reason_the_client_reads(api, svc, recorded):
    item = task(recorded, "decide_benefit")
    refused = api.as_("casey").post(
        f"/api/tasks/{item['id']}/complete", json={"data": {"approved": False}}
    )
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json["errors"]] == ["data.approval_note"]

    complete(
        api,
        "casey",
        recorded,
        "decide_benefit",
        {"approved": False, "approval_note": "Covered by the dental program."},
    )

    (notice,) = outbox(svc, recorded["id"])
    assert notice.subject == "Your discretionary benefit request: not approved"
    assert "of $180.00 for dental care is not approved" in notice.body
    assert "Reason: Covered by the dental program." in notice.body


def test_above_the_threshold_a_different_supervisor_decides(api, svc):
    deploy(api, "discretionary_benefit.bpmn")
    case = start(api.as_("sam"), "discretionary_benefit", "CASE-41", {})
    case = complete(api, "sam", case, "record_request", {**REQUEST, "amount": 400})
    approval = task(case, "approve_benefit")
    assert approval["queue"] == "supervisor" and open_tasks(case) == ["approve_benefit"]

    assert api.as_("sam").post(f"/api/tasks/{approval['id']}/claim").status_code == 403
    done = complete(
        api,
        "ada",
        case,
        "approve_benefit",
        {"approved": True, "amount_approved": 300, "approval_note": "Up to the local maximum."},
    )

    assert done["status"] == "completed"
    (notice,) = outbox(svc, case["id"])
    assert "approved: $300.00 (you asked for $400.00)" in notice.body
    assert "Decided by: a supervisor." in notice.body


def test_at_the_threshold_the_caseworker_still_decides(api):
    deploy(api, "discretionary_benefit.bpmn")
    case = start(api.as_("casey"), "discretionary_benefit", "CASE-42", {})

    case = complete(api, "casey", case, "record_request", {**REQUEST, "amount": 250})

    assert open_tasks(case) == ["decide_benefit"]
    assert case["data"]["approval_required"] is False


def test_an_overdue_decision_reminds_the_caseworker_first(api, svc, clock, recorded):
    clock.advance(days=7, seconds=1)  # Monday 11th: the decision deadline

    timers.tick(svc)

    case = instance(api, recorded["id"])
    assert task(case, "decide_benefit")["assignee"] == "casey"
    assert [(m.recipient, m.kind) for m in outbox(svc, recorded["id"])] == [
        ("caseworker", "task_overdue")
    ]
