"""The dispatcher drains the outbox to a real SMTP server: once, with backoff, in the client's
language, with the configured standards; safe contact and missing channels stay visible."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.config import SmtpSettings
from engine.delivery.dispatcher import backoff
from engine.delivery.wiring import build_dispatcher, notice_templates
from engine.services import Services
from engine.store.models import Letter, StaffNotification
from tests.delivery.helpers import deploy_notify, queue_notice, row, rows


@pytest.fixture
def deployed(api):  # type: ignore[no-untyped-def]
    deploy_notify(api)


def test_an_email_notice_reaches_the_smtp_server_exactly_once(
    api, svc, deployed, dispatcher, smtp_sink
):
    queue_notice(api, "CASE-1")
    (queued,) = rows(svc)

    assert dispatcher.run() == 1
    assert dispatcher.run() == 0

    (mail,) = smtp_sink.received
    assert mail["To"] == "marie@example.org"
    assert mail["Message-ID"] == f"<caseway-outbox-{queued.id}@caseway.invalid>"
    assert mail["Subject"] == "Your discretionary benefit request: approved"
    done = row(svc, queued.id)
    assert (done.status, done.attempts, done.language) == ("sent", 1, "en")
    assert done.sent_at == svc.clock.now() and done.provider_id == mail["Message-ID"]


def test_an_unreachable_smtp_server_does_not_touch_the_step_and_is_retried(
    api, svc, clock, deployed, smtp_sink
):
    down = replace(svc.settings, smtp=SmtpSettings.from_url("smtp://127.0.0.1:9"))
    dispatcher = build_dispatcher(replace_settings(svc, down))
    instance_id = queue_notice(api, "CASE-2")  # the step completed; the row is committed
    (queued,) = rows(svc)

    dispatcher.run()

    waiting = row(svc, queued.id)
    assert waiting.instance_id == instance_id
    assert (waiting.status, waiting.attempts) == ("pending", 1)
    assert waiting.next_attempt_at == clock.now() + timedelta(minutes=1)
    assert "SMTP 127.0.0.1:9" in (waiting.last_error or "")
    assert dispatcher.run() == 0  # not due before its backoff

    clock.advance(minutes=1)
    assert build_dispatcher(svc).run() == 1
    assert row(svc, queued.id).status == "sent" and len(smtp_sink.received) == 1


def test_backoff_doubles_from_one_minute_and_stops_at_an_hour():
    assert [backoff(n) // timedelta(minutes=1) for n in range(1, 9)] == [
        1, 2, 4, 8, 16, 32, 60, 60,
    ]  # fmt: skip


def test_a_message_fails_after_the_configured_attempts(api, svc, clock, deployed):
    down = replace(svc.settings, smtp=SmtpSettings.from_url("smtp://127.0.0.1:9"))
    dispatcher = build_dispatcher(replace_settings(svc, down))
    queue_notice(api, "CASE-3")
    (queued,) = rows(svc)

    seen = []
    for _ in range(svc.settings.outbox_max_attempts):
        dispatcher.run()
        current = row(svc, queued.id)
        seen.append(current.status)
        if current.next_attempt_at is not None:
            clock.set(current.next_attempt_at)

    assert seen == ["pending", "pending", "pending", "failed"]
    failed = row(svc, queued.id)
    assert failed.attempts == 4 and "gave up after 4 attempts" in (failed.last_error or "")


def test_a_french_speaking_client_gets_every_shipped_notice_in_french(
    api, svc, deployed, dispatcher, smtp_sink
):
    templates = notice_templates(svc)
    kinds = sorted(templates.kinds())
    for number, kind in enumerate(kinds):
        queue_notice(
            api,
            f"CASE-FR-{number}",
            notice=kind,
            data=templates.sample(kind),
            client={"preferred_language": "fr"},
        )

    dispatcher.run()

    assert len(smtp_sink.received) == len(kinds) >= 13
    for kind, mail in zip(kinds, smtp_sink.received, strict=True):
        assert mail["Content-Language"] == "fr", kind
        body = mail.get_content()
        assert "Bonjour" in body or "dossier" in body or "Aiguillage" in mail["Subject"], kind
        assert "Dear " not in body, kind


def test_texts_follow_the_overridden_standards(api, svc, clock, deployed, tmp_path, smtp_sink):
    config = tmp_path / "standards.json"
    config.write_text(json.dumps({"internal_review_request_days": 45}))
    local = Services.build(replace(svc.settings, standards_config=config), clock=clock)
    queue_notice(api, "CASE-4", data={"approved": False, "amount": 480, "purpose": "dental"})

    build_dispatcher(local).run()
    local.engine.dispose()

    body = smtp_sink.received[0].get_content()
    assert "within 45 days of receiving it: by February 18, 2027" in body
    assert "30 days of receiving" not in body


def test_a_refused_discretionary_benefit_says_decision_amount_and_review_right(
    api, svc, deployed, dispatcher, smtp_sink
):
    queue_notice(api, "CASE-5", data={"approved": False, "amount": 480, "purpose": "dental"})

    dispatcher.run()

    (mail,) = smtp_sink.received
    body = mail.get_content()
    assert mail["Subject"] == "Your discretionary benefit request: not approved"
    assert "$480.00 for dental care is not approved" in body
    assert "internal review within 30 days of receiving it: by February 3, 2027" in body


def test_an_interpreter_line_is_added_when_the_client_needs_one(
    api, svc, deployed, dispatcher, smtp_sink
):
    queue_notice(api, "CASE-6", client={"interpreter_needed": True, "preferred_language": "fr"})

    dispatcher.run()

    assert "besoin d'un interprète" in smtp_sink.received[0].get_content()


def test_a_letter_is_a_pdf_on_the_print_list(api, svc, deployed, dispatcher):
    queue_notice(api, "CASE-7", channel="mail", client={"preferred_language": "fr"})
    (queued,) = rows(svc)

    dispatcher.run()

    with svc.sessions() as session:
        letter = session.get(Letter, queued.id)
        assert letter is not None
        assert letter.pdf.startswith(b"%PDF") and letter.language == "fr"
        assert letter.address == "12 rue Principale\nSudbury\nP3A 1A1"
    assert row(svc, queued.id).status == "sent"


def test_a_safe_contact_client_gets_no_letter_and_the_caseworkers_a_phone_task(
    api, svc, staff, deployed, dispatcher
):
    queue_notice(api, "CASE-8", channel="mail", client={"safe_contact": True})
    (queued,) = rows(svc)

    dispatcher.run()

    done = row(svc, queued.id)
    assert done.status == "no_channel" and "safe contact" in (done.last_error or "")
    with svc.sessions() as session:
        assert session.get(Letter, queued.id) is None
        notes = session.scalars(select(StaffNotification).order_by(StaffNotification.username))
        assert [(n.username, n.outbox_id) for n in notes] == [
            ("casey", queued.id),
            ("cole", queued.id),
        ]


def test_sms_without_a_provider_is_no_channel(api, svc, deployed, dispatcher):
    queue_notice(api, "CASE-9", channel="sms")
    (queued,) = rows(svc)

    dispatcher.run()

    done = row(svc, queued.id)
    assert done.status == "no_channel"
    assert done.last_error == "no sms provider is configured"


def test_sms_goes_to_a_twilio_compatible_provider(api, svc, deployed, receiver):
    from engine.config import SmsSettings

    sms = SmsSettings(receiver.url, "+17055550000", "AC1", "token")
    queue_notice(api, "CASE-10", channel="sms")

    build_dispatcher(replace_settings(svc, replace(svc.settings, sms=sms))).run()

    (request,) = receiver.requests
    form = dict(pair.split("=", 1) for pair in request.body.decode().split("&"))
    assert form["To"] == "%2B17055550100" and form["From"] == "%2B17055550000"
    assert request.headers["Authorization"].startswith("Basic ")
    assert rows(svc)[0].provider_id == "SM123"


def test_a_staff_reminder_without_an_email_lands_in_the_bell(api, svc, staff, deployed):
    from engine.delivery.bell import unread_count

    queue_notice(
        api,
        "CASE-11",
        channel="staff",
        notice="callback_reminder",
        data={"client_name": "Pat Doe", "reason": "Cheque"},
        client={"name": "cole"},
    )

    build_dispatcher(svc).run()

    with svc.sessions() as session:
        assert unread_count(session, "cole") == 1
        assert unread_count(session, "casey") == 0


def replace_settings(svc: Services, settings):  # type: ignore[no-untyped-def]
    """The same database and clock, other delivery settings (a second process, in effect)."""
    return replace(svc, settings=settings)
