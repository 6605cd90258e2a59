"""The designer's queue pages: the queue table (key, titles, who holds it, office), created
and edited with the same rules as `POST /api/queues` (engine.casework.work_queues)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from engine import policy
from engine.api.context import services
from engine.casework import work_queues
from engine.casework.unit_of_work import changing
from engine.errors import CasewayError
from engine.identity.users import Principal
from engine.web.feedback import explain
from engine.web.guard import protect, signed_in

queue_table = protect(Blueprint("queue_table", __name__))


def _designer() -> Principal:
    principal = signed_in()
    if not policy.may_manage_queues(principal):
        abort(403)
    return principal


@queue_table.get("/design/queues")
def queue_list() -> str:
    _designer()
    with services().readers() as session:
        rows = work_queues.list_queues(session)
    return render_template("queue_table.html", rows=rows, roles=sorted(policy.STAFF_ROLES))


@queue_table.route("/design/queues/new", methods=["GET", "POST"])
def queue_new() -> Any:
    principal = _designer()
    if request.method == "GET":
        return _form(None)
    fields = {"key": request.form.get("key", "").strip(), **_fields()}
    return _save(lambda session, now: work_queues.create_queue(session, principal, fields, now))


@queue_table.route("/design/queues/<string(maxlength=80):key>", methods=["GET", "POST"])
def queue_edit(key: str) -> Any:
    principal = _designer()
    if request.method == "GET":
        return _form(key)
    fields = _fields()
    return _save(
        lambda session, now: work_queues.update_queue(session, principal, key, fields, now), key
    )


def _save(action: Any, key: str | None = None) -> Any:
    svc = services()
    try:
        with changing(svc) as session:
            saved = action(session, svc.clock.now())
    except CasewayError as exc:
        flash(f"{explain(exc)} ({exc.detail})", "error")  # which field, in the rule's words
        return _form(key), 422
    flash(_("Queue saved."), "success")
    return redirect(url_for("queue_table.queue_edit", key=saved.key))


def _fields() -> dict[str, Any]:
    form = request.form
    return {
        "title_en": form.get("title_en", "").strip(),
        "title_fr": form.get("title_fr", "").strip(),
        "roles": form.getlist("roles"),
        "users": [u.strip() for u in form.get("users", "").split(",") if u.strip()],
        "office": form.get("office", "").strip() or None,
    }


def _form(key: str | None) -> str | Response:
    queue = None
    if key is not None:
        with services().readers() as session:
            queue = next((q for q in work_queues.list_queues(session) if q.key == key), None)
        if queue is None:
            abort(404)
    return render_template(
        "queue_form.html", queue=queue, roles=sorted(policy.STAFF_ROLES), form=request.form
    )
