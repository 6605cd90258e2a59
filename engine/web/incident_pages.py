"""Broken cases for supervisors and admins: the real error, the failing step's data in its
form (or as JSON when the step has no form), corrected through the same domain function as
`PATCH /api/instances/{id}/data`, then the step run again (`commands.retry_instance`)."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from engine import policy
from engine.api.context import services
from engine.cases.incidents import open_incidents
from engine.casework import commands
from engine.casework.commands import FailedStep
from engine.definitions.forms import FormInvalid
from engine.errors import NotFound
from engine.store.models import ProcessInstance
from engine.web.feedback import DOMAIN_ERRORS, explain
from engine.web.formparse import explain as explain_form
from engine.web.formparse import parse_submission, row_counts
from engine.web.formview import build_fields, flatten
from engine.web.guard import protect, require

fix = protect(Blueprint("fix", __name__))
PAGE_SIZE = 50
JSON_FIELD = "data_json"


@fix.get("/incidents")
def incidents() -> str:
    principal = require(policy.Action.SUPERVISE)
    offset = max(request.args.get("offset", 0, type=int), 0)
    with services().readers() as session:
        items, total = open_incidents(session, principal, PAGE_SIZE, offset)
    return render_template(
        "incidents.html", items=items, total=total, offset=offset, limit=PAGE_SIZE
    )


@fix.get("/incidents/<instance_id>")
def incident(instance_id: str) -> str | Response:
    principal = require(policy.Action.SUPERVISE)
    try:
        step = commands.failed_step(services(), principal, instance_id)
    except DOMAIN_ERRORS as exc:  # fixed meanwhile (409) or not visible (404 page)
        if isinstance(exc, NotFound):
            raise
        flash(explain(exc), "error")
        return redirect(url_for("fix.incidents"))
    return _editor(step)[0]


@fix.post("/incidents/<instance_id>")
def correct(instance_id: str) -> tuple[str, int] | Response:
    """Save the corrected data, then run the failed step again."""
    principal = require(policy.Action.SUPERVISE)
    svc = services()
    step = commands.failed_step(svc, principal, instance_id)
    if step.form is None:
        text = request.form.get(JSON_FIELD, "")
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            problem = {JSON_FIELD: _('Enter a JSON object, such as {"name": "value"}.')}
            return _editor(step, errors=problem, text=text, code=422)
        raw: dict[str, Any] = {}
    else:
        rows, _grow = row_counts(request.form)
        fields = build_fields(step.form.schema, step.form.ui, {}, {}, rows)
        data, unreadable, raw = parse_submission(fields, request.form)
        if unreadable:
            return _editor(step, errors=unreadable, values=raw, code=422)
    try:
        commands.patch_instance_data(svc, principal, instance_id, data)
    except FormInvalid as exc:
        schema = step.form.schema if step.form else {}
        found, general = explain_form(schema, data, exc.errors)
        return _editor(step, errors=found, general=general, values=raw, code=422)
    except DOMAIN_ERRORS as exc:
        flash(explain(exc), "error")
        return redirect(url_for("fix.incidents"))
    return _retry(principal, instance_id, _("The data is corrected."))


@fix.post("/incidents/<instance_id>/retry")
def retry(instance_id: str) -> Response:
    principal = require(policy.Action.SUPERVISE)
    return _retry(principal, instance_id, "")


def _retry(principal: Any, instance_id: str, before: str) -> Response:
    svc = services()
    try:
        commands.retry_instance(svc, principal, instance_id)
    except DOMAIN_ERRORS as exc:
        flash(" ".join(t for t in (before, explain(exc)) if t), "error")
        return redirect(url_for("fix.incidents"))
    with svc.readers() as session:
        instance = session.get_one(ProcessInstance, instance_id)
        status = instance.status
    if status == "error":
        flash(" ".join(t for t in (before, _("The step failed again.")) if t), "error")
        return redirect(url_for("fix.incident", instance_id=instance_id))
    flash(" ".join(t for t in (before, _("The step ran again successfully.")) if t), "success")
    return redirect(url_for("fix.incidents"))


def _editor(
    step: FailedStep,
    *,
    errors: dict[str, str] | None = None,
    general: list[str] | None = None,
    values: dict[str, Any] | None = None,
    text: str | None = None,
    code: int = 200,
) -> tuple[str, int]:
    fields = []
    if step.form is not None:
        shown = step.data if values is None else values
        fields = build_fields(step.form.schema, step.form.ui, shown, errors or {})
    with services().readers() as session:
        items, _total = open_incidents(session, require(), 500, 0)
    mine = [i for i in items if i["instance_id"] == step.instance.id]
    page = render_template(
        "incident.html",
        step=step,
        problems=mine,
        fields=fields,
        flat=flatten(fields),
        errors=errors or {},
        general=general or [],
        json_field=JSON_FIELD,
        json_text=text if text is not None else json.dumps(step.data, indent=2, ensure_ascii=False),
    )
    return page, code
