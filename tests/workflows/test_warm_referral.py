"""warm_referral: send with consent, wait for the partner, follow up, confirm, record."""

from __future__ import annotations

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
    "language": "en",
}
CONNECTED = {"connected": True, "first_appointment_on": "2027-01-20", "connection_notes": "Met."}
OUTCOME = {"outcome": "receiving_service", "outcome_notes": "Housing worker assigned."}
FOLLOW_UP = {
    "contacted_by": "phone",
    "partner_contact": "Intake desk",
    "follow_up_notes": "Still reviewing; will answer this week.",
}
NEXT_MONDAY = "2027-01-11T14:00:00+00:00"  # 5 business days after Monday 09:00


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


def sent(api, referral):
    return complete(api, "casey", referral, "prepare_referral", PREPARED)


def test_referral_goes_to_the_partner_and_waits_for_an_answer(api, svc, referral):
    assert task(referral, "prepare_referral")["queue"] == "caseworker"

    waiting = sent(api, referral)

    assert waiting["status"] == "waiting" and open_tasks(waiting) == []
    assert [(t["task_name"], t["due_at"]) for t in waiting["timers"]] == [
        ("no_answer", NEXT_MONDAY)
    ]
    (message,) = outbox(svc, referral["id"])
    assert (message.channel, message.recipient) == ("partner", "housing_services")
    assert message.subject == "URGENT Referral CASE-9-housing-1a2b3c4d: Housing"
    assert '"referral_id": "CASE-9-housing-1a2b3c4d"' in message.payload_json
    assert waiting["data"]["referral_sent"]["partner"] == "housing_services"


def test_accepted_before_the_follow_up_then_connected(api, svc, clock, partner, referral):
    sent(api, referral)
    clock.advance(days=2)

    answer = post(
        partner, "referral_accepted", {"accepted_by": "Sudbury Housing", "intake_on": "2027-01-12"}
    )

    assert answer.status_code == 202 and answer.json["instance_id"] == referral["id"]
    case = instance(api, referral["id"])
    assert open_tasks(case) == ["confirm_connection"] and case["timers"] == []
    assert case["data"]["accepted_by"] == "Sudbury Housing"
    case = complete(api, "casey", case, "confirm_connection", CONNECTED)
    done = complete(api, "casey", case, "record_outcome", OUTCOME)
    assert done["status"] == "completed"
    assert done["data"]["outcome"] == "receiving_service"
    assert done["data"]["first_appointment_on"] == "2027-01-20"
    assert post(partner, "referral_accepted", {}).status_code == 404
    clock.advance(days=30)
    assert timers.tick(svc) == 0


def test_declined_by_the_partner_goes_straight_to_the_outcome(api, partner, referral):
    sent(api, referral)

    assert post(partner, "referral_declined", {"decline_reason": "No vacancies"}).status_code == 202

    case = instance(api, referral["id"])
    assert open_tasks(case) == ["record_outcome"]
    assert case["data"]["decline_reason"] == "No vacancies"
    assert task(case, "record_outcome")["assignee"] == "casey"  # the case's caseworker
    done = complete(
        api, "casey", case, "record_outcome", {"outcome": "partner_declined", "outcome_notes": "x"}
    )
    assert done["status"] == "completed"
    assert sorted(t["task_name"] for t in done["tasks"]) == ["prepare_referral", "record_outcome"]


def test_without_consent_nothing_is_sent(api, svc, referral):
    done = complete(
        api,
        "casey",
        referral,
        "prepare_referral",
        {**PREPARED, "consent_given": False, "consent_form": "verbal"},
    )

    assert done["status"] == "completed"
    assert done["data"]["referral_status"] == "not_sent"
    assert done["data"]["outcome"] == "client_declined"
    assert outbox(svc, referral["id"]) == []


def test_consent_needs_its_form_field(api, referral):
    item = task(referral, "prepare_referral")
    data = {k: v for k, v in PREPARED.items() if k != "consent_form"}

    response = api.as_("casey").post(f"/api/tasks/{item['id']}/complete", json={"data": data})

    assert response.status_code == 422
    assert [e["field"] for e in response.json["errors"]] == ["data.consent_form"]


def test_no_answer_in_five_business_days_asks_for_a_follow_up(api, svc, clock, referral):
    sent(api, referral)
    clock.advance(days=6, hours=23)  # Sunday: not yet five business days
    assert timers.tick(svc) == 0
    clock.advance(hours=1, seconds=1)  # Monday 09:00

    assert timers.tick(svc) == 1

    case = instance(api, referral["id"])
    assert open_tasks(case) == ["follow_up_partner"]
    assert task(case, "follow_up_partner")["queue"] == "caseworker"
    assert fired(case) == ["no_answer"]


def test_acceptance_during_the_follow_up_ends_it(api, svc, clock, partner, referral):
    sent(api, referral)
    clock.advance(days=7, seconds=1)
    timers.tick(svc)

    assert post(partner, "referral_accepted", {"accepted_by": "Sudbury Housing"}).status_code == 202

    case = instance(api, referral["id"])
    follow_up = task(case, "follow_up_partner", "cancelled")
    assert follow_up["closed_reason"] == "cancelled"
    assert open_tasks(case) == ["confirm_connection"]


def test_refusal_during_the_follow_up_ends_it(api, svc, clock, partner, referral):
    sent(api, referral)
    clock.advance(days=7, seconds=1)
    timers.tick(svc)

    assert post(partner, "referral_declined", {"decline_reason": "Out of area"}).status_code == 202

    assert open_tasks(instance(api, referral["id"])) == ["record_outcome"]


def test_after_a_follow_up_the_wait_starts_again(api, svc, clock, partner, referral):
    sent(api, referral)
    clock.advance(days=7, seconds=1)
    timers.tick(svc)
    case = complete(api, "casey", instance(api, referral["id"]), "follow_up_partner", FOLLOW_UP)

    assert open_tasks(case) == [] and case["status"] == "waiting"
    assert [(t["task_name"], t["due_at"]) for t in case["timers"]] == [
        ("no_answer", "2027-01-18T14:00:01+00:00")
    ]
    clock.advance(days=7, seconds=1)
    timers.tick(svc)
    case = instance(api, referral["id"])
    assert open_tasks(case) == ["follow_up_partner"]
    assert fired(case) == ["no_answer", "no_answer"]
    assert post(partner, "referral_accepted", {}).status_code == 202
    assert open_tasks(instance(api, referral["id"])) == ["confirm_connection"]


def test_caseworker_records_an_acceptance_given_on_the_phone(api, svc, clock, referral):
    sent(api, referral)
    clock.advance(days=7, seconds=1)
    timers.tick(svc)

    response = api.as_("casey").post(
        f"/api/instances/{referral['id']}/messages",
        json={"name": "referral_accepted", "payload": {"accepted_by": "phone: intake desk"}},
    )

    assert response.status_code == 200
    assert open_tasks(response.json) == ["confirm_connection"]


def test_an_unknown_partner_is_left_undelivered_not_an_incident(api, svc, partner):
    """Partners are directory data: a key the office's directory lacks does not stop the case;
    the referral waits on the undelivered list (no_channel) for a supervisor."""
    case = start(api.as_("casey"), "warm_referral", "CASE-10", {**REFERRAL, "partner": "nobody"})

    waiting = complete(api, "casey", case, "prepare_referral", PREPARED)

    assert waiting["status"] == "waiting"
    (message,) = outbox(svc, case["id"])
    assert message.recipient == "nobody"
