"""intake: what stays municipal — walk-ins, emergency assistance, Temporary Care Assistance and
under-18 applicants — with clocks that start at their own trigger and escalation that keeps the
worker."""

from __future__ import annotations

import pytest

from engine.casework import timers
from tests.workflows.helpers import children, complete, deploy, instance, open_tasks, outbox, task

APPLICANT = {
    "name": "Jordan Smith",
    "date_of_birth": "1990-05-14",
    "phone": "705-555-0199",
    "street_address": "12 Elm Street",
    "municipality": "Greater Sudbury",
    "postal_code": "P3A 1A1",
    "preferred_language": "en",
}
NO_PLACE_TONIGHT = {"applicant": APPLICANT, "request": "other", "urgent_need": "no_place_tonight"}
TCA = {"applicant": APPLICANT, "request": "temporary_care", "urgent_need": "none"}
EMERGENCY = {
    "emergency_granted": True,
    "emergency_amount": 350,
    "payment_method": "direct_deposit",
    "needs_covered": ["shelter"],
    "emergency_reason": "No place to stay tonight.",
    "emergency_days": 60,
}
NOT_REACHED = {
    "contact_outcome": "not_reached",
    "contact_method": "phone",
    "contacted_on": "2027-01-04",
    "urgent_need_flagged": False,
    "contact_notes": "No answer; voicemail left.",
}
REACHED_URGENT = {
    "contact_outcome": "reached",
    "contact_method": "phone",
    "contacted_on": "2027-01-07",
    "urgent_need_flagged": True,
    "urgent_need": "no_place_tonight",
}
DENIED = {"local_decision": "denied", "decision_explanation": "The child is not in your care."}
UPHELD = {
    "review_outcome": "decision_upheld",
    "review_reasons": "The child lives with a parent.",
    "reviewed_on": "2027-03-15",
}
# FakeClock starts Monday 2027-01-04 14:00 UTC (09:00 in Toronto); the office closes at 16:30.
CLOSING_MONDAY = "2027-01-04T21:30:00+00:00"


@pytest.fixture
def deployed(api):
    deploy(
        api,
        "intake.bpmn",
        "needs_assessment.bpmn",
        "warm_referral.bpmn",
        "service_plan_review.bpmn",
    )


def walk_in(api, key="C-WALK-1"):
    response = api.as_("ira").post(
        "/api/cases",
        json={
            "process_id": "intake",
            "key": key,
            "client": {"name": "Jordan Smith"},
            "data": {"channel": "walk_in"},
        },
    )
    assert response.status_code == 201, response.json
    return instance(api, response.json["instance_id"])


def by_phone(api, request=None, key="C-PHONE-1"):
    response = api.as_("ira").post(
        "/api/cases",
        json={
            "process_id": "intake",
            "key": key,
            "client": {"name": "Jordan Smith"},
            "data": {"channel": "phone"},
        },
    )
    assert response.status_code == 201, response.json
    case = instance(api, response.json["instance_id"])
    return complete(api, "ira", case, "record_application", request or TCA)


def test_a_walk_in_with_no_place_to_stay_tonight_gets_a_decision_the_same_day(
    api, svc, clock, deployed
):
    case = walk_in(api)
    assert task(case, "check_in")["due_at"] == CLOSING_MONDAY  # unscheduled: seen the same day

    case = complete(api, "ira", case, "check_in", NO_PLACE_TONIGHT)

    decide = task(case, "decide_emergency")
    assert decide["due_at"] == CLOSING_MONDAY and decide["queue"] == "caseworker"
    case = complete(api, "casey", case, "decide_emergency", EMERGENCY)
    assert case["status"] == "completed"
    assert case["data"]["emergency_days_granted"] == 48  # OW Policy Directive 2.3 limit
    notice = outbox(svc, case["id"])[-1]
    assert notice.subject == "Emergency assistance: approved"
    assert "within 2 business days" in notice.body


def test_a_walk_in_after_closing_is_due_at_the_next_closing(api, svc, clock, deployed):
    clock.advance(hours=8)  # 17:00 in Toronto

    case = walk_in(api)

    assert task(case, "check_in")["due_at"] == "2027-01-05T21:30:00+00:00"


def test_an_urgent_need_found_late_starts_its_own_clock(api, svc, clock, deployed):
    case = by_phone(api)
    clock.advance(days=3)  # Thursday: the contact deadline (Wednesday) has passed
    timers.tick(svc)
    case = instance(api, case["id"])
    assert task(case, "contact_applicant")["queue"] == "intake_worker"  # still the worker's

    case = complete(api, "ira", case, "contact_applicant", REACHED_URGENT)

    decide = task(case, "decide_emergency")
    assert decide["due_at"] == "2027-01-07T21:30:00+00:00"  # closing Thursday, not overdue
    assert decide["due_at"] > clock.now().isoformat()


def test_a_missed_deadline_reminds_the_worker_then_the_supervisor_then_reassigns(
    api, svc, clock, deployed
):
    case = by_phone(api)
    contact = task(case, "contact_applicant")
    assert contact["due_at"] == "2027-01-06T14:00:00+00:00"  # 2 business days

    clock.advance(days=2, seconds=1)
    timers.tick(svc)
    case = instance(api, case["id"])
    still = task(case, "contact_applicant")  # the worker keeps it, overdue
    assert still["due_at"] == contact["due_at"]
    assert outbox(svc, case["id"])[-1].subject == "Overdue: Contact the applicant"

    clock.advance(days=1)
    timers.tick(svc)
    case = instance(api, case["id"])
    assert task(case, "contact_applicant")["status"] == "open"
    assert outbox(svc, case["id"])[-1].subject == "Still overdue: Contact the applicant"

    clock.advance(days=4)  # Monday: 3 business days after the deadline
    timers.tick(svc)
    case = instance(api, case["id"])
    escalated = task(case, "contact_applicant_overdue")
    assert escalated["queue"] == "supervisor"
    assert escalated["due_at"] == "2027-01-12T14:00:01+00:00"  # its own deadline: 1 bus. day
    assert task(case, "contact_applicant", "cancelled")["closed_reason"] == "escalated"


def test_an_applicant_unreachable_after_three_attempts_closes_the_case(api, svc, deployed):
    case = by_phone(api)

    for _attempt in range(3):
        case = complete(api, "ira", case, "contact_applicant", NOT_REACHED)

    assert case["status"] == "completed"
    record = api.as_("sam").get("/api/cases/C-PHONE-1").json
    assert record["status"] == "closed" and record["close_reason"] == "unreachable"


def test_a_withdrawn_request_closes_the_case(api, svc, deployed):
    case = by_phone(api)

    complete(api, "ira", case, "contact_applicant", {**NOT_REACHED, "contact_outcome": "withdrawn"})

    record = api.as_("sam").get("/api/cases/C-PHONE-1").json
    assert record["status"] == "closed" and record["close_reason"] == "withdrawn"


def reach(api, case):
    reached = {**REACHED_URGENT, "urgent_need_flagged": False, "urgent_need": "none"}
    return complete(api, "ira", case, "contact_applicant", reached)


def test_temporary_care_granted_starts_the_needs_assessment(api, svc, deployed):
    case = reach(api, by_phone(api))

    case = complete(
        api,
        "casey",
        case,
        "decide_local",
        {
            "local_decision": "granted",
            "monthly_amount": 410,
            "decision_explanation": "Temporary Care Assistance for your grandchild.",
        },
    )

    [assessment] = children(api, "needs_assessment", "C-PHONE-1")
    assert "first_meeting_due_at" in assessment["data"]


def test_the_review_window_ends_at_closing_on_its_last_business_day(api, svc, clock, deployed):
    case = complete(api, "casey", reach(api, by_phone(api)), "decide_local", DENIED)

    notice = outbox(svc, case["id"])[-1]
    assert notice.subject == "Your request for Temporary Care Assistance: not granted"
    assert "a supervisor may still accept it" in notice.body
    # mailed on Monday Jan 4: 30 + 3 days is Saturday Feb 6 → closing Monday Feb 8
    assert case["data"]["review_request_deadline"] == "2027-02-08T21:30:00+00:00"
    clock.set(clock.now().replace(month=2, day=8, hour=21, minute=0))
    timers.tick(svc)
    sent = api.as_("casey").post(
        "/api/messages",
        json={
            "name": "internal_review_requested",
            "correlation": {"case_number": "C-PHONE-1"},
            "payload": {"review_request_reason": "I disagree."},
        },
    )
    assert sent.status_code == 202
    assert open_tasks(instance(api, case["id"])) == ["conduct_review"]


def test_a_late_review_request_accepted_by_a_supervisor_is_reviewed(api, svc, clock, deployed):
    case = complete(api, "casey", reach(api, by_phone(api)), "decide_local", DENIED)
    clock.set(clock.now().replace(month=2, day=10))
    timers.tick(svc)

    sent = api.as_("casey").post(
        "/api/messages",
        json={
            "name": "internal_review_requested",
            "correlation": {"case_number": "C-PHONE-1"},
            "payload": {"review_request_reason": "I was in hospital."},
        },
    )

    assert sent.status_code == 202
    case = instance(api, case["id"])
    assert task(case, "accept_late_review")["queue"] == "supervisor"
    case = complete(
        api,
        "sam",
        case,
        "accept_late_review",
        {"late_request_accepted": True, "late_request_reason": "Hospital stay, letter on file."},
    )
    assert open_tasks(case) == ["conduct_review"]
    case = complete(api, "sam", case, "conduct_review", UPHELD)
    assert case["status"] == "completed"


def test_the_old_municipal_eligibility_decision_is_gone(api, deployed):
    case = reach(api, by_phone(api, {**TCA, "request": "other"}))

    assert case["status"] == "completed"  # told to apply through provincial intake
    assert all(t["task_name"] != "decide_eligibility" for t in case["tasks"])


def test_a_walk_in_check_in_finds_the_clients_case(api, svc, deployed):
    deploy(api, "client_callback.bpmn")
    known = api.as_("ira").post(
        "/api/cases",
        json={
            "process_id": "client_callback",
            "key": "C-KNOWN",
            "client": {"name": "Jordan Smith"},
            "data": {"client_name": "Jordan Smith", "phone": "705-555-0199", "reason": "Cheque"},
        },
    )
    assert known.status_code == 201, known.json

    started = api.as_("ira").post(
        "/api/instances",
        json={"process_id": "intake", "business_key": "C-KNOWN", "data": {"channel": "walk_in"}},
    )

    assert started.status_code == 201, started.json
    case = api.as_("sam").get("/api/cases/C-KNOWN").json
    assert sorted(i["process_id"] for i in case["instances"]) == ["client_callback", "intake"]
    assert "check_in" in [t["task_name"] for t in case["tasks"]]
