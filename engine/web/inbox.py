"""Caseworker pages: the inbox, a task with its case, claim, release, complete (and a
supervisor's single reassignment from the task page)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from engine import policy
from engine.api.context import services
from engine.casework import commands, task_actions
from engine.definitions.forms import FormInvalid
from engine.identity.users import Principal
from engine.web import casework
from engine.web.feedback import DOMAIN_ERRORS, explain
from engine.web.formparse import explain as explain_form
from engine.web.formparse import parse_submission, row_counts
from engine.web.formview import build_fields, flatten, form_title
from engine.web.guard import protect, require, safe_next
from engine.web.i18n import office_zone

work = protect(Blueprint("work", __name__))


@work.get("/inbox")
def inbox() -> str:
    principal = require(policy.Action.WORK)
    wanted = casework.InboxQuery(
        tab=request.args.get("tab", casework.MINE),
        queue=request.args.get("queue") or None,
        process_id=request.args.get("process") or None,
        due_before=_day_after(request.args.get("due_by")),
        offset=max(request.args.get("offset", 0, type=int), 0),
    )
    with services().readers() as session:
        view = casework.inbox(session, principal, wanted)
    return render_template(
        "inbox.html",
        view=view,
        wanted=wanted,
        due_by=request.args.get("due_by", ""),
        now=services().clock.now(),
    )


@work.get("/tasks/<task_id>")
def task(task_id: str) -> str:
    principal = require(policy.Action.WORK)
    return _task_page(principal, task_id)[0]


@work.post("/tasks/<task_id>/claim")
def claim(task_id: str) -> Response:
    principal = require(policy.Action.WORK)
    claimed = _("You claimed the task.")
    _attempt(lambda: task_actions.claim_task(services(), principal, task_id), claimed)
    return redirect(safe_next(request.form.get("next")) or url_for("work.task", task_id=task_id))


@work.post("/tasks/<task_id>/release")
def release(task_id: str) -> Response:
    principal = require(policy.Action.WORK)
    done = _("The task is back in its queue.")
    _attempt(lambda: task_actions.release_task(services(), principal, task_id), done)
    return redirect(safe_next(request.form.get("next")) or url_for("work.inbox"))


@work.post("/tasks/<task_id>/assign")
def assign(task_id: str) -> Response:
    principal = require(policy.Action.SUPERVISE)
    username = request.form.get("user") or None
    done = _("The task was reassigned.") if username else _("The task is back in its queue.")
    _attempt(lambda: task_actions.assign_task(services(), principal, task_id, username), done)
    return redirect(safe_next(request.form.get("next")) or url_for("work.task", task_id=task_id))


@work.post("/tasks/<task_id>/complete")
def complete(task_id: str) -> tuple[str, int] | Response:
    principal = require(policy.Action.WORK)
    svc = services()
    with svc.readers() as session:
        file = casework.task_file(session, principal, task_id, svc.clock.now())
    rows, grow = row_counts(request.form)
    fields = build_fields(file.schema, file.ui, {}, {}, rows)
    data, unreadable, raw = parse_submission(fields, request.form)
    if grow is not None:  # "add another": show one more row, complete nothing
        return _task_page(principal, task_id, values=raw, rows=rows)
    if unreadable:
        return _task_page(principal, task_id, errors=unreadable, values=raw, code=422)
    try:
        commands.complete_task(svc, principal, task_id, data)
    except FormInvalid as exc:
        errors, general = explain_form(file.schema, data, exc.errors)
        return _task_page(principal, task_id, errors=errors, general=general, values=raw, code=422)
    except DOMAIN_ERRORS as exc:
        flash(explain(exc), "error")
        return redirect(url_for("work.task", task_id=task_id))
    flash(_("Done: “%(title)s” is completed.", title=file.task.title), "success")
    return redirect(url_for("work.inbox"))


def _task_page(
    principal: Principal,
    task_id: str,
    *,
    errors: dict[str, str] | None = None,
    general: list[str] | None = None,
    values: dict[str, Any] | None = None,
    rows: dict[str, int] | None = None,
    code: int = 200,
) -> tuple[str, int]:
    with services().readers() as session:
        file = casework.task_file(session, principal, task_id, services().clock.now())
    shown = file.values if values is None else values
    fields = build_fields(file.schema, file.ui, shown, errors or {}, rows)
    page = render_template(
        "task.html",
        file=file,
        fields=fields,
        flat=flatten(fields),
        errors=errors or {},
        general=general or [],
        form_title=form_title(file.schema, file.task.title),
        can_work=casework.can_work(principal, file.task),
        principal=principal,
        now=services().clock.now(),
    )
    return page, code


def _attempt(action: Callable[[], object], success: str) -> None:
    try:
        action()
    except DOMAIN_ERRORS as exc:
        flash(explain(exc), "error")
        return
    flash(success, "success")


def _day_after(text: str | None) -> datetime | None:
    """ "Due by 2027-03-05" means before the next midnight in the office's zone."""
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return datetime.combine(day + timedelta(days=1), time(0), office_zone())
