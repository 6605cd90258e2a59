"""plan_outcomes: per-goal and financial-empowerment outcomes, counted by the outcomes report,
and the optional closure survey answered later."""

from __future__ import annotations

import pytest

from tests.workflows.helpers import complete, deploy, outbox, start

RECORDED = {
    "goal_outcomes": [
        {"domain": "housing", "goal": "Keep the apartment", "goal_result": "achieved"},
        {
            "domain": "employment_readiness",
            "goal": "Find part-time work",
            "goal_result": "partly",
            "goal_notes": "Interviews, no offer yet.",
        },
    ],
    "financial_outcomes": ["bank_account_opened", "tax_return_filed"],
    "send_plan_survey": True,
}


@pytest.fixture
def plan(api):
    deploy(api, "plan_outcomes.bpmn")
    return start(
        api.as_("casey"),
        "plan_outcomes",
        "CASE-50",
        {"case_number": "CASE-50", "client_name": "Lee Martin", "notice_channel": "email"},
    )


def test_goal_and_financial_outcomes_are_counted(api, svc, plan):
    done = complete(api, "casey", plan, "record_plan_outcomes", RECORDED)

    assert done["status"] == "completed"
    report = api.as_("sam").get("/api/reports/outcomes").json
    lines = {(i["kind"], i["need"], i["result"]): i["count"] for i in report["items"]}
    assert lines == {
        ("plan_goal", "housing", "achieved"): 1,
        ("plan_goal", "employment_readiness", "partly"): 1,
        ("financial", "financial_empowerment", "bank_account_opened"): 1,
        ("financial", "financial_empowerment", "tax_return_filed"): 1,
    }
    financial = api.as_("sam").get("/api/reports/outcomes?kind=financial").json
    assert financial["by_result"] == {"bank_account_opened": 1, "tax_return_filed": 1}
    (survey,) = outbox(svc, plan["id"])
    assert (survey.kind, survey.channel) == ("closure_survey", "email")
    answered = api.as_("casey").post(
        f"/api/surveys/{plan['id']}", json={"answers": {"would_recommend": "yes"}}
    )
    assert answered.status_code == 201


def test_a_refused_completion_records_no_outcome(api, plan):
    item = next(t for t in plan["tasks"] if t["task_name"] == "record_plan_outcomes")
    bad = {**RECORDED, "financial_outcomes": ["lottery_won"]}

    response = api.as_("casey").post(f"/api/tasks/{item['id']}/complete", json={"data": bad})

    assert response.status_code == 422
    assert api.as_("sam").get("/api/reports/outcomes").json["total"] == 0
