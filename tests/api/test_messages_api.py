"""Partners post messages that find the one waiting case by correlation, and nothing else."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.identity.users import add_user, issue_token
from engine.store.db import transaction
from engine.store.models import MessageWait
from tests.api.helpers import FIXTURES, open_task, start, upload


@pytest.fixture
def partner(api, svc):
    with transaction(svc.sessions) as session:
        add_user(session, "housing_org", office="partners", roles=["partner"], now=svc.clock.now())
        api.tokens["housing_org"] = issue_token(
            session, "housing_org", now=svc.clock.now(), ttl=timedelta(days=1)
        )
    upload(api.as_("dana"), FIXTURES / "await_acceptance.bpmn")
    return api.as_("housing_org")


def accept(user, referral_id, payload=None):
    return user.post(
        "/api/messages",
        json={
            "name": "referral_accepted",
            "correlation": {"referral_id": referral_id},
            "payload": payload or {"accepted_by": "Housing Services"},
        },
    )


def test_partner_message_reaches_the_waiting_case(api, svc, partner):
    case = start(api.as_("casey"), "await_acceptance", "CASE-R1", {"referral_id": "R-1"}).json

    response = accept(partner, "R-1")

    assert response.status_code == 202
    assert response.json["instance_id"] == case["id"]
    moved = api.as_("casey").get(f"/api/instances/{case['id']}").json
    assert open_task(moved, "confirm")
    assert moved["data"]["accepted_by"] == "Housing Services"
    with svc.sessions() as session:
        assert session.scalars(select(MessageWait)).all() == []


def test_waits_are_indexed_by_correlation(api, svc, partner):
    start(api.as_("casey"), "await_acceptance", "CASE-R2", {"referral_id": 42})

    with svc.sessions() as session:
        (wait,) = session.scalars(select(MessageWait)).all()

    assert wait.message_name == "referral_accepted"
    assert wait.correlation == '{"referral_id":"42"}'
    assert accept(partner, 42).status_code == 202


def test_no_waiting_case_is_404_and_several_are_409(api, partner):
    start(api.as_("casey"), "await_acceptance", "CASE-A", {"referral_id": "R-9"})
    start(api.as_("cole"), "await_acceptance", "CASE-B", {"referral_id": "R-9"})

    assert accept(partner, "R-404").status_code == 404
    assert accept(partner, "R-9").status_code == 409


def test_message_without_correlation_is_422(partner):
    response = partner.post("/api/messages", json={"name": "referral_accepted", "correlation": {}})

    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "correlation"


def test_partner_token_can_do_nothing_else(api, partner):
    case = start(api.as_("casey"), "await_acceptance", "CASE-P", {"referral_id": "R-5"}).json

    assert partner.get("/api/tasks").status_code == 403
    assert partner.get("/api/definitions").status_code == 403
    assert partner.get(f"/api/instances/{case['id']}").status_code == 403
    started = partner.post(
        "/api/instances", json={"process_id": "await_acceptance", "business_key": "X"}
    )
    assert started.status_code == 403


def test_caseworker_delivers_to_a_known_case(api, partner):
    case = start(api.as_("casey"), "await_acceptance", "CASE-C", {"referral_id": "R-7"}).json

    response = api.as_("casey").post(
        f"/api/instances/{case['id']}/messages",
        json={"name": "referral_accepted", "payload": {"note": "phoned"}},
    )
    wrong = api.as_("casey").post(
        f"/api/instances/{case['id']}/messages", json={"name": "nothing_waits_for_this"}
    )

    assert response.status_code == 200
    assert open_task(response.json, "confirm")
    assert wrong.status_code == 409
