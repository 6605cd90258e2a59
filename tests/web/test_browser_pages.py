"""Every page, as each role sees it, on a desktop and on a phone, in English and in French:
axe-core finds no serious or critical WCAG 2.0/2.1 A/AA violation, nothing scrolls sideways on a
phone, and no script fails. Screenshots go to $CASEWAY_SCREENSHOTS when it is set."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.api.helpers import WORKFLOWS, open_task, start, upload_bytes
from tests.web.browser import (
    DESKTOP,
    PHONE,
    assert_accessible,
    fits_the_screen,
    sign_in_with_keyboard,
    snapshot,
)
from tests.web.conftest import PASSWORD

pytestmark = pytest.mark.browser

VIEWS = {
    "desktop-en": (DESKTOP, "en-CA"),
    "phone-en": (PHONE, "en-CA"),
    "desktop-fr": (DESKTOP, "fr-CA"),
}
READY = {"/tasks/": "#diagram[data-ready]", "/versions/": "#diagram[data-ready]"}


@pytest.fixture(params=list(VIEWS))
def view(request: pytest.FixtureRequest, chromium: Any, server: str) -> Iterator[Any]:
    viewport, locale = VIEWS[request.param]
    context = chromium.new_context(
        base_url=server,
        viewport=viewport,
        locale=locale,
        extra_http_headers={"Accept-Language": locale},
        is_mobile=viewport is PHONE,
    )
    page = context.new_page()
    page.js_errors = []
    page.on("pageerror", lambda exc: page.js_errors.append(str(exc)))
    page.view_name = request.param
    yield page
    context.close()


@pytest.fixture
def case(api, deployed) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    instance = start(api.as_("casey"), "discretionary_benefit", "CASE-1").json
    task = open_task(instance, "record_request")
    api.as_("casey").post(f"/api/tasks/{task['id']}/claim")
    start(api.as_("casey"), "discretionary_benefit", "CASE-2")
    changed = (
        (WORKFLOWS.parent / "tests" / "fixtures" / "discretionary_benefit.bpmn")
        .read_bytes()
        .replace(b"Record the benefit request", b"Record the request")
    )
    upload_bytes(api.as_("dana"), "discretionary_benefit.bpmn", changed)
    return task


def _visit(page: Any, paths: list[str], role: str) -> None:
    for path in paths:
        page.goto(path)
        for marker, selector in READY.items():
            if marker in path:
                page.wait_for_selector(selector)
        if path.startswith("/modeler"):
            page.wait_for_selector("#canvas[data-ready]")
        where = f"{role} {path} ({page.view_name})"
        assert_accessible(page, where)
        if page.view_name.startswith("phone"):
            assert fits_the_screen(page), f"{where} scrolls sideways"
        name = path.strip("/").replace("/", "-").replace("?", "-").replace("=", "-") or "home"
        snapshot(page, f"{page.view_name}-{role}-{name}")
    assert not page.js_errors, page.js_errors


def test_pages_before_signing_in(view, passwords):
    _visit(view, ["/", "/login"], "visitor")
    view.fill("#username", "casey")
    view.fill("#password", "wrong-password")
    view.locator("form button[type=submit]").click()
    assert_accessible(view, f"login error ({view.view_name})")


def test_caseworker_pages(view, case, passwords):
    sign_in_with_keyboard(view, "casey", PASSWORD)
    paths = ["/inbox", "/inbox?tab=caseworker", f"/tasks/{case['id']}", "/definitions", "/nope"]
    _visit(view, paths[:3], "caseworker")
    view.goto(paths[3])  # another role's page: a 403 page
    assert_accessible(view, f"403 page ({view.view_name})")
    view.goto("/tasks/unknown")
    assert_accessible(view, f"404 page ({view.view_name})")


def test_supervisor_pages(view, case, passwords):
    sign_in_with_keyboard(view, "sam", PASSWORD)
    paths = [
        "/team",
        "/team/casey",
        "/queues",
        "/queues/caseworker",
        "/standards",
        "/absences",
        f"/tasks/{case['id']}",
    ]
    _visit(view, paths, "supervisor")


def test_designer_pages(view, case, passwords):
    sign_in_with_keyboard(view, "dana", PASSWORD)
    paths = [
        "/definitions",
        "/definitions/discretionary_benefit/versions/1",
        "/modeler",
        "/modeler/discretionary_benefit/2",
        "/definitions/discretionary_benefit/migrate?from=1&to=2",
    ]
    _visit(view, paths, "designer")
