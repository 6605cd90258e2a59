"""needs_assessment: assess, plan, one warm referral per need, reviews scheduled, four eyes."""

from __future__ import annotations

import pytest

from engine.casework import timers
from handlers.referrals import NEEDS
from tests.workflows.helpers import (
    children,
    complete,
    deploy,
    instance,
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
def assessment_deployed(api):
    deploy(
        api,
        "needs_assessment.bpmn",
        "warm_referral.bpmn",
        "service_plan_review.bpmn",
        "discretionary_benefit.bpmn",
    )


@pytest.fixture
def assessment(api, assessment_deployed):
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


def test_a_small_benefit_is_decided_by_the_caseworker_and_the_plan_letter_does_not_wait(
    api, svc, assessment
):
    plan = {**PLAN, "benefit_requested": True, "benefit": {**BENEFIT, "amount": 180}}

    done = complete(api, "casey", assessment, "build_plan", plan)

    assert done["status"] == "completed"  # the plan letter went out
    assert [m.kind for m in outbox(svc, assessment["id"])] == ["service_plan"]
    (benefit,) = children(api, "discretionary_benefit", "CASE-30")
    assert open_tasks(benefit) == ["decide_benefit"]
    decide = task(benefit, "decide_benefit")
    assert (decide["queue"], decide["assignee"]) == ("caseworker", "casey")
    assert benefit["data"]["benefit"]["amount"] == 180


def test_a_large_benefit_goes_to_a_supervisor_in_its_own_process(api, assessment):
    done = complete(
        api,
        "casey",
        assessment,
        "build_plan",
        {**PLAN, "benefit_requested": True, "benefit": BENEFIT},
    )

    assert done["status"] == "completed"
    (benefit,) = children(api, "discretionary_benefit", "CASE-30")
    assert open_tasks(benefit) == ["approve_benefit"]
    assert task(benefit, "approve_benefit")["queue"] == "supervisor"


def test_the_first_meeting_is_due_when_the_province_says(api, assessment_deployed):
    case = start(
        api.as_("casey"),
        "needs_assessment",
        "CASE-32",
        {**CASE, "first_meeting_due_at": "2027-01-08T16:00:00-05:00"},
    )

    assert task(case, "assess_needs")["due_at"] == "2027-01-08T21:00:00+00:00"


def test_without_a_provincial_date_the_first_meeting_standard_applies(api, assessment_deployed):
    case = start(api.as_("casey"), "needs_assessment", "CASE-33", CASE)

    # first_meeting_business_days (5, local policy) from the start on Monday 09:00
    assert task(case, "assess_needs")["due_at"] == "2027-01-11T14:00:00+00:00"


def test_a_missed_first_meeting_keeps_the_worker_then_escalates_with_its_own_deadline(
    api, svc, clock, assessment_deployed
):
    case = start(
        api.as_("casey"),
        "needs_assessment",
        "CASE-34",
        {**CASE, "first_meeting_due_at": "2027-01-05T09:00:00-05:00"},
    )
    claimed = api.as_("casey").post(f"/api/tasks/{task(case, 'assess_needs')['id']}/claim")
    assert claimed.status_code == 200
    clock.advance(days=1, seconds=1)  # Tuesday 09:00: the deadline
    timers.tick(svc)
    case = instance(api, case["id"])
    meeting = task(case, "assess_needs")
    assert meeting["assignee"] == "casey" and meeting["due_at"] == "2027-01-05T14:00:00+00:00"
    assert [(m.recipient, m.kind) for m in outbox(svc, case["id"])] == [
        ("caseworker", "task_overdue")
    ]

    clock.advance(days=3)  # Friday: three business days late
    timers.tick(svc)
    case = instance(api, case["id"])
    assert [m.recipient for m in outbox(svc, case["id"])] == ["caseworker", "supervisor"]
    assert task(case, "assess_needs", "cancelled")["closed_reason"] == "escalated"
    escalated = task(case, "assess_needs_escalated")
    assert escalated["queue"] == "supervisor"
    assert escalated["due_at"] == "2027-01-11T14:00:01+00:00"  # 1 business day from Friday
    case = complete(api, "sam", case, "assess_needs_escalated", ASSESSED)
    assert open_tasks(case) == ["build_plan"]
    # the next step's clock starts at its own trigger: nothing is overdue
    assert task(case, "build_plan")["due_at"] is None


def test_a_requested_benefit_must_be_described(api, assessment):
    item = task(assessment, "build_plan")

    response = api.as_("casey").post(
        f"/api/tasks/{item['id']}/complete",
        json={"data": {**PLAN, "benefit_requested": True, "referrals": {"rent": {}}}},
    )

    assert response.status_code == 422
    fields = {e["field"] for e in response.json["errors"]}
    assert fields == {"data.benefit", "data.referrals.rent"}


def test_a_withdrawn_client_closes_the_case_and_every_process_of_it_ends(
    api, svc, assessment_deployed
):
    from tests.cases.helpers import MARIE, opened

    opened(
        api.as_("casey"),
        key="C-60",
        client=MARIE,
        process_id="needs_assessment",
        data={"case_number": "C-60", "client_name": MARIE["name"]},
    )
    (meeting,) = api.as_("casey").get("/api/tasks?case=C-60").json["items"]
    case = instance(api, meeting["instance_id"])
    case = complete(api, "casey", case, "assess_needs", ASSESSED)
    complete(api, "casey", case, "build_plan", PLAN)
    assert (
        len(api.as_("casey").get("/api/tasks?case=C-60").json["items"]) == 3
    )  # 2 referrals + review

    closed = api.as_("casey").post("/api/cases/C-60/close", json={"reason": "withdrawn"})

    assert closed.status_code == 200, closed.json
    statuses = {i["process_id"]: i["status"] for i in closed.json["instances"]}
    assert statuses["warm_referral"] == "terminated"
    assert statuses["service_plan_review"] == "terminated"
    assert api.as_("casey").get("/api/tasks?case=C-60").json["items"] == []
