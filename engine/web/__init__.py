"""Server-rendered pages for caseworkers, supervisors and designers (Jinja, a little JavaScript).

`init_web` wires the session cookie, the languages, the CSRF token, the page blueprints and the
static files (bpmn-js vendored under static/vendor, see scripts/vendor_frontend.sh).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, g, request
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from engine import policy
from engine.api.auth import csrf_token, session_principal
from engine.api.context import services
from engine.casework.work_queues import list_queues
from engine.delivery.bell import unread_count
from engine.identity.users import Principal
from engine.web.account import account
from engine.web.case_messages import casemessages
from engine.web.case_pages import casefile, may_open_cases
from engine.web.delivery import deliver
from engine.web.designer import design
from engine.web.diagram_words import init_diagram_words
from engine.web.i18n import current_language, init_i18n
from engine.web.inbox import work
from engine.web.incident_pages import fix
from engine.web.oidc import init_oidc
from engine.web.outcomes import outcomes_page
from engine.web.queue_pages import queue_table
from engine.web.self_service import client
from engine.web.supervisor import supervise

# The closures page's routes live on the supervise blueprint (registered below).
from engine.web import closure_pages  # noqa: E402, F401  isort: skip

assets = Blueprint(
    "assets",
    __name__,
    static_folder="static",
    static_url_path="/assets",
    template_folder="templates",
)

# Scripts only from this site (no inline script); styles may be set inline by bpmn-js.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def init_web(app: Flask) -> None:
    # Lax: the cookie is not sent with cross-site posts (defence in depth beside the token).
    if app.config.get("SESSION_COOKIE_SAMESITE") is None:
        app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    init_i18n(app)
    init_diagram_words(app)
    pages = (
        assets,
        account,
        work,
        casefile,
        casemessages,
        fix,
        supervise,
        design,
        deliver,
        outcomes_page,
        client,
    )
    for blueprint in pages:
        app.register_blueprint(blueprint)
    app.register_blueprint(queue_table)
    init_oidc(app)
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.jinja_env.globals["queue_titles"] = queue_titles
    app.context_processor(_page_context)
    app.after_request(_page_headers)


def _page_context() -> dict[str, Any]:
    if request.blueprint not in {
        "account",
        "oidc",
        "work",
        "casefile",
        "casemessages",
        "fix",
        "supervise",
        "design",
        "deliver",
        "queue_table",
        "outcome_report",
    }:
        return {}
    principal = session_principal()
    return {
        "me": principal,
        "menu": menu_for(principal) if principal else [],
        "unread": _unread(principal.username) if principal else 0,
        "finds_cases": principal is not None and policy.may(principal, policy.Action.WORK),
    }


def _unread(username: str) -> int:
    """The bell's count: this person's unread in-app notifications."""
    with services().readers() as session:
        return unread_count(session, username)


def menu_for(principal: Principal) -> list[tuple[str, str]]:
    items: list[tuple[str, str]] = []
    if policy.may(principal, policy.Action.WORK):
        items.append(("work.inbox", _("Inbox")))
    if may_open_cases(principal) and policy.may(principal, policy.Action.WORK):
        items.append(("casefile.new_case", _("New case")))
    if policy.may(principal, policy.Action.SUPERVISE):
        items += [
            ("supervise.team", _("Team")),
            ("supervise.queues", _("Queues")),
            ("supervise.standards", _("Service standards")),
            ("outcome_report.outcomes", _("Outcomes")),
            ("supervise.absences", _("Absences")),
            ("supervise.closures", _("Closures")),
            ("fix.incidents", _("Incidents")),
        ]
    if policy.may(principal, policy.Action.MANAGE_DELIVERY):
        items += [
            ("deliver.undelivered_list", _("Undelivered")),
            ("deliver.partner_list", _("Partners")),
        ]
    if policy.may(principal, policy.Action.PRINT_LETTERS):
        items.append(("deliver.letters", _("Letters to print")))
    if policy.may(principal, policy.Action.DESIGN):
        items += [
            ("design.definitions", _("Definitions")),
            ("design.modeler", _("New diagram")),
            ("queue_table.queue_list", _("Queue table")),
        ]
    return items


def _page_headers(response: Response) -> Response:
    if response.mimetype == "text/html":
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response


def queue_titles() -> dict[str, str]:
    """The designers' queue titles (work_queue table) in the page's language, read once per
    request: the inbox tabs and rows name a custom queue by its title, not its key."""
    cached: dict[str, str] | None = g.get("caseway_queue_titles")
    if cached is None:
        french = current_language() == "fr"
        with services().readers() as session:
            cached = {
                q.key: (q.title_fr if french and q.title_fr else q.title_en)
                for q in list_queues(session)
            }
        g.caseway_queue_titles = cached
    return cached
