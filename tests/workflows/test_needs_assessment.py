"""needs_assessment: assess, plan, one warm referral per need, reviews scheduled, four eyes."""

from __future__ import annotations

import pytest

from handlers.referrals import NEEDS
from tests.workflows.helpers import (
    children,
    complete,
    deploy,
    open_tasks,
    outbox,
    start,
    task,
)

CASE = {"case_number": "CASE-30", "client_name": "Lee Martin", "notice_channel": "email"}
ASSESSED = {
    "domains": {
        **{need: {"level": "none"} for need in NEEDS},
        "housing": {"level": "high", "notes": "Eviction notice for February 1."},
        "employment_readiness": {"level": "moderate"},
    },
    "risk_level": "high",
    "client_priorities": "Keep my apartment, then find work.",
}
ACTION = {"action": "Apply to the rent bank", "responsible": "client", "target_date": "2027-01-20"}
PLAN = {
    "goals": [{"domain": "housing", "goal": "Keep the apartment", "actions": [ACTION]}],
    "referrals": {
        "housing": {"partner": "housing_services", "reason": "Eviction notice", "urgent": True},
        "employment_readiness": {"partner": "employment_ontario", "reason": "Ready to look"},
    },
    "benefit_requested": False,
}
BENEFIT = {"purpose": "moving", "amount": 600, "justification": "Move to a cheaper unit."}


@pytest.fixture
def assessment(api):
    deploy(api, "needs_assessment.bpmn", "warm_referral.bpmn", "service_plan_review.bpmn")
    case = start(api.as_("casey"), "needs_assessment", "CASE-30", CASE)
    return complete(api, "casey", case, "assess_needs", ASSESSED)


def test_each_need_starts_its_own_warm_referral_and_the_reviews_start(api, svc, assessment):
    assert task(assessment, "build_plan")["assignee"] == "casey"  # the case's caseworker

    done = complete(api, "casey", assessment, "build_plan", PLAN)

    assert done["status"] == "completed"
    referrals = children(api, "warm_referral", "CASE-30")
    by_need = {r["data"]["need"]: r for r in referrals}
    assert set(by_need) == {"housing", "employment_readiness"}
    housing = by_need["housing"]["data"]
    assert housing["partner"] == "housing_services" and housing["urgent"] is True
    assert housing["referral_id"].startswith("CASE-30-housing-")
    assert len({r["data"]["referral_id"] for r in referrals}) == 2
    for referral in referrals:
        prepare = task(referral, "prepare_referral")
        assert prepare["queue"] == "caseworker" and prepare["assignee"] == "casey"
    (review,) = children(api, "service_plan_review", "CASE-30")
    assert review["data"]["risk_level"] == "high"
    assert task(review, "review_plan")["due_at"] == "2027-02-03T14:00:00+00:00"
    spawned = [
        h["detail"]["process_id"] for h in done["history"] if h["action"] == "instance.spawn"
    ]
    assert sorted(spawned) == ["service_plan_review", "warm_referral", "warm_referral"]
    (notice,) = outbox(svc, assessment["id"])
    assert (notice.channel, notice.recipient) == ("email", "Lee Martin")
    assert "2 referral(s)" in notice.body


def test_a_plan_without_referrals_still_schedules_its_reviews(api, assessment):
    done = complete(api, "casey", assessment, "build_plan", {**PLAN, "referrals": {}})

    assert done["status"] == "completed"
    assert done["data"]["planned_referrals"] == []
    assert children(api, "warm_referral", "CASE-30") == []
    assert len(children(api, "service_plan_review", "CASE-30")) == 1


def test_a_discretionary_benefit_waits_for_a_supervisor_while_referrals_go_out(
    api, svc, assessment
):
    plan = {**PLAN, "benefit_requested": True, "benefit": BENEFIT}

    case = complete(api, "casey", assessment, "build_plan", plan)

    assert case["status"] == "waiting"
    assert open_tasks(case) == ["approve_benefit"]
    assert task(case, "approve_benefit")["queue"] == "supervisor"
    assert len(children(api, "warm_referral", "CASE-30")) == 2
    done = complete(api, "sam", case, "approve_benefit", {"approved": True, "approval_note": "OK"})
    assert done["status"] == "completed"
    subjects = [m.subject for m in outbox(svc, assessment["id"])]
    assert subjects == ["Your discretionary benefit request: approved", "Your service plan"]


def test_a_refused_benefit_tells_the_client_about_the_review(api, svc, assessment):
    case = complete(
        api,
        "casey",
        assessment,
        "build_plan",
        {**PLAN, "benefit_requested": True, "benefit": BENEFIT},
    )

    complete(api, "sam", case, "approve_benefit", {"approved": False, "approval_note": "Policy"})

    notice = outbox(svc, assessment["id"])[0]
    assert notice.subject == "Your discretionary benefit request: not approved"
    assert "internal review within 30 days" in notice.body


def test_the_requester_cannot_approve_their_own_benefit(api):
    deploy(api, "needs_assessment.bpmn", "warm_referral.bpmn", "service_plan_review.bpmn")
    case = start(api.as_("sam"), "needs_assessment", "CASE-31", CASE)
    case = complete(api, "sam", case, "assess_needs", ASSESSED)
    plan = {**PLAN, "benefit_requested": True, "benefit": BENEFIT}
    case = complete(api, "sam", case, "build_plan", plan)
    approval = task(case, "approve_benefit")

    refused = api.as_("sam").post(f"/api/tasks/{approval['id']}/claim")

    assert refused.status_code == 403
    assert "four eyes" in refused.json["detail"]
    approved = complete(api, "ada", case, "approve_benefit", {"approved": True})
    assert approved["status"] == "completed"
    assert task(approved, "approve_benefit", "completed")["completed_by"] == "ada"


def test_a_requested_benefit_must_be_described(api, assessment):
    item = task(assessment, "build_plan")

    response = api.as_("casey").post(
        f"/api/tasks/{item['id']}/complete",
        json={"data": {**PLAN, "benefit_requested": True, "referrals": {"rent": {}}}},
    )

    assert response.status_code == 422
    fields = {e["field"] for e in response.json["errors"]}
    assert fields == {"data.benefit", "data.referrals.rent"}
