"""A designer in Chromium: edit a deployed diagram with the keyboard (rename a task, add a
deadline timer), see the server's validation errors on the canvas, deploy v2, view it read-only,
move the running case to v2; and every shipped workflow opens in bpmn-js without warnings."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.api.helpers import WORKFLOWS, start
from tests.web.browser import assert_accessible, sign_in_with_keyboard, snapshot, tab_to
from tests.web.conftest import PASSWORD

pytestmark = pytest.mark.browser


def _open_modeler(page, path: str) -> None:
    page.goto(path)
    page.wait_for_selector("#canvas[data-ready=true]")


def test_edit_with_the_keyboard_validate_and_deploy_v2(browser_page, api, deployed, passwords):
    page = browser_page
    case = start(api.as_("casey"), "discretionary_benefit").json["id"]
    sign_in_with_keyboard(page, "dana", PASSWORD)
    expect(page.locator("h1")).to_have_text("Process definitions")
    assert_accessible(page, "definitions")
    snapshot(page, "designer-definitions")
    tab_to(page, "a[href='/modeler/discretionary_benefit/1']")
    page.keyboard.press("Enter")
    page.wait_for_selector("#canvas[data-ready=true]")
    assert page.locator("#canvas").get_attribute("data-warnings") == "0"
    assert_accessible(page, "modeler")

    tab_to(page, "#element-list")
    page.keyboard.type("Record the benefit")
    expect(page.locator("#prop-name")).to_have_value("Record the benefit request")
    tab_to(page, "#prop-name")
    page.keyboard.press("Control+A")
    page.keyboard.type("Record the client's request")
    tab_to(page, "#properties button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.locator("#status")).to_have_text("Changes applied to record_request.")
    tab_to(page, "#properties button[data-action=add-timer]")
    page.keyboard.press("Enter")
    expect(page.locator("#status")).to_contain_text("Added")
    expect(page.locator("#prop-timer-value")).to_have_value("business_days(2)")
    tab_to(page, "#validate")
    page.keyboard.press("Enter")
    expect(page.locator("#status")).to_have_text("The diagram is valid: discretionary_benefit.")
    assert_accessible(page, "modeler after validating")
    snapshot(page, "designer-modeler")
    tab_to(page, "#deploy")
    page.keyboard.press("Enter")

    expect(page.locator("#status")).to_have_text("Deployed discretionary_benefit version 2.")
    xml = api.as_("dana").get("/api/definitions/discretionary_benefit/versions/2/xml").data
    assert b"Record the client&#39;s request" in xml or b"Record the client's request" in xml
    assert b"business_days(2)" in xml
    page.goto("/definitions/discretionary_benefit/versions/2")
    page.wait_for_selector("#diagram[data-ready=true]")
    assert_accessible(page, "read-only viewer")
    snapshot(page, "designer-viewer")
    page.goto("/definitions/discretionary_benefit/migrate?from=1&to=2")
    expect(page.locator("#result-heading")).to_have_text("Dry run: v1 → v2")
    movable = page.locator("table").last
    expect(movable).to_contain_text(case)  # the new deadline no longer blocks the move:
    expect(movable).to_contain_text("New deadlines and events start at the move: record_request")
    assert_accessible(page, "migration dry run")
    snapshot(page, "designer-migrate")


def test_server_errors_are_listed_and_marked_on_the_canvas(browser_page, api, deployed, passwords):
    page = browser_page
    sign_in_with_keyboard(page, "dana", PASSWORD)
    _open_modeler(page, "/modeler/discretionary_benefit/1")
    page.select_option("#element-list", "record_request")
    page.fill("#prop-form-key", "no_such_form")
    page.click("#properties button[type=submit]")

    page.click("#validate")

    expect(page.locator("#problems li")).to_contain_text("record_request: form 'no_such_form'")
    marked = page.locator("g.djs-element.cw-error[data-element-id=record_request]")
    expect(marked).to_have_count(1)
    assert_accessible(page, "modeler with problems")
    page.locator("#problems button").first.click()
    expect(page.locator("#prop-form-key")).to_have_value("no_such_form")


def test_the_modeler_replays_past_cases_through_the_edited_diagram(
    browser_page, api, deployed, passwords
):
    for n in range(2):
        start(api.as_("casey"), "discretionary_benefit", f"WHATIF-{n}")
    page = browser_page
    sign_in_with_keyboard(page, "dana", PASSWORD)
    _open_modeler(page, "/modeler/discretionary_benefit/1")
    page.select_option("#element-list", "record_request")
    page.fill("#prop-name", "Record the request (new wording)")
    page.click("#properties button[type=submit]")

    page.get_by_role("button", name="What would this change? (replay past cases)").click()

    expect(page.locator("h2").first).to_have_text("2 cases replayed")
    expect(page.locator("#whatif-tasks")).to_contain_text("Record the request (new wording)")
    assert_accessible(page, "what-if report")


def test_a_new_diagram_deploys_from_the_browser(browser_page, passwords):
    page = browser_page
    sign_in_with_keyboard(page, "dana", PASSWORD)
    _open_modeler(page, "/modeler")
    page.select_option("#element-list", "Participant_new_process")
    page.fill("#prop-process-id", "callback_trial")
    page.fill("#prop-process-name", "Call-back trial")
    page.click("#properties button[type=submit]")
    page.select_option("#element-list", "Participant_new_process")
    page.click("#properties button[data-action=add-lane]")
    expect(page.locator("#status")).to_contain_text("Added")

    page.click("#deploy")

    expect(page.locator("#status")).to_have_text("Deployed callback_trial version 1.")


@pytest.mark.parametrize("diagram", sorted(WORKFLOWS.glob("*.bpmn")), ids=lambda p: p.name)
def test_every_shipped_workflow_opens_without_import_warnings(browser_page, passwords, diagram):
    page = browser_page
    sign_in_with_keyboard(page, "dana", PASSWORD)
    _open_modeler(page, "/modeler")

    warnings = page.evaluate(
        "async (xml) => (await window.cwModeler.importXML(xml)).warnings.map(w => w.message)",
        diagram.read_text(encoding="utf-8"),
    )

    assert warnings == []
