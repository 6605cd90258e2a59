"""A caseworker's day in Chromium: sign in, claim, fill a form with an error, fix it, complete —
with the keyboard alone, on a desktop and on a phone, in English and in French; axe-core checks
every page on the way."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.api.helpers import open_task, start
from tests.web.browser import (
    PHONE,
    assert_accessible,
    fits_the_screen,
    sign_in_with_keyboard,
    snapshot,
    tab_to,
)
from tests.web.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_claim_fill_fix_and_complete_with_the_keyboard(browser_page, api, deployed, passwords):
    page = browser_page
    instance = start(api.as_("casey"), "discretionary_benefit", "CASE-7").json
    task = open_task(instance, "record_request")

    sign_in_with_keyboard(page, "casey", PASSWORD)
    expect(page.locator("h1")).to_have_text("Inbox")
    assert_accessible(page, "inbox")
    tab_to(page, "a[href='/inbox?tab=caseworker']")
    page.keyboard.press("Enter")
    expect(page.locator("#inbox-count")).to_contain_text("1 task")
    assert_accessible(page, "queue tab")
    snapshot(page, "caseworker-queue")
    tab_to(page, f"form[action='/tasks/{task['id']}/claim'] button")
    page.keyboard.press("Enter")

    expect(page.locator(".flash-success")).to_have_text("You claimed the task.")
    page.wait_for_selector("#diagram[data-ready=true]")
    assert page.locator("#diagram .cw-current").count() >= 1  # the current step is highlighted
    assert_accessible(page, "task page")
    tab_to(page, "#field-client_name")
    page.keyboard.type("Ana Silva")
    tab_to(page, "#field-purpose")
    page.keyboard.type("Dental")
    tab_to(page, "#field-amount")
    page.keyboard.type("lots")
    page.keyboard.press("Enter")  # submits the form

    error = page.locator("#field-amount-error")
    expect(error).to_have_text("Error: Enter a number.")
    expect(page.locator("#field-amount")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#field-client_name")).to_have_value("Ana Silva")
    assert_accessible(page, "task page with errors")
    snapshot(page, "caseworker-task-errors")
    tab_to(page, "#field-amount")
    page.keyboard.press("Control+A")
    page.keyboard.type("900")
    tab_to(page, "form[novalidate] button[type=submit]")
    page.keyboard.press("Enter")

    expect(page.locator(".flash-success")).to_contain_text("is completed")
    assert_accessible(page, "inbox after completing")
    instance = api.as_("casey").get(f"/api/instances/{task['instance_id']}").json
    assert instance["data"]["amount"] == 900
    assert not page.js_errors


def test_a_phone_shows_the_inbox_and_the_form_without_sideways_scrolling(
    chromium, server, api, deployed, passwords
):
    context = chromium.new_context(base_url=server, viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        task = open_task(start(api.as_("casey"), "discretionary_benefit").json, "record_request")
        api.as_("casey").post(f"/api/tasks/{task['id']}/claim")
        sign_in_with_keyboard(page, "casey", PASSWORD)

        assert fits_the_screen(page)
        assert_accessible(page, "inbox on a phone")
        snapshot(page, "caseworker-inbox-phone")
        page.get_by_role("link", name="Record the benefit request").click()
        page.wait_for_selector("#diagram[data-ready=true]")
        assert fits_the_screen(page)
        assert_accessible(page, "task on a phone")
        snapshot(page, "caseworker-task-phone")
    finally:
        context.close()


def test_french_from_the_language_button(browser_page, api, deployed, passwords):
    page = browser_page
    task = open_task(start(api.as_("casey"), "discretionary_benefit").json, "record_request")
    sign_in_with_keyboard(page, "casey", PASSWORD)

    tab_to(page, "button[name=lang]")
    page.keyboard.press("Enter")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("h1")).to_have_text("Boîte de réception")
    assert_accessible(page, "inbox in French")
    page.goto(f"/tasks/{task['id']}")

    expect(page.get_by_label("Nom du client")).to_be_visible()
    assert_accessible(page, "task in French")
    snapshot(page, "caseworker-task-fr")
