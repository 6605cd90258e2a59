"""Delivery pages: the undelivered list with its actions, the letters to print, the bell and
the partner directory, in English and French."""

from __future__ import annotations

import re

from engine.store.db import transaction
from engine.store.models import Letter, OutboxEntry, StaffNotification
from tests.web.conftest import WebClient


def _text(response) -> str:  # type: ignore[no-untyped-def]
    return re.sub(r"\s+", " ", response.data.decode())


def _failed(svc) -> int:  # type: ignore[no-untyped-def]
    with transaction(svc.sessions) as session:
        row = OutboxEntry(
            instance_id="i-1",
            channel="mail",
            recipient="Pat Doe",
            subject="Your service plan",
            body="",
            payload_json="{}",
            created_at=svc.clock.now(),
            office="sudbury",
            status="no_channel",
            last_error="the client has no address for mail",
        )
        session.add(row)
        session.flush()
        return row.id


def test_the_undelivered_list_sends_again_and_records_handled(web: WebClient, svc):
    first, second = _failed(svc), _failed(svc)
    web.login("sam")

    page = _text(web.get("/undelivered"))
    assert "Your service plan" in page and "the client has no address for mail" in page

    web.post(f"/undelivered/{first}/retry")
    web.post(f"/undelivered/{second}/handled", {"note": "Called Pat on Monday"})

    with svc.sessions() as session:
        assert session.get(OutboxEntry, first).status == "pending"
        handled = session.get(OutboxEntry, second)
        assert (handled.status, handled.handled_note) == ("handled", "Called Pat on Monday")
    assert "Everything was delivered." in _text(web.get("/undelivered"))


def test_a_caseworker_does_not_see_the_undelivered_list(web: WebClient):
    web.login("casey")
    assert web.get("/undelivered").status_code == 403


def test_the_daily_letters_are_listed_and_downloadable(web: WebClient, svc):
    outbox_id = _failed(svc)
    with transaction(svc.sessions) as session:
        session.add(
            Letter(
                outbox_id=outbox_id,
                office="sudbury",
                recipient="Pat Doe",
                address="1 Elm St\nSudbury",
                language="fr",
                pdf=b"%PDF-1.4 test",
                created_at=svc.clock.now(),
            )
        )
    web.login("sam")

    page = _text(web.get("/letters?day=2027-01-04"))
    assert "Pat Doe" in page and "1 Elm St, Sudbury" in page
    assert web.get(f"/letters/{outbox_id}.pdf").data == b"%PDF-1.4 test"
    web.post("/letters/printed", {"outbox_id": str(outbox_id), "day": "2027-01-04"})
    assert "Printed by sam" in _text(web.get("/letters?day=2027-01-04"))


def test_the_bell_counts_unread_notifications_until_read(web: WebClient, svc):
    with transaction(svc.sessions) as session:
        session.add(
            StaffNotification(
                username="casey",
                office="sudbury",
                subject="Call back due tomorrow: Pat Doe",
                body="About the cheque",
                created_at=svc.clock.now(),
            )
        )
    web.login("casey")

    assert '<span class="badge">1</span>' in _text(web.get("/notifications"))
    web.post("/notifications/read", {})
    page = _text(web.get("/notifications"))
    assert '<span class="badge">' not in page and "Call back due tomorrow" in page


def test_a_supervisor_adds_a_partner_and_sees_the_secret_once(web: WebClient):
    web.login("sam")

    page = _text(
        web.post(
            "/partners/new",
            {
                "key": "food_bank",
                "name": "Sudbury Food Bank",
                "services": "food_security",
                "languages": "fr",
                "contact_email": "intake@foodbank.example",
                "active": "1",
            },
        )
    )

    assert "whsec_" in page
    listing = _text(web.get("/partners"))
    assert "Sudbury Food Bank" in listing and "whsec_" not in listing


def test_the_pages_speak_french(web: WebClient, svc):
    _failed(svc)
    web.login("sam")
    web.post("/language", {"lang": "fr", "next": "/undelivered"})

    page = _text(web.get("/undelivered"))

    assert "Messages non remis" in page and "Renvoyer" in page
