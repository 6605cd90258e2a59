"""A failing service task stops the case with an incident; fixing it and retrying finishes it."""

from __future__ import annotations

import pytest

from handlers import HandlerError, HandlerRegistry
from tests.api.helpers import FIXTURES, open_task, start, upload


class PartnerSystem:
    """A stand-in for a partner's referral system that can be switched off."""

    def __init__(self) -> None:
        self.up = False
        self.sent: list[str] = []

    def send(self, ctx, *, partner: str) -> dict:  # type: ignore[no-untyped-def]
        if not self.up:
            raise HandlerError("partner system down (HTTP 503)")
        self.sent.append(partner)
        return {"referral_id": f"R-{len(self.sent)}"}


@pytest.fixture
def partner() -> PartnerSystem:
    return PartnerSystem()


@pytest.fixture
def registry(partner: PartnerSystem) -> HandlerRegistry:
    registry = HandlerRegistry()
    registry.register("send_to_partner", partner.send)
    return registry


def test_handler_failure_becomes_incident_then_retry_completes(api, partner):
    upload(api.as_("dana"), FIXTURES / "flaky_service.bpmn", FIXTURES / "flaky_prepare.schema.json")
    case = start(api.as_("casey"), "flaky_referral", "CASE-9").json
    prepare = open_task(case, "prepare")

    done = api.as_("casey").post(
        f"/api/tasks/{prepare['id']}/complete", json={"data": {"partner": "housing"}}
    )
    failed = api.as_("casey").get(f"/api/instances/{case['id']}").json

    assert done.status_code == 200
    assert failed["status"] == "error"
    (incident,) = failed["incidents"]
    assert incident["task_name"] == "send"
    assert "partner system down" in incident["message"]
    assert "NameError" not in incident["message"]
    assert failed["data"]["partner"] == "housing"

    partner.up = True
    retried = api.as_("casey").post(f"/api/instances/{case['id']}/retry")

    assert retried.status_code == 200
    assert retried.json["status"] == "waiting"
    assert retried.json["data"]["receipt"] == {"referral_id": "R-1"}
    assert retried.json["incidents"][0]["resolved_at"] is not None
    confirm = open_task(retried.json, "confirm")
    finish = api.as_("casey").post(f"/api/tasks/{confirm['id']}/complete", json={"data": {}})
    assert finish.status_code == 200
    assert api.as_("casey").get(f"/api/instances/{case['id']}").json["status"] == "completed"


def test_retry_of_a_healthy_instance_is_a_conflict(api, partner):
    upload(api.as_("dana"), FIXTURES / "flaky_service.bpmn", FIXTURES / "flaky_prepare.schema.json")
    case = start(api.as_("casey"), "flaky_referral", "CASE-10").json

    response = api.as_("casey").post(f"/api/instances/{case['id']}/retry")

    assert response.status_code == 409


def test_failed_retry_keeps_the_instance_in_error(api, partner):
    upload(api.as_("dana"), FIXTURES / "flaky_service.bpmn", FIXTURES / "flaky_prepare.schema.json")
    case = start(api.as_("casey"), "flaky_referral", "CASE-11").json
    prepare = open_task(case, "prepare")
    api.as_("casey").post(f"/api/tasks/{prepare['id']}/complete", json={"data": {"partner": "mh"}})

    again = api.as_("casey").post(f"/api/instances/{case['id']}/retry").json

    assert again["status"] == "error"
    assert len(again["incidents"]) == 2
    assert again["incidents"][0]["resolved_at"] is not None
    assert again["incidents"][1]["resolved_at"] is None
