"""Delivery pages: the undelivered list (supervisors), the daily letters to print and mail, the
partner directory, and every staff member's in-app notifications (the bell). The work is done
by engine.delivery; these routes read the form, call it, and show the result."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from engine import policy
from engine.api.context import services
from engine.casework.unit_of_work import changing
from engine.delivery import bell, partners, print_queue, undelivered
from engine.delivery.secrets import SecretBox
from engine.errors import CasewayError
from engine.store.models import Letter
from engine.web.feedback import explain
from engine.web.guard import protect, require, signed_in
from handlers.referrals import NEEDS
from handlers.referrals import PARTNER_KEY as KEY

deliver = protect(Blueprint("deliver", __name__))
T = TypeVar("T")


def _attempt(action: Callable[[], T]) -> T | None:
    try:
        return action()
    except CasewayError as exc:
        flash(explain(exc), "error")
        return None


# -- undelivered ---------------------------------------------------------------------------


@deliver.get("/undelivered")
def undelivered_list() -> str:
    principal = require(policy.Action.MANAGE_DELIVERY)
    with services().readers() as session:
        rows, total = undelivered.list_messages(session, principal, undelivered.UNDELIVERED, 200, 0)
    return render_template("undelivered.html", rows=rows, total=total)


@deliver.post("/undelivered/<int(max=9223372036854775807):outbox_id>/retry")
def retry(outbox_id: int) -> Response:
    principal = require(policy.Action.MANAGE_DELIVERY)
    svc = services()

    def act() -> object:
        with changing(svc) as session:
            return undelivered.retry(session, principal, outbox_id, svc.clock.now())

    if _attempt(act) is not None:
        flash(_("The message will be sent again shortly."), "success")
    return redirect(url_for("deliver.undelivered_list"))


@deliver.post("/undelivered/<int(max=9223372036854775807):outbox_id>/handled")
def handled(outbox_id: int) -> Response:
    principal = require(policy.Action.MANAGE_DELIVERY)
    svc = services()
    note = request.form.get("note", "").strip()
    if not note:
        flash(_("Say how the message was delivered (for example: by phone)."), "error")
        return redirect(url_for("deliver.undelivered_list"))

    def act() -> object:
        with changing(svc) as session:
            return undelivered.mark_handled(session, principal, outbox_id, note, svc.clock.now())

    if _attempt(act) is not None:
        flash(_("Recorded as handled."), "success")
    return redirect(url_for("deliver.undelivered_list"))


# -- letters -------------------------------------------------------------------------------


@deliver.get("/letters")
def letters() -> str:
    principal = require(policy.Action.PRINT_LETTERS)
    svc = services()
    zone = _zone(principal.office)
    try:
        day = date.fromisoformat(request.args.get("day", ""))
    except ValueError:
        day = svc.clock.now().astimezone(zone).date()
    with svc.readers() as session:
        rows = print_queue.letters_of_day(session, principal.office, day, zone)
    return render_template("letters.html", rows=rows, day=day)


@deliver.get("/letters/<int(max=9223372036854775807):outbox_id>.pdf")
def letter_pdf(outbox_id: int) -> Response:
    principal = require(policy.Action.PRINT_LETTERS)
    with services().readers() as session:
        letter = session.get(Letter, outbox_id)
        if letter is None or letter.office != principal.office:
            abort(404)
        pdf = letter.pdf
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="letter-{outbox_id}.pdf"'
    return response


@deliver.post("/letters/printed")
def letters_printed() -> Response:
    principal = require(policy.Action.PRINT_LETTERS)
    svc = services()
    ids = _ids(request.form.getlist("outbox_id"))
    with changing(svc) as session:
        count = print_queue.mark_printed(
            session, principal.office, ids, principal.username, svc.clock.now()
        )
    flash(_("%(count)s letter(s) marked printed.", count=count), "success")
    return redirect(url_for("deliver.letters", day=request.form.get("day", "")))


# -- notifications -------------------------------------------------------------------------


@deliver.get("/notifications")
def notifications() -> str:
    principal = signed_in()
    with services().readers() as session:
        rows = bell.notifications(session, principal.username)
    return render_template("notifications.html", rows=rows)


@deliver.post("/notifications/read")
def notifications_read() -> Response:
    principal = signed_in()
    svc = services()
    ids = _ids(request.form.getlist("id")) or None
    with changing(svc) as session:
        bell.mark_read(session, principal.username, ids, svc.clock.now())
    return redirect(url_for("deliver.notifications"))


# -- partners ------------------------------------------------------------------------------


@deliver.get("/partners")
def partner_list() -> str:
    principal = require(policy.Action.MANAGE_DELIVERY)
    with services().readers() as session:
        rows, _total = partners.list_partners(session, principal, principal.office, 500, 0)
        items = [partners.partner_dict(session, p) for p in rows]
    return render_template("partners.html", rows=items)


@deliver.route("/partners/new", methods=["GET", "POST"])
def partner_new() -> Any:
    principal = require(policy.Action.MANAGE_DELIVERY)
    if request.method == "GET":
        return _partner_form(None)
    svc = services()
    fields = {**_partner_fields(), "key": request.form.get("key", "").strip()}
    if not _acceptable(fields, new=True):
        return _partner_form(None)

    def act() -> partners.Saved:
        box = SecretBox.from_settings(svc.settings)
        with changing(svc) as session:
            saved = partners.create_partner(session, principal, fields, box, svc.clock.now())
            session.flush()
            return saved

    saved = _attempt(act)
    if saved is None:
        return _partner_form(None)
    return _partner_form(saved.partner.id, secret=saved.secret)


@deliver.route("/partners/<int(max=2147483647):partner_id>", methods=["GET", "POST"])
def partner_edit(partner_id: int) -> Any:
    principal = require(policy.Action.MANAGE_DELIVERY)
    if request.method == "GET":
        return _partner_form(partner_id)
    svc = services()
    fields: dict[str, Any] = dict(_partner_fields())
    fields["rotate_secret"] = request.form.get("rotate_secret") == "1"
    if not _acceptable(fields, new=False):
        return _partner_form(partner_id)

    def act() -> partners.Saved:
        box = SecretBox.from_settings(svc.settings)
        with changing(svc) as session:
            return partners.update_partner(
                session, principal, partner_id, fields, box, svc.clock.now()
            )

    saved = _attempt(act)
    if saved is not None:
        flash(_("Partner saved."), "success")
    return _partner_form(partner_id, secret=saved.secret if saved else None)


def _partner_form(partner_id: int | None, secret: str | None = None) -> str:
    principal = require(policy.Action.MANAGE_DELIVERY)
    partner = None
    if partner_id is not None:
        with services().readers() as session:
            partner = partners.partner_dict(
                session, partners.get_partner(session, principal, partner_id)
            )
    return render_template(
        "partner_form.html", partner=partner, secret=secret, needs=need_names(), form=request.form
    )


def need_names() -> dict[str, str]:
    """The needs domains (handlers.referrals.NEEDS) in the page's language."""
    return {
        "housing": _("Housing"),
        "income": _("Income"),
        "food_security": _("Food security"),
        "health": _("Health and mental health"),
        "addictions": _("Addictions"),
        "childcare": _("Child care"),
        "employment_readiness": _("Employment readiness"),
        "financial_empowerment": _("Financial empowerment"),
        "legal": _("Legal issues"),
        "safety": _("Safety"),
    }


def _partner_fields() -> dict[str, Any]:
    form = request.form
    return {
        "name": form.get("name", "").strip(),
        "services": [s for s in form.getlist("services") if s in NEEDS],
        "languages": [lang for lang in form.getlist("languages") if lang in ("en", "fr")] or ["en"],
        "webhook_url": form.get("webhook_url", "").strip() or None,
        "contact_email": form.get("contact_email", "").strip() or None,
        "active": form.get("active") == "1",
    }


def _acceptable(fields: dict[str, Any], *, new: bool) -> bool:
    """The page's own checks (the API's schema does the same for JSON)."""
    if new and not KEY.fullmatch(fields["key"]):
        flash(_("The key is lower case letters, digits and _, as diagrams name it."), "error")
        return False
    if not fields["name"]:
        flash(_("Give the partner a name."), "error")
        return False
    url = fields["webhook_url"]
    if url and not (url.startswith("https://") or url.startswith("http://")):
        flash(_("The webhook address must start with https://."), "error")
        return False
    return True


def _ids(values: list[str]) -> list[int]:
    """Row ids from a form; anything that is not one (or too large to be one) is ignored."""
    return [int(v) for v in values if v.isdigit() and len(v) <= 18]


def _zone(office: str) -> ZoneInfo:
    return ZoneInfo(services().runtime.calendar_for(office).timezone)
