"""Signing in and out, where each role lands, CSRF on session posts, and page headers."""

from __future__ import annotations

from sqlalchemy import select

from engine.store.db import transaction
from engine.store.models import User
from tests.api.helpers import open_task, start


def test_each_role_lands_on_its_start_page(web):
    landings = {"casey": "/inbox", "sam": "/team", "dana": "/definitions", "ada": "/inbox"}
    for username, landing in landings.items():
        response = web.login(username)

        assert response.status_code == 302
        assert response.headers["Location"] == landing
        web.post("/logout")


def test_a_wrong_password_is_refused_without_saying_which_part(web):
    wrong = web.login("casey", "not-the-password")
    unknown = web.login("nobody", "not-the-password")

    assert wrong.status_code == unknown.status_code == 401
    assert b"The username or password is not right." in wrong.data
    assert web.get("/inbox").status_code == 302


def test_pages_send_visitors_to_the_login_and_back(web):
    response = web.get("/inbox?tab=caseworker")

    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/inbox?tab%3Dcaseworker"
    web.get(response.headers["Location"])
    back = web.client.post(
        "/login",
        data={
            "username": "casey",
            "password": "correct-horse-battery",
            "next": "/inbox?tab=caseworker",
            "csrf_token": web.token(),
        },
    )
    assert back.headers["Location"] == "/inbox?tab=caseworker"


def test_login_ignores_a_next_that_leaves_the_site(web):
    for target in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        web.get("/login")
        response = web.client.post(
            "/login",
            data={
                "username": "casey",
                "password": "correct-horse-battery",
                "next": target,
                "csrf_token": web.token(),
            },
        )
        assert response.headers["Location"] == "/inbox"
        web.post("/logout")


def test_signing_in_starts_a_new_session_token(web):
    web.get("/login")
    before = web.token()

    web.login("casey")

    assert web.token() and web.token() != before


def test_a_post_without_the_csrf_token_changes_nothing(web, api, deployed):
    instance = start(api.as_("casey"), "discretionary_benefit").json
    task = open_task(instance, "record_request")
    web.login("casey")

    refused = web.post(f"/tasks/{task['id']}/claim", csrf=False)
    forged = web.post(f"/tasks/{task['id']}/claim", {"csrf_token": "forged"}, csrf=False)

    assert refused.status_code == forged.status_code == 400
    assert b"security token" not in refused.data  # the page explains in plain words
    assert api.as_("casey").get(f"/api/tasks/{task['id']}").json["assignee"] is None


def test_logout_needs_a_post_with_the_token(web):
    web.login("casey")

    assert web.get("/logout").status_code == 405
    assert web.post("/logout", csrf=False).status_code == 400
    assert web.post("/logout").status_code == 302
    assert web.get("/inbox").status_code == 302


def test_the_json_api_accepts_the_session_but_wants_the_token_on_changes(web, api, deployed):
    instance = start(api.as_("casey"), "discretionary_benefit").json
    task = open_task(instance, "record_request")
    web.login("casey")

    listed = web.get("/api/tasks?queue=caseworker")
    no_header = web.client.post(f"/api/tasks/{task['id']}/claim")
    with_header = web.client.post(
        f"/api/tasks/{task['id']}/claim", headers={"X-CSRF-Token": web.token()}
    )

    assert listed.status_code == 200 and listed.json["total"] == 1
    assert no_header.status_code == 403
    assert no_header.mimetype == "application/problem+json"
    assert with_header.status_code == 200 and with_header.json["assignee"] == "casey"


def test_bearer_tokens_need_no_csrf_token(api, deployed):
    instance = start(api.as_("casey"), "discretionary_benefit").json
    task = open_task(instance, "record_request")

    assert api.as_("casey").post(f"/api/tasks/{task['id']}/claim").status_code == 200


def test_pages_of_another_role_are_forbidden(web):
    web.login("casey")

    response = web.get("/definitions")

    assert response.status_code == 403
    assert b"This page is not for your role" in response.data


def test_a_deactivated_account_loses_its_session(web, svc):
    web.login("casey")
    with transaction(svc.sessions) as session:
        session.scalar(select(User).where(User.username == "casey")).active = False

    assert web.get("/inbox").status_code == 302
    assert web.login("casey").status_code == 401


def test_pages_carry_security_headers(web):
    response = web.get("/login")

    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_repeated_wrong_passwords_are_throttled_then_allowed_again(web, clock):
    for _ in range(5):
        assert web.login("casey", "guess").status_code == 401

    blocked = web.login("casey", "correct-horse-battery")
    other_user = web.login("cole", "correct-horse-battery")
    clock.advance(minutes=16)
    later = web.login("casey", "correct-horse-battery")

    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    assert b"Too many wrong passwords" in blocked.data
    assert other_user.status_code == 302
    assert later.status_code == 302


def test_over_https_the_session_cookie_is_secure_and_hsts_is_sent(svc, passwords):
    from dataclasses import replace

    from engine.app import create_app
    from tests.web.conftest import PASSWORD

    svc.settings = replace(svc.settings, secure_cookies=True)
    client = create_app(services=svc).test_client()

    answer = client.post(
        "/login", data={"username": "casey", "password": PASSWORD}, base_url="https://localhost"
    )

    cookie = answer.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie
    assert answer.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_without_https_settings_no_hsts_is_sent(web):
    answer = web.get("/login")

    assert "Strict-Transport-Security" not in answer.headers
