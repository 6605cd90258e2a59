"""Caseworker pages: the inbox, a task with its case, claim, release, complete (and a
supervisor's single reassignment from the task page)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from engine import policy
from engine.api.context import services
from engine.casework import commands, drafts, task_actions
from engine.casework.queues import visible_task
from engine.deadlines.views import task_clock
from engine.definitions.forms import FormInvalid, validate_submission
from engine.errors import CasewayError
from engine.identity.users import Principal
from engine.web import casework, inbox_views
from engine.web.feedback import DOMAIN_ERRORS, explain
from engine.web.formparse import explain as explain_form
from engine.web.formparse import parse_submission, row_counts
from engine.web.formview import build_fields, every_field, form_title
from engine.web.guard import protect, require, safe_next
from engine.web.i18n import diagram_text

work = protect(Blueprint("work", __name__))


@work.get("/inbox")
def inbox() -> str:
    principal = require(policy.Action.WORK)
    wanted = inbox_views.read_view(request.args)
    with services().readers() as session:
        view = casework.inbox(session, principal, wanted)
    return render_template(
        "inbox.html",
        view=view,
        wanted=wanted,
        due_by=request.args.get("due_by", ""),
        view_string=inbox_views.view_string(request.args),
        saved=inbox_views.saved(services(), principal),
        now=services().clock.now(),
        row_texts=_row_texts(),
    )


def _row_texts() -> dict[str, str]:
    """Per-row labels translated once per page, formatted per row with `|format`: a page of
    500 tasks would otherwise look each one up 500 times."""
    return {
        "claim": _("Claim %(title)s, case %(key)s"),
        "release": _("Release %(title)s, case %(key)s"),
    }


@work.post("/inbox/views")
def save_view() -> Response:
    principal = require(policy.Action.WORK)
    name = (request.form.get("name") or "").strip()
    query = inbox_views.view_string(inbox_views.parse_view(request.form.get("view")))
    if not name:
        flash(_("Give the view a name."), "error")
    elif inbox_views.save(services(), principal, name, query):
        flash(_("The view “%(name)s” is saved.", name=name), "success")
    else:
        flash(_("You have too many saved views: delete one first."), "error")
    return redirect(url_for("work.inbox") + ("?" + query if query else ""))


@work.post("/inbox/views/<int:filter_id>/delete")
def delete_view(filter_id: int) -> Response:
    principal = require(policy.Action.WORK)
    inbox_views.forget(services(), principal, filter_id)
    flash(_("The saved view is deleted."), "success")
    return redirect(url_for("work.inbox"))


@work.get("/tasks/<task_id>")
def task(task_id: str) -> str:
    principal = require(policy.Action.WORK)
    return _task_page(principal, task_id, use_draft=True)[0]


@work.post("/tasks/<task_id>/claim")
def claim(task_id: str) -> Response:
    principal = require(policy.Action.WORK)
    claimed = _("You claimed the task.")
    _attempt(lambda: task_actions.claim_task(services(), principal, task_id), claimed)
    return redirect(safe_next(request.form.get("next")) or _task_url(task_id))


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
    return redirect(safe_next(request.form.get("next")) or _task_url(task_id))


@work.post("/tasks/<task_id>/draft")
def autosave_draft(task_id: str) -> tuple[dict[str, str], int]:
    """Keep what is typed as the user's draft while they type (js/draft.js), so a reload, a
    closed tab or a lost connection loses at most the last few seconds of work."""
    principal = require(policy.Action.WORK)
    svc = services()
    with svc.readers() as session:
        file = casework.task_file(session, principal, task_id, svc.clock.now())
    rows, _grow = row_counts(request.form)
    fields = build_fields(file.schema, file.ui, {}, {}, rows)
    _data, _unreadable, raw = parse_submission(fields, request.form)
    if not drafts.save(svc, principal, task_id, raw):
        return {"detail": _("The draft is too large to keep.")}, 413
    return {"saved_at": svc.clock.now().isoformat()}, 200


@work.post("/tasks/<task_id>/draft/discard")
def discard_draft(task_id: str) -> Response:
    principal = require(policy.Action.WORK)
    drafts.discard(services(), principal, task_id)
    flash(_("Your draft is discarded."), "success")
    return redirect(_task_url(task_id))


@work.post("/tasks/<task_id>/complete")
def complete(task_id: str) -> tuple[str, int] | Response:
    """Complete, or keep a draft ("Save draft", "Add another", any error, a lost claim).

    The whole submission is checked at once — fields that could not be read and every schema
    error — so a user sees every problem in one round, beside its field and in the summary.
    """
    principal = require(policy.Action.WORK)
    svc = services()
    now = svc.clock.now()
    with svc.readers() as session:
        file = casework.task_file(session, principal, task_id, now)
    rows, grow = row_counts(request.form)
    fields = build_fields(file.schema, file.ui, {}, {}, rows)
    data, unreadable, raw = parse_submission(fields, request.form)
    drafts.save(svc, principal, task_id, raw)
    if grow is not None:  # "add another": show one more row, complete nothing
        return _task_page(principal, task_id, values=raw, rows=rows)
    if request.form.get("save_draft"):
        flash(_("Your draft is saved. It stays here until you complete the task."), "success")
        return _task_page(principal, task_id, values=raw, rows=rows)
    holder = file.task.assignee
    if file.task.status != "open" or (holder and holder != principal.username):
        flash(_lost(principal, task_id, None), "error")  # before any form error: it matters more
        return redirect(_task_url(task_id))
    today = commands.office_today(svc, file.instance.office, now)
    errors: dict[str, str] = dict(unreadable)
    general: list[str] = []
    try:
        validate_submission(file.schema, data, today=today)
    except FormInvalid as exc:
        found, general = explain_form(file.schema, data, exc.errors, today)
        errors = {**found, **unreadable}
    if errors or general:
        return _task_page(
            principal, task_id, errors=errors, general=general, values=raw, rows=rows, code=422
        )
    try:
        commands.complete_task(svc, principal, task_id, data)
    except FormInvalid as exc:
        errors, general = explain_form(file.schema, data, exc.errors, today)
        return _task_page(principal, task_id, errors=errors, general=general, values=raw, code=422)
    except DOMAIN_ERRORS as exc:
        flash(_lost(principal, task_id, exc), "error")
        return redirect(_task_url(task_id))
    flash(_("Done: “%(title)s” is completed.", title=diagram_text(file.task.title)), "success")
    return redirect(_after_completion(principal, task_id))


def _after_completion(principal: Principal, task_id: str) -> str:
    """The next task of the same inbox view ("Complete and open next"), else that view."""
    view = inbox_views.parse_view(request.form.get("view"))
    view_string = inbox_views.view_string(view)
    inbox_url = url_for("work.inbox") + ("?" + view_string if view_string else "")
    if request.form.get("then") != "next":
        return inbox_url
    with services().readers() as session:
        following = casework.next_task(session, principal, inbox_views.read_view(view), task_id)
    if following is None:
        flash(_("There is no other task in this view."), "success")
        return inbox_url
    return _task_url(following.id, view_string)


def _lost(principal: Principal, task_id: str, exc: Exception | None) -> str:
    """Why completing failed, worded for the page; a claim lost to a colleague says who has it
    and that the typing is kept."""
    try:
        with services().readers() as session:
            current = visible_task(session, principal, task_id)
            holder, status = current.assignee, current.status
    except CasewayError as hidden:
        return explain(exc or hidden)
    if status == "open" and holder and holder != principal.username:
        return _(
            "%(user)s claimed this task while you were filling it in, so it was not completed. "
            "What you typed is kept as your draft: it comes back when the task is yours again.",
            user=holder,
        )
    if status != "open":
        return _(
            "This task was closed meanwhile (completed or cancelled), so your entries were not "
            "used. They are kept below for reference."
        )
    return (
        explain(exc)
        if exc is not None
        else _("This changed meanwhile. The page now shows its current state.")
    )


def _task_url(task_id: str, view: str | None = None) -> str:
    view = view if view is not None else request.values.get("view") or None
    return url_for("work.task", task_id=task_id, view=view or None)


def _task_page(
    principal: Principal,
    task_id: str,
    *,
    errors: dict[str, str] | None = None,
    general: list[str] | None = None,
    values: dict[str, Any] | None = None,
    rows: dict[str, int] | None = None,
    code: int = 200,
    use_draft: bool = False,
) -> tuple[str, int]:
    svc = services()
    draft_at: datetime | None = None
    with svc.readers() as session:
        file = casework.task_file(session, principal, task_id, svc.clock.now())
        draft = drafts.load(session, principal, task_id) if file.task.status == "open" else None
        clock = task_clock(session, file.task)
    shown = file.values if values is None else values
    if use_draft and draft is not None:
        shown, draft_at = draft
    fields = build_fields(file.schema, file.ui, shown, errors or {}, rows)
    every = every_field(fields)
    placed = {f.path for f in every}
    general = [*(general or []), *(m for p, m in (errors or {}).items() if p not in placed)]
    page = render_template(
        "task.html",
        file=file,
        fields=fields,
        all_fields=every,
        errors={p: m for p, m in (errors or {}).items() if p in placed},
        general=general,
        form_title=form_title(file.schema, diagram_text(file.task.title)),
        can_work=casework.can_work(principal, file.task),
        has_draft=draft is not None,
        draft_at=draft_at,
        view=request.values.get("view", ""),
        principal=principal,
        now=svc.clock.now(),
        clock=clock,
    )
    return page, code


def _attempt(action: Callable[[], object], success: str) -> None:
    try:
        action()
    except DOMAIN_ERRORS as exc:
        flash(explain(exc), "error")
        return
    flash(success, "success")
