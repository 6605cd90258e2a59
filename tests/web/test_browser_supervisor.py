"""A supervisor in Chromium: team board, bulk and single reassignment, an absence, the queue
board and the service-standards chart — keyboard-driven where it matters, axe on every page."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from engine.store.db import transaction
from engine.store.models import HumanTask
from tests.api.helpers import open_task, start
from tests.web.browser import assert_accessible, sign_in_with_keyboard, snapshot, tab_to
from tests.web.conftest import PASSWORD

pytestmark = pytest.mark.browser

REQUEST = {"client_name": "Ana", "purpose": "dental", "amount": 100}


def _claimed(api, user: str, key: str) -> dict:
    task = open_task(start(api.as_("casey"), "discretionary_benefit", key).json, "record_request")
    api.as_(user).post(f"/api/tasks/{task['id']}/claim")
    return task


def test_bulk_reassignment_with_the_keyboard(browser_page, api, deployed, passwords):
    page = browser_page
    first = _claimed(api, "casey", "CASE-1")
    second = _claimed(api, "casey", "CASE-2")

    sign_in_with_keyboard(page, "sam", PASSWORD)
    expect(page.locator("h1")).to_have_text("Team")
    assert_accessible(page, "team board")
    snapshot(page, "supervisor-team")
    tab_to(page, "a[href='/team/casey']")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_contain_text("Tasks held by")
    assert_accessible(page, "a worker's tasks")
    for task in (first, second):
        tab_to(page, f"#pick-{task['id']}")
        page.keyboard.press("Space")
    tab_to(page, "#reassign-to")
    page.keyboard.type("cole")
    tab_to(page, "form[action='/reassign'] button[type=submit]")
    page.keyboard.press("Enter")

    expect(page.locator(".flash-success")).to_have_text("2 task(s) reassigned.")
    assert_accessible(page, "after reassigning")
    for task in (first, second):
        assert api.as_("sam").get(f"/api/tasks/{task['id']}").json["assignee"] == "cole"


def test_single_reassignment_from_the_task_page(browser_page, api, deployed, passwords):
    page = browser_page
    task = _claimed(api, "casey", "CASE-1")
    sign_in_with_keyboard(page, "sam", PASSWORD)
    page.goto(f"/tasks/{task['id']}")
    page.wait_for_selector("#diagram[data-ready=true]")

    tab_to(page, "#assign-user")
    page.keyboard.type("cole")
    tab_to(page, f"form[action='/tasks/{task['id']}/assign'] button")
    page.keyboard.press("Enter")

    expect(page.locator(".flash-success")).to_have_text("The task was reassigned.")
    expect(page.locator(".case-head")).to_contain_text("cole")
    assert_accessible(page, "task page as a supervisor")


def test_an_absence_queue_board_and_report(browser_page, api, deployed, passwords, clock, svc):
    page = browser_page
    done = _claimed(api, "casey", "CASE-1")
    api.as_("casey").post(f"/api/tasks/{done['id']}/complete", json={"data": REQUEST})
    with transaction(svc.sessions) as session:  # a standard to be measured against: the test
        row = session.get_one(HumanTask, done["id"])  # workflow has no deadline timers
        row.due_at = row.completed_at + timedelta(hours=1)
    waiting = _claimed(api, "casey", "CASE-2")
    start(api.as_("casey"), "discretionary_benefit", "CASE-3")
    sign_in_with_keyboard(page, "sam", PASSWORD)
    office = ZoneInfo("America/Toronto")

    page.goto("/absences")
    assert_accessible(page, "absences")
    page.select_option("#absence-user", "casey")
    page.fill("#absence-start", clock.now().astimezone(office).strftime("%Y-%m-%dT%H:%M"))
    later = clock.now() + timedelta(days=2)
    page.fill("#absence-end", later.astimezone(office).strftime("%Y-%m-%dT%H:%M"))
    page.select_option("#absence-cover", "cole")
    page.select_option("#absence-reason", "training")
    page.get_by_role("button", name="Record the absence").click()

    expect(page.locator(".flash-success")).to_have_text("The absence of casey is recorded.")
    expect(page.locator("table")).to_contain_text("Training")
    assert_accessible(page, "absences with one recorded")
    snapshot(page, "supervisor-absences")
    assert api.as_("sam").get(f"/api/tasks/{waiting['id']}").json["assignee"] == "cole"
    page.goto("/team")
    expect(page.locator("table")).to_contain_text("covered by cole")
    page.goto("/queues")
    expect(page.locator("table")).to_contain_text("Caseworker")
    assert_accessible(page, "queue board")
    snapshot(page, "supervisor-queues")
    page.goto("/standards")
    expect(page.locator("svg.chart")).to_have_count(1)
    assert_accessible(page, "service standards")
    snapshot(page, "supervisor-standards")
