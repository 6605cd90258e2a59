"""Fixtures for the web pages: a signed-in test client per user, and (for the browser tests) a
live server in a thread plus Debian's Chromium driven by Playwright."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from engine.identity.users import set_password
from engine.services import Services
from engine.store.db import transaction
from tests.api.helpers import WORKFLOWS, upload
from tests.web.browser import DESKTOP, launch, live_server

PASSWORD = "correct-horse-battery"
FAST_HASH = "pbkdf2:sha256:1000"  # tests only: production uses werkzeug's default (scrypt)


@pytest.fixture
def passwords(svc: Services, staff: dict[str, str]) -> str:
    with transaction(svc.sessions) as session:
        for username in staff:
            set_password(session, username, PASSWORD, method=FAST_HASH)
    return PASSWORD


class WebClient:
    """A browser-like test client: signs in through the login form, sends the CSRF token."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def login(self, username: str, password: str = PASSWORD) -> Any:
        self.client.get("/login")
        return self.client.post(
            "/login",
            data={"username": username, "password": password, "csrf_token": self.token()},
        )

    def token(self) -> str:
        with self.client.session_transaction() as session:
            return str(session.get("csrf_token", ""))

    def get(self, path: str, **kw: Any) -> Any:
        return self.client.get(path, **kw)

    def post(self, path: str, data: dict | None = None, *, csrf: bool = True, **kw: Any) -> Any:
        body = dict(data or {})
        if csrf:
            body.setdefault("csrf_token", self.token())
        return self.client.post(path, data=body, **kw)


@pytest.fixture
def web(app, passwords: str) -> Iterator[WebClient]:  # type: ignore[no-untyped-def]
    with app.test_client() as client:
        yield WebClient(client)


@pytest.fixture
def deployed(api) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    response = upload(
        api.as_("dana"), WORKFLOWS.parent / "tests" / "fixtures" / "discretionary_benefit.bpmn"
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


@pytest.fixture
def server(app) -> Iterator[str]:  # type: ignore[no-untyped-def]
    with live_server(app) as url:
        yield url


@pytest.fixture
def browser_page(chromium: Any, server: str) -> Iterator[Any]:
    """A fresh desktop browser context (no cookies) with the server's base URL."""
    context = chromium.new_context(base_url=server, viewport=DESKTOP, locale="en-CA")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors
    yield page
    context.close()
