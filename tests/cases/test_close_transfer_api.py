"""Closing a case ends its open work; transferring moves it to another office's queues."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.store.models import HumanTask, MessageWait, ProcessInstance, Timer
from tests.cases.helpers import APPLICANT, counts, deploy_intake, opened


@pytest.fixture
def case(api):
    """C-10: intake recorded, "contact the applicant" open (with its deadline timers)."""
    deploy_intake(api)
    opened(api.as_("ira"), key="C-10")
    (task,) = api.as_("ira").get("/api/tasks?case=C-10").json["items"]
    api.as_("ira").post(
        f"/api/tasks/{task['id']}/complete",
        json={"data": {"applicant": APPLICANT, "request": "temporary_care", "urgent_need": "none"}},
    )
    return "C-10"


def open_work(svc) -> dict[str, int]:
    with svc.sessions() as session:
        return {
            "tasks": session.scalar(
                select(func.count()).select_from(HumanTask).where(HumanTask.status == "open")
            ),
            "timers": session.scalar(select(func.count()).select_from(Timer)),
            "waits": session.scalar(select(func.count()).select_from(MessageWait)),
        }


def make_owner(api, key: str, user: str) -> None:
    response = api.as_("sam").put(f"/api/cases/{key}/owner", json={"user": user})
    assert response.status_code == 200, response.json


def test_closing_cancels_open_tasks_timers_and_waits(api, svc, case):
    # the deadline, the supervisor reminder and the final escalation
    assert open_work(svc)["tasks"] == 1 and open_work(svc)["timers"] == 3

    response = api.as_("sam").post(f"/api/cases/{case}/close", json={"reason": "completed"})

    assert response.status_code == 200, response.json
    body = response.json
    assert body["status"] == "closed" and body["close_reason"] == "completed"
    assert body["closed_by"] == "sam" and body["tasks"] == []
    assert [i["status"] for i in body["instances"]] == ["terminated"]
    assert open_work(svc) == {"tasks": 0, "timers": 0, "waits": 0}
    closed = body["timeline"][0]
    assert (closed["title"], closed["entries"]) == (
        "Case closed",
        [{"label": "Reason", "value": "Services completed"}],
    )


def test_closing_a_closed_case_is_a_conflict(api, svc, case):
    api.as_("sam").post(f"/api/cases/{case}/close", json={"reason": "completed"})
    before = counts(svc)

    again = api.as_("sam").post(f"/api/cases/{case}/close", json={"reason": "completed"})

    assert again.status_code == 409
    assert counts(svc) == before


def test_the_owner_may_close_only_when_the_client_withdrew_or_is_unreachable(api, case):
    make_owner(api, case, "casey")

    completed = api.as_("casey").post(f"/api/cases/{case}/close", json={"reason": "completed"})
    not_owner = api.as_("cole").post(f"/api/cases/{case}/close", json={"reason": "withdrawn"})
    withdrawn = api.as_("casey").post(f"/api/cases/{case}/close", json={"reason": "withdrawn"})

    assert (completed.status_code, not_owner.status_code) == (403, 403)
    assert withdrawn.status_code == 200 and withdrawn.json["close_reason"] == "withdrawn"


def test_closing_refuses_unknown_reasons_and_other_offices(api, case):
    assert (
        api.as_("sam").post(f"/api/cases/{case}/close", json={"reason": "bored"}).status_code == 422
    )
    assert (
        api.as_("omar").post(f"/api/cases/{case}/close", json={"reason": "moved"}).status_code
        == 404
    )


def test_a_case_closes_in_french_too(api, case):
    api.as_("sam").post(f"/api/cases/{case}/close", json={"reason": "unreachable"})

    body = api.as_("sam").get(f"/api/cases/{case}", headers={"Accept-Language": "fr"}).json

    assert body["timeline"][0]["title"] == "Dossier fermé"
    assert body["timeline"][0]["entries"] == [{"label": "Motif", "value": "Client injoignable"}]
    assert "Arrêté : Accueil municipal" in [e["title"] for e in body["timeline"]]


def test_transfer_moves_the_case_and_its_open_work(api, svc, case):
    make_owner(api, case, "casey")
    (task,) = api.as_("ira").get(f"/api/tasks?case={case}").json["items"]
    api.as_("ira").post(f"/api/tasks/{task['id']}/claim")

    response = api.as_("sam").post(f"/api/cases/{case}/transfer", json={"office": "ottawa"})

    assert response.status_code == 200, response.json
    assert response.json["office"] == "ottawa" and response.json["owner"] is None
    (moved,) = response.json["tasks"]
    assert moved["assignee"] is None
    with svc.sessions() as session:
        offices = set(session.scalars(select(ProcessInstance.office)))
        assert offices == {"ottawa"}
        assert session.get_one(HumanTask, moved["id"]).office == "ottawa"
    assert api.as_("sam").get(f"/api/cases/{case}").status_code == 404
    assert api.as_("omar").get(f"/api/cases/{case}").status_code == 200
    assert api.as_("omar").get(f"/api/tasks?case={case}").json["total"] == 1
    assert api.as_("ira").get(f"/api/tasks/{moved['id']}").status_code == 404
    timeline = api.as_("omar").get(f"/api/cases/{case}").json["timeline"]
    assert timeline[0]["title"] == "Case transferred"
    assert timeline[0]["entries"] == [
        {"label": "From office", "value": "sudbury"},
        {"label": "To office", "value": "ottawa"},
    ]


def test_transfer_is_for_supervisors_to_known_offices(api, svc, case):
    before = counts(svc)

    by_caseworker = api.as_("casey").post(f"/api/cases/{case}/transfer", json={"office": "ottawa"})
    unknown = api.as_("sam").post(f"/api/cases/{case}/transfer", json={"office": "atlantis"})
    elsewhere = api.as_("omar").post(f"/api/cases/{case}/transfer", json={"office": "ottawa"})

    assert (by_caseworker.status_code, unknown.status_code, elsewhere.status_code) == (
        403,
        422,
        404,
    )
    assert counts(svc) == before
