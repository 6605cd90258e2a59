"""warm_referral: consent-gated details, urgent clocks, follow-ups that stop, another partner
after a decline, the connection deadline, escalation that keeps the worker, outcomes."""

from __future__ import annotations

import csv
import io
import json

import pytest

from engine.casework import timers
from tests.workflows.helpers import (
    add_partner,
    complete,
    deploy,
    fired,
    instance,
    open_tasks,
    outbox,
    start,
    task,
)

REFERRAL = {
    "referral_id": "CASE-9-housing-1a2b3c4d",
    "case_number": "CASE-9",
    "client_name": "Pat Doe",
    "need": "housing",
    "partner": "housing_services",
    "reason": "Eviction notice for February 1",
    "urgent": True,
}
PREPARED = {
    "consent_given": True,
    "consent_form": "written",
    "summary": "Single parent with two children; eviction on February 1; needs a unit.",
    "contact_preference": "phone",
    "language": "fr",
    "client_contact": {"phone": "705-555-0100", "accessibility_needs": "Wheelchair access"},
}
CONNECTED = {
    "connected": True,
    "first_appointment_on": "2027-01-20",
    "connection_notes": "Met.",
    "send_survey": False,
}
ROUTINE = {**REFERRAL, "urgent": False}
FOLLOW_UP = {
    "contacted_by": "phone",
    "partner_contact": "Intake desk",
    "follow_up_notes": "Still reviewing; will answer this week.",
}
NEXT_MONDAY = "2027-01-11T14:00:00+00:00"  # 5 business days after Monday 09:00
TUESDAY = "2027-01-05T14:00:00+00:00"  # 1 business day after Monday 09:00


@pytest.fixture
def partner(api, svc):
    deploy(api, "warm_referral.bpmn")
    return add_partner(api, svc)


@pytest.fixture
def referral(api, partner):
    return start(api.as_("casey"), "warm_referral", "CASE-9", REFERRAL)


def post(partner, name, payload, referral_id=REFERRAL["referral_id"]):
    return partner.post(
        "/api/messages",
        json={"name": name, "correlation": {"referral_id": referral_id}, "payload": payload},
    )


def sent(api, referral, prepared=PREPARED):
    return complete(api, "casey", referral, "prepare_referral", prepared)


def outcomes(api, query=""):
    response = api.as_("sam").get(f"/api/reports/outcomes{query}")
    assert response.status_code == 200, response.json
    return response.json


def follow_up_cycle(api, svc, clock, referral_id):
    clock.advance(days=1, seconds=1)
    assert timers.tick(svc) >= 1
    return complete(api, "casey", instance(api, referral_id), "follow_up_partner", FOLLOW_UP)


def test_urgent_referral_carries_the_consented_details_and_a_short_wait(api, svc, referral):
    assert task(referral, "prepare_referral")["queue"] == "caseworker"
    assert task(referral, "prepare_referral")["due_at"] == TUESDAY  # urgent: 1 business day

    waiting = sent(api, referral)

    assert waiting["status"] == "waiting" and open_tasks(waiting) == []
    assert [(t["task_name"], t["due_at"]) for t in waiting["timers"]] == [("no_answer", TUESDAY)]
    (message,) = outbox(svc, referral["id"])
    assert (message.channel, message.recipient) == ("partner", "housing_services")
    assert message.subject == "URGENT Referral CASE-9-housing-1a2b3c4d: Housing"
    payload = json.loads(message.payload_json)
    assert payload["contact"] == {"preference": "phone", "phone": "705-555-0100"}
    assert payload["language"] == "fr"
    assert payload["accessibility_needs"] == "Wheelchair access"
    assert "Wheelchair access" in message.body


def test_a_routine_referral_waits_the_regular_follow_up_period(api, partner):
    case = start(api.as_("casey"), "warm_referral", "CASE-9", ROUTINE)
    assert task(case, "prepare_referral")["due_at"] == NEXT_MONDAY

    waiting = sent(api, case)

    assert [(t["task_name"], t["due_at"]) for t in waiting["timers"]] == [
        ("no_answer", NEXT_MONDAY)
    ]


def test_without_consent_nothing_is_sent_and_the_outcome_says_why(api, svc, referral):
    done = sent(api, referral, {**PREPARED, "consent_given": False, "consent_form": "verbal"})

    assert done["status"] == "completed"
    assert outbox(svc, referral["id"]) == []
    (line,) = outcomes(api)["items"]
    assert (line["kind"], line["need"], line["partner"], line["result"]) == (
        "referral",
        "housing",
        "housing_services",
        "not_connected",
    )


def test_consent_needs_its_form_field(api, referral):
    item = task(referral, "prepare_referral")
    data = {k: v for k, v in PREPARED.items() if k != "consent_form"}

    response = api.as_("casey").post(f"/api/tasks/{item['id']}/complete", json={"data": data})

    assert response.status_code == 422
    assert [e["field"] for e in response.json["errors"]] == ["data.consent_form"]


def test_follow_ups_stop_after_the_configured_count(api, svc, clock, referral):
    sent(api, referral)
    for count in (1, 2, 3):
        case = follow_up_cycle(api, svc, clock, referral["id"])
        assert case["data"]["follow_ups_done"] == count and case["status"] == "waiting"

    clock.advance(days=1, seconds=1)
    timers.tick(svc)

    case = instance(api, referral["id"])
    assert open_tasks(case) == ["choose_next"]
    assert fired(case).count("no_answer") == 4


def test_declined_then_second_partner_connects_and_outcomes_are_counted(
    api, svc, clock, partner, referral
):
    """The end-to-end path of issue #17: decline → another partner → connected → outcomes."""
    sent(api, referral)
    assert post(partner, "referral_declined", {"decline_reason": "No vacancies"}).status_code == 202
    case = instance(api, referral["id"])
    assert open_tasks(case) == ["choose_next"]
    assert task(case, "choose_next")["assignee"] == "casey"

    case = complete(
        api,
        "casey",
        case,
        "choose_next",
        {
            "redirect_reason": "partner_declined",
            "redirect_action": "another_partner",
            "next_partner": "family_support",
        },
    )
    assert open_tasks(case) == ["prepare_referral"]  # consent is asked again for the new partner
    second_id = "CASE-9-housing-1a2b3c4d-2"
    assert case["data"]["referral_id"] == second_id
    assert case["data"]["partners_tried"] == ["housing_services"]
    sent(api, case)
    assert post(partner, "referral_declined", {}).status_code == 404  # the old id is closed
    assert post(partner, "referral_accepted", {"accepted_by": "FS"}, second_id).status_code == 202
    case = instance(api, referral["id"])
    done = complete(api, "casey", case, "confirm_connection", CONNECTED)

    assert done["status"] == "completed"
    recipients = [m.recipient for m in outbox(svc, referral["id"]) if m.channel == "partner"]
    assert recipients == ["housing_services", "family_support"]
    report = outcomes(api)
    by_partner = {(i["partner"], i["result"]): i["count"] for i in report["items"]}
    assert by_partner == {
        ("housing_services", "not_connected"): 1,
        ("family_support", "connected"): 1,
    }
    assert report["by_partner"] == {"family_support": 1, "housing_services": 1}
    assert report["by_office"] == {"sudbury": 2} and report["by_month"] == {"2027-01": 2}
    assert outcomes(api, "?partner=family_support")["total"] == 1
    csv_response = api.as_("sam").get(
        "/api/reports/outcomes?need=housing", headers={"Accept": "text/csv"}
    )
    assert csv_response.status_code == 200
    assert csv_response.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(csv_response.get_data(as_text=True))))
    assert rows[0][:6] == ["case", "office", "kind", "need", "partner", "result"]
    assert [
        "CASE-9",
        "sudbury",
        "referral",
        "housing",
        "housing_services",
        "not_connected",
    ] == rows[1][:6]
    assert rows[1][6] == "partner_declined" and rows[1][8] == "casey"
    assert rows[2][4:6] == ["family_support", "connected"]


def test_closing_the_need_records_the_reason(api, partner, referral):
    sent(api, referral)
    post(partner, "referral_declined", {"decline_reason": "Out of area"})

    done = complete(
        api,
        "casey",
        instance(api, referral["id"]),
        "choose_next",
        {
            "redirect_reason": "partner_declined",
            "redirect_action": "close_need",
            "close_reason": "no_suitable_partner",
        },
    )

    assert done["status"] == "completed"
    results = {(i["partner"], i["result"]) for i in outcomes(api)["items"]}
    assert results == {("housing_services", "not_connected"), (None, "need_closed")}
    closing = api.as_("sam").get("/api/reports/outcomes?format=csv").get_data(as_text=True)
    assert "need_closed,no_suitable_partner" in closing


def test_closing_needs_a_reason(api, partner, referral):
    sent(api, referral)
    post(partner, "referral_declined", {})
    item = task(instance(api, referral["id"]), "choose_next")

    response = api.as_("casey").post(
        f"/api/tasks/{item['id']}/complete",
        json={"data": {"redirect_reason": "other", "redirect_action": "close_need"}},
    )

    assert response.status_code == 422
    assert [e["field"] for e in response.json["errors"]] == ["data.close_reason"]


def test_acceptance_during_the_follow_up_ends_it(api, svc, clock, partner, referral):
    sent(api, referral)
    clock.advance(days=1, seconds=1)
    timers.tick(svc)

    assert post(partner, "referral_accepted", {"accepted_by": "Sudbury Housing"}).status_code == 202

    case = instance(api, referral["id"])
    assert task(case, "follow_up_partner", "cancelled")["closed_reason"] == "cancelled"
    assert open_tasks(case) == ["confirm_connection"]


def test_refusal_during_the_follow_up_leads_to_the_choice(api, svc, clock, partner, referral):
    sent(api, referral)
    clock.advance(days=1, seconds=1)
    timers.tick(svc)

    assert post(partner, "referral_declined", {"decline_reason": "Out of area"}).status_code == 202

    assert open_tasks(instance(api, referral["id"])) == ["choose_next"]


def test_caseworker_records_an_acceptance_given_on_the_phone(api, svc, clock, referral):
    sent(api, referral)
    clock.advance(days=1, seconds=1)
    timers.tick(svc)

    response = api.as_("casey").post(
        f"/api/instances/{referral['id']}/messages",
        json={"name": "referral_accepted", "payload": {"accepted_by": "phone: intake desk"}},
    )

    assert response.status_code == 200
    assert open_tasks(response.json) == ["confirm_connection"]


def test_the_connection_deadline_reminds_then_escalates_with_its_own_deadline(
    api, svc, clock, partner, referral
):
    sent(api, referral)
    post(partner, "referral_accepted", {})
    case = instance(api, referral["id"])
    confirm = task(case, "confirm_connection")
    assert confirm["due_at"] == "2027-01-18T14:00:00+00:00"  # 10 business days

    clock.advance(days=14, seconds=1)  # Monday 18th: the deadline
    timers.tick(svc)
    case = instance(api, referral["id"])
    still = task(case, "confirm_connection")
    assert (still["assignee"], still["due_at"]) == ("casey", confirm["due_at"])
    staff = [m for m in outbox(svc, referral["id"]) if m.channel == "staff"]
    assert [(m.recipient, m.kind) for m in staff] == [("caseworker", "task_overdue")]
    assert "still yours" in staff[0].body

    clock.advance(days=1)  # Tuesday: one business day late, the supervisor hears of it
    timers.tick(svc)
    case = instance(api, referral["id"])
    assert open_tasks(case) == ["confirm_connection"]
    staff = [m.recipient for m in outbox(svc, referral["id"]) if m.channel == "staff"]
    assert staff == ["caseworker", "supervisor"]

    clock.advance(days=2)  # Thursday: three business days late, it moves
    timers.tick(svc)
    case = instance(api, referral["id"])
    assert task(case, "confirm_connection", "cancelled")["closed_reason"] == "escalated"
    escalated = task(case, "confirm_connection_escalated")
    assert escalated["queue"] == "supervisor"
    assert escalated["due_at"] == "2027-01-22T14:00:01+00:00"  # its own deadline: 1 business day

    done = complete(api, "sam", case, "confirm_connection_escalated", CONNECTED)
    assert done["status"] == "completed"
    (line,) = outcomes(api)["items"]
    assert line["result"] == "connected"


def test_a_closure_survey_is_answered_later_through_the_api(api, svc, partner, referral):
    sent(api, referral)
    post(partner, "referral_accepted", {})
    complete(
        api,
        "casey",
        instance(api, referral["id"]),
        "confirm_connection",
        {**CONNECTED, "send_survey": True},
    )
    (survey,) = [m for m in outbox(svc, referral["id"]) if m.kind == "closure_survey"]
    assert survey.channel == "mail" and survey.recipient == "Pat Doe"
    assert referral["id"] in survey.body
    code = referral["id"]

    answers = {"answers": {"helped": "partly", "satisfaction": 4}, "comment": "Kind staff."}
    assert api.as_("olive").post(f"/api/surveys/{code}", json=answers).status_code == 404
    assert api.as_("housing_org").post(f"/api/surveys/{code}", json=answers).status_code == 403
    bad = api.as_("ira").post(f"/api/surveys/{code}", json={"answers": {"helped": "maybe"}})
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json["errors"]] == ["answers.helped"]
    recorded = api.as_("ira").post(f"/api/surveys/{code}", json=answers)
    assert recorded.status_code == 201 and recorded.json["recorded"] == 2
    assert api.as_("ira").post(f"/api/surveys/{code}", json=answers).status_code == 409

    report = outcomes(api, "?kind=survey")
    assert {i["result"]: i["count"] for i in report["items"]} == {
        "helped=partly": 1,
        "satisfaction=4": 1,
    }
    assert api.as_("casey").get("/api/reports/outcomes").status_code == 403


def test_an_unknown_partner_is_left_undelivered_not_an_incident(api, svc, partner):
    """Partners are directory data: a key the office's directory lacks does not stop the case;
    the referral waits on the undelivered list (no_channel) for a supervisor."""
    case = start(api.as_("casey"), "warm_referral", "CASE-10", {**REFERRAL, "partner": "nobody"})

    waiting = complete(api, "casey", case, "prepare_referral", PREPARED)

    assert waiting["status"] == "waiting"
    (message,) = outbox(svc, case["id"])
    assert message.recipient == "nobody"
