"""intake: application to decision, with every standard's timer, triage path and review."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.casework import timers
from engine.identity.users import add_user, issue_token
from engine.store.db import transaction
from tests.workflows.helpers import (
    children,
    complete,
    deploy,
    fired,
    instance,
    open_tasks,
    outbox,
    start,
    task,
)

APPLICANT = {
    "name": "Jordan Smith",
    "date_of_birth": "1990-05-14",
    "phone": "705-555-0199",
    "street_address": "12 Elm Street",
    "municipality": "Greater Sudbury",
    "postal_code": "P3A 1A1",
    "preferred_language": "en",
}
CONTACTED = {
    "contact_method": "phone",
    "contacted_on": "2027-01-04",
    "screening_appointment": "2027-01-07T10:00:00-05:00",
    "urgent_need_flagged": False,
}
SCREENED = {
    "identity_verified": True,
    "id_document": "ontario_photo_card",
    "household_adults": 1,
    "household_children": 2,
    "urgent_need": "none",
    "income_support_needed": True,
    "better_fit": "none",
    "documents_outstanding": [],
}
VERIFIED = {"documents_received": ["bank_statements", "housing_costs"], "all_verified": True}
GRANTED = {
    "decision": "granted",
    "monthly_amount": 1250,
    "effective_date": "2027-01-15",
    "decision_explanation": "You are eligible for Ontario Works.",
}
DENIED = {
    "decision": "denied",
    "denial_reason": "income_over_limit",
    "decision_explanation": "Your income is over the limit for your family size.",
}
EMERGENCY = {
    "emergency_granted": True,
    "emergency_amount": 350,
    "payment_method": "direct_deposit",
    "needs_covered": ["food"],
    "emergency_reason": "No food in the home; two children.",
    "continue_application": True,
}
UPHELD = {
    "review_outcome": "decision_upheld",
    "review_reasons": "Income is over the limit.",
    "reviewed_on": "2027-02-10",
}
CONTACT_DUE = "2027-01-06T14:00:00+00:00"  # 2 business days after Monday 09:00
SEEN_DUE = "2027-01-11T14:00:00+00:00"  # 5th business day
EMERGENCY_DUE = "2027-01-08T14:00:00+00:00"  # 4 business days


@pytest.fixture
def deployed(api):
    deploy(
        api,
        "intake.bpmn",
        "intake_triage.dmn",
        "needs_assessment.bpmn",
        "warm_referral.bpmn",
        "service_plan_review.bpmn",
    )


@pytest.fixture
def portal(api, svc, deployed):
    """The online application portal: a system account of the office."""
    with transaction(svc.sessions) as session:
        add_user(session, "portal", office="sudbury", roles=["system"], now=svc.clock.now())
        api.tokens["portal"] = issue_token(
            session, "portal", now=svc.clock.now(), ttl=timedelta(days=3650)
        )
    return api.as_("portal")


def applied(api, key="CASE-100"):
    case = start(api.as_("ira"), "intake", key, {"channel": "in_person"})
    return complete(api, "ira", case, "record_application", {"applicant": APPLICANT})


def screened(api, screening=None, key="CASE-100"):
    case = complete(api, "ira", applied(api, key), "contact_applicant", CONTACTED)
    return complete(api, "ira", case, "screen_applicant", {**SCREENED, **(screening or {})})


# -- application and first contact --------------------------------------------------------------


def test_staff_entry_opens_the_case_and_acknowledges_it(api, svc, deployed):
    case = start(api.as_("ira"), "intake", "CASE-100", {"channel": "in_person"})
    assert open_tasks(case) == ["record_application"]
    assert task(case, "record_application")["queue"] == "intake_worker"

    case = complete(api, "ira", case, "record_application", {"applicant": APPLICANT})

    contact = task(case, "contact_applicant")
    assert contact["queue"] == "intake_worker" and contact["due_at"] == CONTACT_DUE
    assert case["data"]["case_number"] == "CASE-100"
    assert case["data"]["notice_channel"] == "mail"
    (ack,) = outbox(svc, case["id"])
    assert (ack.channel, ack.recipient) == ("mail", "Jordan Smith")
    assert ack.subject == "We received your application for Ontario Works"


def test_an_online_application_goes_straight_to_first_contact(api, svc, portal):
    online = {**APPLICANT, "email": "jordan@example.org"}

    case = start(portal, "intake", "CASE-101", {"channel": "online", "applicant": online})

    assert open_tasks(case) == ["contact_applicant"]
    assert case["data"]["notice_channel"] == "email"
    assert [m.channel for m in outbox(svc, case["id"])] == ["email"]
    assert api.as_("ira").get("/api/tasks?queue=intake_worker").json["total"] == 1


def test_an_online_application_nobody_can_reach_is_refused_at_the_start(api, portal):
    unreachable = {"name": "No Contact", "date_of_birth": "1980-01-01", "preferred_language": "fr"}

    response = portal.post(
        "/api/instances",
        json={
            "process_id": "intake",
            "business_key": "CASE-102",
            "data": {"channel": "online", "applicant": unreachable},
        },
    )

    assert response.status_code == 422
    assert [e["field"] for e in response.json["errors"]] == ["data.applicant"]
    assert api.as_("ada").get("/api/instances?business_key=CASE-102").json["total"] == 0


def test_a_staff_entered_application_without_contact_is_an_incident(api, deployed):
    case = start(api.as_("ira"), "intake", "CASE-105", {"channel": "in_person"})
    applicant = {"name": "No Contact", "date_of_birth": "1980-01-01", "preferred_language": "fr"}

    case = complete(api, "ira", case, "record_application", {"applicant": applicant})

    assert case["status"] == "error"
    (incident,) = case["incidents"]
    assert incident["task_name"] == "open_case_file"
    assert "no phone, email or mailing address" in incident["message"]


def test_the_application_form_checks_its_fields(api, deployed):
    case = start(api.as_("ira"), "intake", "CASE-103", {"channel": "phone"})
    item = task(case, "record_application")
    bad = {"applicant": {"name": "", "postal_code": "12345", "preferred_language": "de"}}

    response = api.as_("ira").post(f"/api/tasks/{item['id']}/complete", json={"data": bad})

    assert response.status_code == 422
    assert {e["field"] for e in response.json["errors"]} == {
        "data.applicant.name",
        "data.applicant.postal_code",
        "data.applicant.preferred_language",
        "data.applicant.date_of_birth",
    }


def test_missed_first_contact_escalates_to_a_supervisor(api, svc, clock, deployed):
    case = applied(api)
    clock.advance(days=2, seconds=1)

    timers.tick(svc)

    case = instance(api, case["id"])
    assert task(case, "contact_applicant", "cancelled")["closed_reason"] == "escalated"
    assert task(case, "contact_overdue")["queue"] == "supervisor"
    case = complete(api, "sam", case, "contact_overdue", CONTACTED)
    assert task(case, "screen_applicant")["due_at"] == SEEN_DUE
    assert fired(case) == ["contact_deadline"]


def test_an_applicant_not_seen_by_the_fifth_business_day_escalates(api, svc, clock, deployed):
    case = complete(api, "ira", applied(api), "contact_applicant", CONTACTED)
    assert task(case, "screen_applicant")["due_at"] == SEEN_DUE
    clock.advance(days=7, seconds=1)

    timers.tick(svc)

    case = instance(api, case["id"])
    assert task(case, "screen_applicant", "cancelled")["closed_reason"] == "escalated"
    case = complete(api, "sam", case, "screen_overdue", SCREENED)
    assert open_tasks(case) == ["decide_eligibility"]


# -- triage -------------------------------------------------------------------------------------


def test_no_documents_outstanding_goes_straight_to_the_decision(api, deployed):
    case = screened(api)

    assert case["data"]["triage"] == "eligibility"
    decide = task(case, "decide_eligibility")
    assert decide["queue"] == "caseworker" and decide["due_at"] is None


def test_an_urgent_need_goes_to_emergency_assistance_first(api, svc, deployed):
    case = screened(api, {"urgent_need": "no_food"})

    assert case["data"]["triage"] == "emergency"
    decide = task(case, "decide_emergency")
    assert decide["queue"] == "caseworker" and decide["due_at"] == EMERGENCY_DUE
    case = complete(api, "casey", case, "decide_emergency", EMERGENCY)
    assert open_tasks(case) == ["decide_eligibility"]
    notice = outbox(svc, case["id"])[-1]
    assert notice.subject == "Emergency assistance: approved"
    assert "Payment is issued within 2 business days." in notice.body


def test_emergency_assistance_alone_ends_the_intake(api, svc, deployed):
    case = screened(api, {"urgent_need": "eviction"})
    emergency = {**EMERGENCY, "emergency_granted": False, "continue_application": False}
    emergency = {
        k: v for k, v in emergency.items() if k not in ("emergency_amount", "payment_method")
    }

    done = complete(api, "casey", case, "decide_emergency", emergency)

    assert done["status"] == "completed"
    assert outbox(svc, case["id"])[-1].subject == "Emergency assistance: not approved"


def test_a_late_emergency_decision_goes_to_a_supervisor(api, svc, clock, deployed):
    case = screened(api, {"urgent_need": "no_shelter"})
    clock.advance(days=4, seconds=1)

    timers.tick(svc)

    case = instance(api, case["id"])
    assert task(case, "decide_emergency", "cancelled")["closed_reason"] == "escalated"
    assert task(case, "emergency_overdue")["queue"] == "supervisor"
    case = complete(api, "sam", case, "emergency_overdue", EMERGENCY)
    assert open_tasks(case) == ["decide_eligibility"]


def test_a_better_fit_elsewhere_diverts_with_a_warm_referral(api, svc, deployed):
    case = screened(api, {"income_support_needed": False, "better_fit": "employment_ontario"})

    assert case["status"] == "completed"
    assert case["data"]["triage"] == "diversion"
    (referral,) = children(api, "warm_referral", "CASE-100")
    assert referral["data"]["partner"] == "employment_ontario"
    assert referral["data"]["need"] == "employment_readiness"
    assert referral["data"]["reason"] == "Diverted at intake: Employment Ontario fits better"
    assert open_tasks(referral) == ["prepare_referral"]
    assert outbox(svc, case["id"])[-1].subject.startswith("Your application: we are connecting")


def test_someone_who_needs_income_support_is_not_diverted(api, deployed):
    case = screened(api, {"better_fit": "housing_services"})

    assert case["data"]["triage"] == "eligibility"
    assert children(api, "warm_referral", "CASE-100") == []


# -- documents ----------------------------------------------------------------------------------


def test_outstanding_documents_are_requested_reminded_and_verified(api, svc, clock, deployed):
    case = screened(api, {"documents_outstanding": ["bank_statements", "housing_costs"]})

    verify = task(case, "verify_documents")
    assert verify["queue"] == "intake_worker"
    assert verify["due_at"] == "2027-04-04T14:00:00+00:00"  # 90 days
    request = outbox(svc, case["id"])[-1]
    assert request.subject == "Documents we need for your application"
    assert "Bank statements for the last 3 months" in request.body
    assert case["data"]["document_request"]["due_on"] == "2027-04-04"
    clock.advance(days=30, seconds=1)
    timers.tick(svc)
    case = instance(api, case["id"])
    reminder = outbox(svc, case["id"])[-1]
    assert reminder.subject == "Reminder: documents we still need"
    assert "- Bank statements for the last 3 months\n- Rent or housing costs" in reminder.body
    assert task(case, "verify_documents")["due_at"] == "2027-04-04T14:00:00+00:00"
    case = complete(api, "ira", case, "verify_documents", VERIFIED)
    assert open_tasks(case) == ["decide_eligibility"]


def test_documents_missing_after_90_days_go_to_a_supervisor(api, svc, clock, deployed):
    case = screened(api, {"documents_outstanding": ["identification"]})
    clock.advance(days=90, seconds=1)

    timers.tick(svc)

    case = instance(api, case["id"])
    assert fired(case) == ["documents_reminder", "documents_deadline"]
    assert task(case, "verify_documents", "cancelled")["closed_reason"] == "escalated"
    review = {"contact_attempts": 3, "supervisor_instructions": "Decide on the file."}
    case = complete(api, "sam", case, "review_incomplete", review)
    assert open_tasks(case) == ["decide_eligibility"]


# -- decision and internal review ---------------------------------------------------------------


def test_a_granted_application_starts_the_needs_assessment(api, svc, deployed):
    case = complete(api, "casey", screened(api), "decide_eligibility", GRANTED)

    assert case["status"] == "completed"
    (needs,) = children(api, "needs_assessment", "CASE-100")
    assert needs["data"]["case_number"] == "CASE-100"
    assert needs["data"]["client_name"] == "Jordan Smith"
    assert task(needs, "assess_needs")["assignee"] == "casey"  # continuity of care
    notice = outbox(svc, case["id"])[-1]
    assert notice.subject == "Your Ontario Works application: granted"


def test_a_denial_can_be_reviewed_within_33_days_of_mailing(api, svc, clock, deployed):
    case = complete(api, "casey", screened(api), "decide_eligibility", DENIED)

    assert case["status"] == "waiting" and open_tasks(case) == []
    notice = outbox(svc, case["id"])[-1]
    assert notice.subject == "Your Ontario Works application: not granted"
    assert "internal review within 30 days" in notice.body
    (window,) = case["timers"]
    assert (window["task_name"], window["due_at"]) == (
        "review_window_closed",
        "2027-02-06T14:00:00+00:00",  # 30 days + 3 for mail
    )
    clock.advance(days=33, seconds=1)
    timers.tick(svc)
    done = instance(api, case["id"])
    assert done["status"] == "completed"
    assert fired(done) == ["review_window_closed"]
    asked = api.as_("ira").post(
        "/api/messages",
        json={"name": "internal_review_requested", "correlation": {"case_number": "CASE-100"}},
    )
    assert asked.status_code == 404


def test_an_emailed_denial_gives_30_days(api, portal):
    online = {**APPLICANT, "email": "jordan@example.org"}
    case = start(portal, "intake", "CASE-104", {"channel": "online", "applicant": online})
    case = complete(api, "ira", case, "contact_applicant", CONTACTED)
    case = complete(api, "ira", case, "screen_applicant", SCREENED)

    case = complete(api, "casey", case, "decide_eligibility", DENIED)

    assert case["timers"][0]["due_at"] == "2027-02-03T14:00:00+00:00"


def request_review(api, key="CASE-100"):
    response = api.as_("ira").post(
        "/api/messages",
        json={
            "name": "internal_review_requested",
            "correlation": {"case_number": key},
            "payload": {"review_request_reason": "My income dropped in January."},
        },
    )
    assert response.status_code == 202, response.json
    return response.json["instance_id"]


def test_a_requested_review_upholding_the_denial_ends_the_case(api, svc, clock, deployed):
    case = complete(api, "casey", screened(api), "decide_eligibility", DENIED)
    clock.advance(days=10)

    request_review(api)

    case = instance(api, case["id"])
    review = task(case, "conduct_review")
    assert review["queue"] == "supervisor"
    assert review["due_at"] == "2027-02-13T14:00:00+00:00"
    assert case["data"]["review_request_reason"] == "My income dropped in January."
    done = complete(api, "sam", case, "conduct_review", UPHELD)
    assert done["status"] == "completed"
    notice = outbox(svc, case["id"])[-1]
    assert notice.subject == "Your internal review: decision upheld"
    assert "Social Benefits Tribunal within 30 days" in notice.body
    assert children(api, "needs_assessment", "CASE-100") == []


def test_a_review_that_changes_the_decision_starts_the_needs_assessment(api, svc, deployed):
    complete(api, "casey", screened(api), "decide_eligibility", DENIED)
    case = instance(api, request_review(api))

    changed = {**UPHELD, "review_outcome": "decision_changed"}
    done = complete(api, "sam", case, "conduct_review", changed)

    assert done["status"] == "completed"
    assert outbox(svc, case["id"])[-1].subject == "Your internal review: decision changed"
    assert len(children(api, "needs_assessment", "CASE-100")) == 1


def test_the_decision_maker_cannot_review_their_own_decision(api, deployed):
    case = complete(api, "sam", screened(api), "decide_eligibility", DENIED)
    case = instance(api, request_review(api))

    refused = api.as_("sam").post(f"/api/tasks/{task(case, 'conduct_review')['id']}/claim")

    assert refused.status_code == 403
    assert complete(api, "ada", case, "conduct_review", UPHELD)["status"] == "completed"


def test_a_review_not_answered_in_30_days_tells_the_client_they_may_appeal(
    api, svc, clock, deployed
):
    complete(api, "casey", screened(api), "decide_eligibility", DENIED)
    case = instance(api, request_review(api))
    clock.advance(days=30, seconds=1)

    timers.tick(svc)

    case = instance(api, case["id"])
    assert open_tasks(case) == ["conduct_review"]
    notice = outbox(svc, case["id"])[-1]
    assert notice.subject == "Your internal review"
    assert "You may appeal to the Social Benefits Tribunal within 30 days" in notice.body
    assert complete(api, "sam", case, "conduct_review", UPHELD)["status"] == "completed"
