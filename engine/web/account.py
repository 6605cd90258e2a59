"""Signing in and out, choosing the language, and the home page that points each user onward."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from engine.api.auth import session_principal, sign_in, sign_out
from engine.api.context import services
from engine.definitions.deploy import count_definitions
from engine.identity.users import verify_password
from engine.web.guard import landing, protect, safe_next
from engine.web.i18n import choose_language
from engine.web.throttle import LoginThrottle

account = protect(Blueprint("account", __name__))


@account.get("/")
def home() -> str | Response:
    principal = session_principal()
    if principal is not None:
        return redirect(landing(principal))
    with services().readers() as session:
        definitions = count_definitions(session)
    return render_template("home.html", definitions=definitions)


@account.get("/login")
def login() -> str:
    return render_template("login.html", next=safe_next(request.args.get("next")), error=None)


@account.post("/login")
def login_post() -> tuple[str, int] | tuple[str, int, dict[str, str]] | Response:
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    target = safe_next(request.form.get("next"))
    throttle = _throttle()
    address = request.remote_addr or "-"
    wait = throttle.retry_after(username, address)
    if wait:
        error = _("Too many wrong passwords. Wait a few minutes, then try again.")
        page = render_template("login.html", next=target, error=error, username=username)
        return page, 429, {"Retry-After": str(wait)}
    with services().readers() as session:
        principal = verify_password(session, username, password) if username else None
    if principal is None:
        throttle.failed(username, address)
        error = _("The username or password is not right.")
        page = render_template("login.html", next=target, error=error, username=username)
        return page, 401
    throttle.succeeded(username, address)
    sign_in(principal)
    return redirect(target or landing(principal))


@account.post("/logout")
def logout() -> Response:
    sign_out()
    return redirect(url_for("account.login"))


@account.post("/language")
def language() -> Response:
    choose_language(request.form.get("lang", ""))
    return redirect(safe_next(request.form.get("next")) or url_for("account.home"))


def _throttle() -> LoginThrottle:
    found = current_app.extensions.get("caseway_login_throttle")
    if found is None:
        found = LoginThrottle(services().clock)
        current_app.extensions["caseway_login_throttle"] = found
    return found
