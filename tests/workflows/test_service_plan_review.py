"""service_plan_review: 30 days after the plan, then every 3 months; overdue reviews escalate."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.casework import timers
from engine.identity.users import add_user, issue_token
from engine.store.db import transaction
from tests.workflows.helpers import (
    complete,
    deploy,
    fired,
    instance,
    open_tasks,
    outbox,
    start,
    task,
)
from tests.workflows.test_plan_outcomes import RECORDED

PLAN = {
    "case_number": "CASE-20",
    "client_name": "Sam Rivers",
    "notice_channel": "mail",
    "risk_level": "medium",
    "goals": [{"domain": "housing", "goal": "Stable housing", "actions": []}],
}
REVIEW = {
    "reviewed_on": "2027-01-30",
    "contact_type": "in_person",
    "progress": "some_progress",
    "risk_level": "medium",
    "plan_changes": "Added a budgeting workshop.",
    "plan_status": "active",
}
APPROVED = {"plan_approved": True, "supervisor_notes": "Safety plan is in place."}


@pytest.fixture
def plan(api):
    deploy(api, "service_plan_review.bpmn", "plan_outcomes.bpmn")
    return start(api.as_("casey"), "service_plan_review", "CASE-20", PLAN)


def test_first_review_is_due_30_days_after_the_plan(plan):
    review = task(plan, "review_plan")

    assert review["queue"] == "caseworker"
    assert review["due_at"] == "2027-02-03T14:00:00+00:00"
    assert plan["data"]["review_number"] == 1


def test_each_later_review_is_due_3_months_after_the_last(api, clock, plan):
    clock.advance(days=6)  # reviewed early, on January 10: allowed

    case = complete(api, "casey", plan, "review_plan", REVIEW)

    assert case["status"] == "waiting"
    assert task(case, "review_plan")["due_at"] == "2027-04-10T14:00:00+00:00"
    assert case["data"]["review_number"] == 2
    clock.advance(days=80)
    case = complete(api, "casey", case, "review_plan", REVIEW)
    # March 31 + 3 months: June has no 31st, so the review is due on its last day
    assert task(case, "review_plan")["due_at"] == "2027-06-30T14:00:00+00:00"
    assert case["data"]["review_number"] == 3
    assert [t["status"] for t in case["tasks"]] == ["completed", "completed", "open"]


def test_an_overdue_review_stays_with_the_caseworker_until_the_final_escalation(
    api, svc, clock, plan
):
    clock.advance(days=30, seconds=1)  # the review date passed
    timers.tick(svc)
    case = instance(api, plan["id"])
    review = task(case, "review_plan")
    assert review["assignee"] == "casey" or review["queue"] == "caseworker"
    assert review["due_at"] == "2027-02-03T14:00:00+00:00"  # still overdue, still theirs
    assert outbox(svc, plan["id"])[-1].subject == "Overdue: Review the service plan"

    clock.advance(days=5)  # Monday Feb 8: 3 business days after the review date
    timers.tick(svc)

    case = instance(api, plan["id"])
    assert task(case, "review_plan", "cancelled")["closed_reason"] == "escalated"
    escalated = task(case, "review_overdue")
    assert escalated["queue"] == "supervisor"
    assert escalated["due_at"] == "2027-02-09T14:00:01+00:00"  # its own deadline
    assert fired(case)[0] == "review_plan_deadline"
    case = complete(api, "sam", case, "review_overdue", {**REVIEW, "risk_level": "low"})
    assert open_tasks(case) == ["review_plan"]
    assert task(case, "review_plan")["due_at"] == "2027-05-08T14:00:01+00:00"


def test_a_high_risk_plan_needs_a_supervisors_approval(api, plan):
    case = complete(api, "casey", plan, "review_plan", {**REVIEW, "risk_level": "high"})

    approval = task(case, "approve_plan")
    assert approval["queue"] == "supervisor"
    assert open_tasks(case) == ["approve_plan"]
    case = complete(api, "sam", case, "approve_plan", APPROVED)
    assert open_tasks(case) == ["review_plan"]
    assert case["data"]["plan_approved"] is True


def test_the_supervisor_can_send_a_high_risk_plan_back(api, plan):
    case = complete(api, "casey", plan, "review_plan", {**REVIEW, "risk_level": "high"})
    case = complete(
        api,
        "sam",
        case,
        "approve_plan",
        {"plan_approved": False, "supervisor_notes": "Add a safety plan."},
    )

    revise = task(case, "revise_plan")
    assert revise["queue"] == "caseworker" and revise["assignee"] == "casey"
    case = complete(api, "casey", case, "revise_plan", {"changes_made": "Safety plan added."})
    assert open_tasks(case) == ["approve_plan"]
    case = complete(api, "sam", case, "approve_plan", APPROVED)
    assert open_tasks(case) == ["review_plan"]


def escalated_high_risk_review(api, svc, clock, plan):
    """Sudbury has one supervisor, sam; sam does the escalated review of a high-risk plan."""
    clock.advance(days=35, seconds=1)
    timers.tick(svc)
    return complete(
        api, "sam", instance(api, plan["id"]), "review_overdue", {**REVIEW, "risk_level": "high"}
    )


def test_who_reviewed_an_overdue_high_risk_plan_cannot_approve_it(api, svc, clock, plan):
    case = escalated_high_risk_review(api, svc, clock, plan)
    approval = task(case, "approve_plan")

    refused = api.as_("sam").post(f"/api/tasks/{approval['id']}/claim")

    assert refused.status_code == 403
    assert "four eyes" in refused.json["detail"]
    assert approval["assignee"] is None  # nobody configured: it waits, never sent to an admin


def test_a_one_supervisor_office_approves_through_a_peer_office(api, svc, clock, plan):
    configured = api.as_("sam").put(
        "/api/offices/sudbury/four-eyes", json={"peer_office": "ottawa"}
    )
    assert configured.status_code == 200, configured.json

    case = escalated_high_risk_review(api, svc, clock, plan)

    approval = task(case, "approve_plan")
    assert approval["assignee"] == "omar"  # Ottawa's supervisor
    inbox = api.as_("omar").get("/api/tasks").json["items"]
    assert [t["task_name"] for t in inbox] == ["approve_plan"]
    done = api.as_("omar").post(f"/api/tasks/{approval['id']}/complete", json={"data": APPROVED})
    assert done.status_code == 200, done.json
    case = instance(api, plan["id"])
    assert open_tasks(case) == ["review_plan"] and case["data"]["plan_approved"] is True


def test_an_office_delegate_takes_the_four_eyes_step(api, svc, clock, plan):
    with transaction(svc.sessions) as session:  # a regional supervisor the office names
        add_user(session, "rhea", office="regional", roles=["supervisor"], now=clock.now())
        api.tokens["rhea"] = issue_token(session, "rhea", now=clock.now(), ttl=timedelta(days=3650))
    assert (
        api.as_("sam")
        .put("/api/offices/sudbury/four-eyes", json={"peer_office": "ottawa", "delegate": "rhea"})
        .status_code
        == 200
    )

    case = escalated_high_risk_review(api, svc, clock, plan)

    approval = task(case, "approve_plan")
    assert approval["assignee"] == "rhea"  # the delegate comes before the peer office
    done = api.as_("rhea").post(f"/api/tasks/{approval['id']}/complete", json={"data": APPROVED})
    assert done.status_code == 200, done.json


def test_a_delegate_who_cannot_take_the_step_falls_back_to_the_peer_office(api, svc, clock, plan):
    assert (
        api.as_("sam")
        .put("/api/offices/sudbury/four-eyes", json={"peer_office": "ottawa", "delegate": "cole"})
        .status_code
        == 200
    )

    case = escalated_high_risk_review(api, svc, clock, plan)

    assert task(case, "approve_plan")["assignee"] == "omar"  # cole works no supervisor queue
    assert api.as_("sam").get("/api/offices/sudbury/four-eyes").json == {
        "office": "sudbury",
        "peer_office": "ottawa",
        "delegate": "cole",
    }


def test_only_the_offices_supervisors_set_the_fallback(api):
    assert api.as_("casey").put("/api/offices/sudbury/four-eyes", json={}).status_code == 403
    same = api.as_("sam").put("/api/offices/sudbury/four-eyes", json={"peer_office": "sudbury"})
    nobody = api.as_("sam").put("/api/offices/sudbury/four-eyes", json={"delegate": "ghost"})
    assert same.status_code == 422 and nobody.status_code == 422


def outcomes_asked(api, key: str = "CASE-20") -> dict:
    """The plan_outcomes instance the closed plan started in the same case."""
    (item,) = [
        i
        for i in api.as_("ada").get(f"/api/instances?business_key={key}").json["items"]
        if i["process_id"] == "plan_outcomes"
    ]
    return instance(api, item["id"])


def test_a_review_that_closes_the_case_asks_for_the_outcomes_then_closes_it(api, svc, plan):
    case = complete(api, "casey", plan, "review_plan", {**REVIEW, "plan_status": "case_closed"})

    assert case["status"] == "completed"
    asked = outcomes_asked(api)
    assert api.as_("sam").get("/api/cases/CASE-20").json["status"] == "open"
    assert asked["data"]["close_case_after"] is True
    done = complete(api, "casey", asked, "record_plan_outcomes", RECORDED)
    assert done["status"] == "completed"
    record = api.as_("sam").get("/api/cases/CASE-20").json
    assert record["status"] == "closed" and record["close_reason"] == "completed"


def test_closing_the_plan_ends_the_reviews(api, svc, clock, plan):
    case = complete(api, "casey", plan, "review_plan", {**REVIEW, "plan_status": "completed"})

    assert case["status"] == "completed" and case["timers"] == []
    asked = outcomes_asked(api)  # the plan's goals are recorded next; the case stays open
    assert [t["task_name"] for t in asked["tasks"] if t["status"] == "open"] == [
        "record_plan_outcomes"
    ]
    done = complete(
        api, "casey", asked, "record_plan_outcomes", {**RECORDED, "send_plan_survey": False}
    )
    assert done["status"] == "completed"
    assert api.as_("sam").get("/api/cases/CASE-20").json["status"] == "open"
    (notice,) = outbox(svc, plan["id"])
    assert (notice.channel, notice.recipient) == ("mail", "Sam Rivers")
    assert notice.subject == "Your service plan is closed"
    clock.advance(days=400)
    assert timers.tick(svc) == 0
