"""provincial_handoff: the province's grant message opens the case and starts the needs
assessment with its first-meeting deadline (a message start event)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from engine.identity.users import add_user, issue_token
from engine.store.db import transaction
from tests.workflows.helpers import children, deploy

GRANT = {
    "name": "provincial_grant",
    "correlation": {"provincial_reference": "ON-2027-55501"},
    "payload": {
        "client_name": "Jordan Smith",
        "notice_channel": "mail",
        "granted_on": "2027-01-04",
    },
}


@pytest.fixture
def province(api, svc):
    """The province's centralized intake: a token of kind `provincial` for the Sudbury office."""
    deploy(
        api,
        "provincial_handoff.bpmn",
        "needs_assessment.bpmn",
        "warm_referral.bpmn",
        "service_plan_review.bpmn",
    )
    with transaction(svc.sessions) as session:
        add_user(session, "ontario", office="sudbury", roles=["provincial"], now=svc.clock.now())
        api.tokens["ontario"] = issue_token(
            session, "ontario", now=svc.clock.now(), ttl=timedelta(days=3650)
        )
    return api.as_("ontario")


def test_a_grant_message_opens_the_case_and_starts_the_needs_assessment(api, svc, province):
    svc.clock.set(datetime.fromisoformat("2027-01-04T14:00:00+00:00"))  # Monday 09:00 Toronto

    sent = province.post("/api/messages", json=GRANT)

    assert sent.status_code == 202, sent.json
    case = api.as_("sam").get("/api/cases/ON-2027-55501").json
    assert case["client"]["name"] == "Jordan Smith" and case["status"] == "open"
    [assessment] = children(api, "needs_assessment", "ON-2027-55501")
    assert assessment["data"]["first_meeting_due_at"] == "2027-01-11T14:00:00+00:00"  # 5 bus. days
    assert assessment["data"]["provincial_reference"] == "ON-2027-55501"
    assert [t["task_name"] for t in assessment["tasks"]] == ["assess_needs"]


def test_the_same_grant_twice_does_not_start_a_second_assessment(api, svc, province):
    assert province.post("/api/messages", json=GRANT).status_code == 202

    again = province.post("/api/messages", json=GRANT)

    assert again.status_code == 409
    assert len(children(api, "needs_assessment", "ON-2027-55501")) == 1


def test_a_grant_for_a_known_client_joins_their_local_case(api, svc, province):
    deploy(api, "client_callback.bpmn")
    opened = api.as_("ira").post(
        "/api/cases",
        json={
            "process_id": "client_callback",
            "key": "C-LOCAL-1",
            "client": {"name": "Jordan Smith"},
            "data": {
                "client_name": "Jordan Smith",
                "phone": "705-555-0199",
                "reason": "Asked about the province's decision",
            },
        },
    )
    assert opened.status_code == 201, opened.json
    payload = {**GRANT["payload"], "case_key": "C-LOCAL-1"}

    sent = province.post("/api/messages", json={**GRANT, "payload": payload})

    assert sent.status_code == 202, sent.json
    [assessment] = children(api, "needs_assessment", "C-LOCAL-1")
    assert assessment["data"]["case_number"] == "C-LOCAL-1"
    assert api.as_("sam").get("/api/cases/ON-2027-55501").status_code == 404


def test_only_the_province_starts_processes_with_a_message(api, province):
    refused = api.as_("casey").post("/api/messages", json=GRANT)
    bad = province.post("/api/messages", json={**GRANT, "payload": {"client_name": "X"}})

    assert refused.status_code == 403
    assert bad.status_code == 422
    names = {e["field"] for e in bad.json["errors"]}
    assert "data.notice_channel" in names or "notice_channel" in names, bad.json


def test_a_province_token_may_do_nothing_else(api, province):
    assert province.get("/api/tasks").status_code == 403


def test_staff_cannot_start_the_hand_off_by_hand(api, province):
    started = api.as_("ira").post(
        "/api/instances",
        json={
            "process_id": "provincial_handoff",
            "business_key": "X-1",
            "data": {**GRANT["payload"], "provincial_reference": "X-1"},
        },
    )

    assert started.status_code == 409
    assert "cannot be started by hand" in started.json["detail"]
