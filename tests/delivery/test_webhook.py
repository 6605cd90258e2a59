"""Warm referrals reach the partner's webhook: signed, retried on 5xx/429/timeouts with the
same Idempotency-Key, failed on other 4xx, contact details only with consent."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace

import pytest

from engine.delivery.partners import create_partner
from engine.delivery.secrets import SecretBox
from engine.delivery.signing import sign, verify_signature
from engine.delivery.wiring import build_dispatcher
from engine.identity.users import Principal
from engine.store.db import transaction
from tests.delivery.helpers import row, rows
from tests.workflows.helpers import complete, deploy, instance

SECRET = "whsec_test_secret"
SAM = Principal("sam", "sudbury", frozenset({"supervisor"}))
REFERRAL = {
    "referral_id": "CASE-9-housing-1a2b3c4d",
    "case_number": "CASE-9",
    "client_name": "Pat Doe",
    "need": "housing",
    "partner": "housing_services",
    "reason": "Eviction notice",
    "urgent": True,
}
CLIENT = {"name": "Pat Doe", "preferred_language": "fr", "contact": {"phone": "+17055550101"}}
PREPARED = {
    "consent_given": True,
    "consent_form": "written",
    "summary": "Eviction on February 1; needs a unit.",
    "contact_preference": "phone",
    "language": "en",
    "client_contact": {},
}


@pytest.fixture
def partner_at(api, svc, staff, receiver):  # type: ignore[no-untyped-def]
    deploy(api, "warm_referral.bpmn")
    with transaction(svc.sessions) as session:
        create_partner(
            session,
            SAM,
            {
                "key": "housing_services",
                "name": "Housing services",
                "services": ["housing"],
                "languages": ["en", "fr"],
                "webhook_url": receiver.url,
                "secret": SECRET,
            },
            SecretBox.from_settings(svc.settings),
            svc.clock.now(),
        )
    return receiver


def refer(api, key: str = "CASE-9", **change):  # type: ignore[no-untyped-def]
    """Open the case (the client record: French, a phone) with its warm referral."""
    opened = api.as_("casey").post(
        "/api/cases",
        json={
            "process_id": "warm_referral",
            "key": key,
            "client": CLIENT,
            "data": {**REFERRAL, **change},
        },
    )
    assert opened.status_code == 201, opened.json
    case = instance(api, opened.json["instance_id"])
    return complete(api, "casey", case, "prepare_referral", PREPARED)


def test_a_warm_referral_reaches_the_partner_signed(api, svc, clock, partner_at):
    refer(api)

    assert build_dispatcher(svc).run() == 1

    (request,) = partner_at.requests
    header = request.headers["Caseway-Signature"]
    assert verify_signature(SECRET, header, request.body, now=clock.now().timestamp())
    document = json.loads(request.body)
    assert document["referral_id"] == "CASE-9-housing-1a2b3c4d"
    assert document["case_key"] == "CASE-9" and document["language"] == "fr"
    assert document["client"] == {
        "name": "Pat Doe",
        "email": None,
        "phone": "+17055550101",
        "safe_contact": False,
    }
    assert document["referral_details"] == {"contact": {"preference": "phone"}, "language": "en"}
    (queued,) = rows(svc)
    assert request.headers["Idempotency-Key"] == f"caseway-outbox-{queued.id}"
    assert row(svc, queued.id).status == "sent"


def test_a_500_is_retried_and_delivered_once_it_answers_200(api, svc, clock, partner_at):
    partner_at.statuses = [500, 503]
    refer(api)
    dispatcher = build_dispatcher(svc)

    for _ in range(3):
        dispatcher.run()
        current = rows(svc)[0]
        if current.next_attempt_at is not None:
            clock.set(current.next_attempt_at)

    assert [r.headers["Idempotency-Key"] for r in partner_at.requests] == [
        f"caseway-outbox-{current.id}"
    ] * 3
    assert (current.status, current.attempts) == ("sent", 3)
    delivered = Counter(json.loads(r.body)["referral_id"] for r in partner_at.requests[2:])
    assert delivered == {"CASE-9-housing-1a2b3c4d": 1}  # one 2xx per referral id


def test_a_4xx_fails_without_retry_but_429_is_retried(api, svc, partner_at):
    partner_at.statuses = [429, 422]
    refer(api)
    dispatcher = build_dispatcher(svc)

    dispatcher.run()
    assert rows(svc)[0].status == "pending"
    svc.clock.advance(minutes=1)  # type: ignore[attr-defined]
    dispatcher.run()

    failed = rows(svc)[0]
    assert failed.status == "failed" and failed.last_error.startswith("HTTP 422")


def test_a_slow_receiver_is_cut_at_the_timeout(api, svc, partner_at):
    partner_at.delay = 1.5
    refer(api)
    quick = replace(svc, settings=replace(svc.settings, webhook_timeout_seconds=0.3))

    build_dispatcher(quick).run()

    waiting = rows(svc)[0]
    assert waiting.status == "pending" and "no answer within 0.3 s" in waiting.last_error


def test_a_partner_missing_from_the_directory_is_no_channel(api, svc, partner_at):
    refer(api, partner="legal_clinic", need="legal")

    build_dispatcher(svc).run()

    (queued,) = rows(svc)
    assert queued.status == "no_channel" and partner_at.requests == []
    assert "no active partner 'legal_clinic'" in queued.last_error


def test_the_signature_helper_refuses_tampering_and_stale_timestamps():
    body = b'{"referral_id":"R-1"}'
    header = sign(SECRET, body, 1_800_000_000)

    assert verify_signature(SECRET, header, body, now=1_800_000_010)
    assert not verify_signature(SECRET, header, body + b" ", now=1_800_000_010)
    assert not verify_signature("whsec_other", header, body, now=1_800_000_010)
    assert not verify_signature(SECRET, header, body, tolerance=300, now=1_800_000_400)
    assert not verify_signature(SECRET, "t=abc,v1=00", body)
