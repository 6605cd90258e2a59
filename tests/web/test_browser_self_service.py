"""A client answers from a phone through a self-service link: no account, their language, an
upload, axe-clean; the second use is refused with the office's phone number."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.self_service.helpers import PDF, case_with_documents_task, deploy
from tests.web.browser import PHONE, assert_accessible

pytestmark = pytest.mark.browser


def test_a_client_sends_documents_from_a_phone_without_signing_in(
    chromium: Any, server: str, api: Any
) -> None:
    deploy(api)
    key, task_id = case_with_documents_task(api)
    url = api.as_("casey").post(f"/api/tasks/{task_id}/client-link", json={}).json["url"]
    path = url[url.index("/s/") :]
    context = chromium.new_context(base_url=server, viewport=PHONE, locale="en-CA")
    page = context.new_page()
    try:
        page.goto(path)
        expect(page.locator("h1")).to_have_text("Envoyer les documents manquants")
        assert_accessible(page, "self-service form on a phone")
        page.get_by_role("button", name="Envoyer").click()
        expect(page.locator("#error-summary")).to_contain_text("Vos documents")
        assert_accessible(page, "self-service form with an error")

        page.set_input_files(
            "#field-files",
            files=[{"name": "releve.pdf", "mimeType": "application/pdf", "buffer": PDF}],
        )
        page.fill("#field-message", "Voici mon relevé bancaire")
        page.get_by_role("button", name="Envoyer").click()

        expect(page.locator("h1")).to_contain_text("nous avons bien reçu votre réponse")
        assert_accessible(page, "self-service answer received")
        page.goto(path)
        expect(page.locator("h1")).to_have_text("Ce lien ne fonctionne plus")
        expect(page.locator("main")).to_contain_text("déjà été utilisé")
        assert_accessible(page, "self-service link used")
    finally:
        context.close()
    task = api.as_("casey").get(f"/api/tasks/{task_id}").json
    assert (task["status"], task["completed_by"]) == ("completed", f"client:{key}")
