"""Send tasks and message throw/end events reach the case waiting for them (standard
correlation keys), the outbox for a partner, or an incident — never nowhere."""

from __future__ import annotations

from tests.api.helpers import FIXTURES, open_task, start, upload

SENDER = FIXTURES / "referral_sender.bpmn"
RECEIVER = FIXTURES / "referral_receiver.bpmn"


def _view(api, instance_id: str) -> dict:
    return api.as_("sam").get(f"/api/instances/{instance_id}").json


def test_a_send_task_reaches_the_case_waiting_with_that_correlation(api, svc):
    dana = api.as_("dana")
    assert upload(dana, RECEIVER).status_code == 201
    assert upload(dana, SENDER).status_code == 201
    casey = api.as_("casey")
    wanted = start(casey, "referral_receiver", key="CASE-7", data={"referral_id": "R-7"}).json
    other = start(casey, "referral_receiver", key="CASE-8", data={"referral_id": "R-8"}).json
    assert wanted["waiting_for"] == [
        {"message": "referral_ready", "correlation": {"referralId": "R-7"}}
    ]

    sender = start(casey, "referral_sender", key="CASE-9", data={"referral_id": "R-7"}).json

    received = _view(api, wanted["id"])
    assert [t["task_name"] for t in received["tasks"]] == ["follow_up"]
    assert received["data"]["note"] == "documents are in"
    assert received["waiting_for"] == []
    assert any(h["action"] == "message.deliver" for h in received["history"])
    assert _view(api, other["id"])["tasks"] == []  # R-8 still waits
    history = _view(api, sender["id"])["history"]
    sent = [h for h in history if h["action"] == "message.send"]
    assert sent and sent[0]["detail"]["target_instance_id"] == wanted["id"]
    task = open_task(received, "follow_up")
    casey.post(f"/api/tasks/{task['id']}/complete", json={"data": {}})
    assert _view(api, wanted["id"])["status"] == "completed"


def test_a_message_for_a_partner_goes_to_the_outbox_and_one_for_nobody_is_an_incident(api):
    upload(api.as_("dana"), SENDER)

    sender = start(api.as_("casey"), "referral_sender", key="CASE-9", data={"referral_id": "R-1"})

    assert sender.status_code == 201, sender.json
    view = _view(api, sender.json["id"])
    actions = [h["action"] for h in view["history"]]
    assert "message.outbox" in actions  # referral_to_partner, to the partner "foodbank"
    assert actions.count("message.unreceived") == 2  # referral_ready and nobody_listens
    messages = sorted(i["message"] for i in view["incidents"])
    assert any("nobody_listens" in m for m in messages)
    outbox = api.as_("sam").get("/api/outbox?status=pending").json
    rows = outbox["items"] if isinstance(outbox, dict) else outbox
    assert any(r["recipient"] == "foodbank" for r in rows), rows


def test_a_partner_message_uses_the_standard_correlation_property(api):
    upload(api.as_("dana"), RECEIVER)
    waiting = start(api.as_("casey"), "referral_receiver", data={"referral_id": "R-3"}).json

    response = api.as_("casey").post(
        "/api/messages",
        json={"name": "referral_ready", "correlation": {"referralId": "R-3"}, "payload": {}},
    )

    assert response.status_code == 202, response.json
    assert response.json["instance_id"] == waiting["id"]
    assert [t["task_name"] for t in _view(api, waiting["id"])["tasks"]] == ["follow_up"]
