"""The case journey in Chromium, in English and in French: an intake worker opens a case from the
browser, a caseworker finds it by the client's name typed without its accent, reads one
timeline from intake through the needs assessment to the referrals, adds a note and a document,
and a supervisor closes it. axe-core checks every new page state; the phone layout never
scrolls sideways."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.web.browser import (
    PHONE,
    assert_accessible,
    fits_the_screen,
    sign_in_with_keyboard,
    snapshot,
    tab_to,
)
from tests.web.conftest import PASSWORD
from tests.workflows.helpers import deploy
from tests.workflows.test_intake import REACHED_URGENT
from tests.workflows.test_needs_assessment import ASSESSED, PLAN

pytestmark = pytest.mark.browser

WORDS = {
    "en": {
        "new": "New case",
        "intake": "Municipal intake",
        "open": "Open the case",
        "opened": "is open.",
        "found": "1 case found",
        "started": "Started: Municipal intake",
        "needs": "Started: Needs assessment and service plan",
        "referral": "Started: Warm referral to a partner",
        "label": "Applicant › Legal name",
        "language": "Applicant › Preferred language",
        "language_value": "French",
        "note_saved": "Your note is saved.",
        "attached": "The file is attached.",
        "close": "Close the case",
        "closed": "The case is closed.",
        "status_closed": "Closed",
        "required": "This field is required.",
    },
    "fr": {
        "new": "Nouveau dossier",
        "intake": "Accueil municipal",
        "open": "Ouvrir le dossier",
        "opened": "est ouvert.",
        "found": "1 dossier trouvé",
        "started": "Démarré : Accueil municipal",
        "needs": "Démarré : Évaluation des besoins et plan de services",
        "referral": "Démarré : Aiguillage accompagné vers un partenaire",
        "label": "Requérant › Nom légal",
        "language": "Requérant › Langue préférée",
        "language_value": "Français",
        "note_saved": "Votre note est enregistrée.",
        "attached": "Le fichier est joint.",
        "close": "Fermer le dossier",
        "closed": "Le dossier est fermé.",
        "status_closed": "Fermé",
        "required": "Ce champ est obligatoire.",
    },
}
APPLICANT = {
    "name": "Marie-Ève Tremblay",
    "date_of_birth": "1984-02-29",
    "phone": "705-555-0199",
    "street_address": "12 Elm Street",
    "municipality": "Greater Sudbury",
    "postal_code": "P3A 1A1",
    "preferred_language": "fr",
}
NO_CONTACT = {"name": "No Contact", "date_of_birth": "1980-01-01", "preferred_language": "en"}
GRANTED = {
    "local_decision": "granted",
    "monthly_amount": 410,
    "decision_explanation": "Temporary Care Assistance for your grandchild.",
}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _work(api: Any, user: str, key: str, name: str, data: dict) -> None:
    """`user` claims (unless it is theirs) and completes the case's open task `name`."""
    items = api.as_("ada").get(f"/api/tasks?case={key}").json["items"]
    (task,) = [t for t in items if t["task_name"] == name]
    client = api.as_(user)
    if task["assignee"] is None:
        assert client.post(f"/api/tasks/{task['id']}/claim").status_code == 200
    done = client.post(f"/api/tasks/{task['id']}/complete", json={"data": data})
    assert done.status_code == 200, done.json


def _sign_out(page: Any) -> None:
    page.context.clear_cookies()


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_case_from_intake_to_closing(chromium, server, api, passwords, lang):
    words = WORDS[lang]
    deploy(
        api,
        "intake.bpmn",
        "needs_assessment.bpmn",
        "warm_referral.bpmn",
        "service_plan_review.bpmn",
    )
    context = chromium.new_context(base_url=server, locale="fr-CA" if lang == "fr" else "en-CA")
    page = context.new_page()

    # The intake worker opens the case from the browser.
    sign_in_with_keyboard(page, "ira", PASSWORD)
    page.get_by_role("link", name=words["new"]).click()
    assert_accessible(page, f"new case, choose ({lang})")
    page.get_by_role("link", name=words["intake"]).click()
    assert_accessible(page, f"new case form ({lang})")
    page.fill("#field-client-date_of_birth", "1984-02-29")
    page.get_by_role("button", name=words["open"]).click()
    expect(page.locator("#field-client-name-error")).to_contain_text(words["required"])
    expect(page.locator("#field-client-date_of_birth")).to_have_value("1984-02-29")
    assert_accessible(page, f"new case with errors ({lang})")
    page.fill("#field-client-name", "Marie-Ève Tremblay")
    page.select_option("#field-client-preferred_language", "fr")
    page.fill("#field-client-phone", "705-555-0199")
    page.select_option("#field-channel", "in_person")
    page.get_by_role("button", name=words["open"]).click()
    expect(page.locator(".flash-success")).to_contain_text(words["opened"])
    key = page.locator("#case-key").inner_text()
    page.wait_for_selector(".case-diagram[data-ready=true]")
    assert page.locator(".case-diagram .cw-current").count() >= 1
    assert_accessible(page, f"new case page ({lang})")
    snapshot(page, f"case-opened-{lang}")

    # The case goes through intake, the needs assessment and its referrals.
    _work(
        api,
        "ira",
        key,
        "record_application",
        {"applicant": APPLICANT, "request": "temporary_care", "urgent_need": "none"},
    )
    reached = {**REACHED_URGENT, "urgent_need_flagged": False, "urgent_need": "none"}
    _work(api, "ira", key, "contact_applicant", reached)
    _work(api, "casey", key, "decide_local", GRANTED)
    _work(api, "casey", key, "assess_needs", ASSESSED)
    _work(api, "casey", key, "build_plan", PLAN)

    # A caseworker finds it without typing the accent and reads one timeline.
    _sign_out(page)
    sign_in_with_keyboard(page, "casey", PASSWORD)
    tab_to(page, "#case-find-q")
    page.keyboard.type("Marie-Eve")
    page.keyboard.press("Enter")
    expect(page.locator("#search-count")).to_contain_text(words["found"])
    assert_accessible(page, f"search results ({lang})")
    page.get_by_role("link", name=key).click()
    timeline = page.locator("#timeline")
    for text in (words["started"], words["needs"], words["referral"], words["label"]):
        expect(timeline).to_contain_text(text)
    language = timeline.locator("dt", has_text=words["language"]).first
    expect(language.locator("xpath=following-sibling::dd[1]")).to_have_text(words["language_value"])
    texts = timeline.locator("> li strong").all_inner_texts()
    assert (
        texts.index(words["referral"]) < texts.index(words["needs"]) < texts.index(words["started"])
    )  # newest first
    page.fill("#note-body", "Client prefers calls after 3 pm.")
    page.locator("#notes form button").click()
    expect(page.locator(".flash-success")).to_have_text(words["note_saved"])
    page.set_input_files(
        "#attachment-file", {"name": "lease.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    page.locator("#attachments form button").click()
    expect(page.locator(".flash-success")).to_have_text(words["attached"])
    expect(page.locator("#attachments")).to_contain_text("lease.pdf")
    expect(page.locator("#notes")).to_contain_text("Client prefers calls after 3 pm.")
    # As the case's owner she may close it only as withdrawn or unreachable; no transfer.
    reasons = page.locator("#close-reason option").evaluate_all("els => els.map(e => e.value)")
    assert sorted(reasons) == ["unreachable", "withdrawn"]
    assert page.locator("#transfer-office").count() == 0
    page.wait_for_selector(".case-diagram[data-ready=true]")
    assert_accessible(page, f"case page with notes ({lang})")
    page.set_viewport_size(PHONE)
    assert fits_the_screen(page), "the case page scrolls sideways on a phone"
    assert_accessible(page, f"case page on a phone ({lang})")
    snapshot(page, f"case-phone-{lang}")

    # A supervisor closes it.
    _sign_out(page)
    sign_in_with_keyboard(page, "sam", PASSWORD)
    page.goto(f"/cases/{key}")
    page.select_option("#close-reason", "completed")
    page.get_by_role("button", name=words["close"]).click()
    expect(page.locator(".flash-success")).to_have_text(words["closed"])
    expect(page.locator("#case-status")).to_have_text(words["status_closed"])
    assert_accessible(page, f"closed case ({lang})")
    context.close()


def test_the_incidents_pages_are_accessible_on_a_phone(chromium, server, api, passwords):
    deploy(api, "intake.bpmn")
    opened = (
        api.as_("ira")
        .post(
            "/api/cases",
            json={
                "process_id": "intake",
                "key": "C-40",
                "client": {"name": "No Contact"},
                "data": {"channel": "in_person"},
            },
        )
        .json
    )
    _work(
        api,
        "ira",
        "C-40",
        "record_application",
        {"applicant": NO_CONTACT, "request": "temporary_care", "urgent_need": "none"},
    )
    context = chromium.new_context(base_url=server, viewport=PHONE, locale="en-CA")
    page = context.new_page()
    sign_in_with_keyboard(page, "sam", PASSWORD)
    page.goto("/incidents")
    expect(page.locator("#incident-count")).to_contain_text("1 case is stopped")
    assert fits_the_screen(page)
    assert_accessible(page, "incidents")
    page.goto(f"/incidents/{opened['instance_id']}")
    page.fill("#data-json", "{oops")
    page.get_by_role("button", name="Save and run the step again").click()
    expect(page.locator("#data-json-error")).to_be_visible()
    assert fits_the_screen(page)
    assert_accessible(page, "incident editor with an error")
    context.close()
