"""Page access: who is signed in, which roles a page needs, and the CSRF check on posts.

Pages use the session set by the login form; the JSON API keeps its bearer tokens (and accepts
the same session, see engine.api.auth). Errors inside page blueprints render pages, not
problem+json.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import Forbidden, HTTPException, NotFound
from werkzeug.wrappers import Response

from engine import errors, policy
from engine.api.auth import CSRF_FIELD, csrf_valid, session_principal
from engine.identity.users import Principal


class LoginRequired(Exception):  # noqa: N818 - answered with a redirect, not an error page
    """No signed-in user: send the visitor to the login form and back."""


class CsrfFailed(HTTPException):
    code = 400
    description = "The form's security token is missing or out of date."


def signed_in() -> Principal:
    principal = session_principal()
    if principal is None:
        raise LoginRequired()
    return principal


def require(action: policy.Action | None = None) -> Principal:
    """The signed-in user, who must be allowed `action` (the page answers 403 otherwise)."""
    principal = signed_in()
    if action is not None and not policy.may(principal, action):
        raise Forbidden()
    return principal


def landing(principal: Principal) -> str:
    """Where each kind of user starts the day."""
    starts = {"design": "design.definitions", "supervise": "supervise.team", "work": "work.inbox"}
    return url_for(starts[policy.home(principal)])


def safe_next(target: str | None) -> str | None:
    """Only a path on this site (no scheme, no host, no `//`) may be a post-login target."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def protect(blueprint: Blueprint) -> Blueprint:
    """Check the CSRF token on every POST and render this blueprint's errors as pages."""
    blueprint.before_request(_check_csrf)
    blueprint.register_error_handler(LoginRequired, _to_login)
    blueprint.register_error_handler(HTTPException, _error_page)
    blueprint.register_error_handler(errors.TaskNotVisible, _not_found)
    blueprint.register_error_handler(errors.NotFound, _not_found)
    return blueprint


def _check_csrf() -> None:
    if request.method == "POST" and not csrf_valid(request.form.get(CSRF_FIELD)):
        raise CsrfFailed()


def _to_login(_exc: LoginRequired) -> Response:
    target = request.full_path if request.method == "GET" else None
    return redirect(url_for("account.login", next=safe_next(target and target.rstrip("?"))))


def _not_found(_exc: Exception) -> tuple[str, int]:
    return _error_page(NotFound())


def _error_page(exc: HTTPException) -> tuple[str, int]:
    status = exc.code or 500
    titles = {
        400: _("The form could not be sent"),
        403: _("This page is not for your role"),
        404: _("Not found"),
    }
    details = {
        400: _("Your session may have expired. Go back, reload the page and try again."),
        403: _("Ask a supervisor or an administrator if you need access."),
        404: _("It may have been completed, moved, or it is not visible to you."),
    }
    title = titles.get(status, _("Something went wrong"))
    detail = details.get(status, _("Please try again."))
    return render_template("error.html", title=title, detail=detail, status=status), status


__all__ = ["CSRF_FIELD", "landing", "protect", "require", "signed_in"]
