"""The undelivered list over HTTP: list, send again, handled by phone (audited), and the
partner directory (secret shown once, stored sealed)."""

from __future__ import annotations

from sqlalchemy import select

from engine.delivery.secrets import SecretBox
from engine.store.db import transaction
from engine.store.models import AuditEvent, OutboxEntry, Partner


def _message(svc, office: str = "sudbury", status: str = "failed") -> int:  # type: ignore[no-untyped-def]
    with transaction(svc.sessions) as session:
        row = OutboxEntry(
            instance_id="i-1",
            channel="sms",
            recipient="Pat Doe",
            subject="Your plan",
            body="",
            payload_json="{}",
            created_at=svc.clock.now(),
            office=office,
            status=status,
            attempts=3,
            last_error="no sms provider is configured",
        )
        session.add(row)
        session.flush()
        return row.id


def test_the_undelivered_list_shows_the_office_failed_and_no_channel(api, svc):
    mine = _message(svc, status="no_channel")
    _message(svc, office="ottawa")
    _message(svc, status="sent")

    listed = api.as_("sam").get("/api/outbox").json

    assert [item["id"] for item in listed["items"]] == [mine] and listed["total"] == 1
    assert listed["items"][0]["last_error"] == "no sms provider is configured"
    assert api.as_("ada").get("/api/outbox?status=failed").json["total"] == 1


def test_retry_makes_it_due_now_with_a_fresh_budget(api, svc):
    message = _message(svc)

    answer = api.as_("sam").post(f"/api/outbox/{message}/retry")

    assert answer.status_code == 200
    assert (answer.json["status"], answer.json["attempts"]) == ("pending", 0)
    assert answer.json["next_attempt_at"] == svc.clock.now().isoformat()


def test_handled_by_phone_leaves_the_list_is_audited_and_cannot_be_repeated(api, svc):
    message = _message(svc)

    answer = api.as_("sam").post(f"/api/outbox/{message}/handled", json={"note": "Called Pat"})

    assert answer.json["status"] == "handled" and answer.json["handled_by"] == "sam"
    assert api.as_("sam").get("/api/outbox").json["total"] == 0
    with svc.sessions() as session:
        actions = session.scalars(select(AuditEvent.action)).all()
    assert "outbox.handled" in actions
    again = api.as_("sam").post(f"/api/outbox/{message}/retry")
    assert again.status_code == 409


def test_a_partner_secret_is_shown_once_and_stored_sealed(api, svc):
    created = api.as_("sam").post(
        "/api/partners",
        json={
            "key": "housing_services",
            "name": "Housing services",
            "services": ["housing"],
            "languages": ["fr", "en"],
            "webhook_url": "http://127.0.0.1:9/hook",
        },
    )

    assert created.status_code == 201
    secret = created.json["secret"]
    assert secret.startswith("whsec_")
    shown = api.as_("sam").get(f"/api/partners/{created.json['id']}").json
    assert "secret" not in shown and shown["languages"] == ["fr", "en"]
    with svc.sessions() as session:
        sealed = session.scalars(select(Partner.secret_encrypted)).one()
    assert secret not in sealed
    assert SecretBox.from_settings(svc.settings).open(sealed) == secret
    sam = api.as_("sam")
    rotated = sam.client.patch(
        f"/api/partners/{created.json['id']}", json={"rotate_secret": True}, headers=sam.headers
    )
    assert rotated.json["secret"] not in (None, secret)
    duplicate = api.as_("sam").post("/api/partners", json={"key": "housing_services", "name": "X"})
    assert duplicate.status_code == 409
