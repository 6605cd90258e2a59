"""The client's self-service page: one form, opened from a link in a notice, with no account.

It shows the task's form and the office's phone number and nothing else of the case. A used,
expired or revoked link says so. Wrong tokens count against the visitor's address (the login
throttle's counter, under its own key), so links cannot be guessed at speed.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, g, render_template, request
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import TooManyRequests

from engine import errors
from engine.api.context import services
from engine.cases.attachments import read_upload
from engine.casework import client_links, commands
from engine.definitions.forms import FormInvalid, validate_submission
from engine.delivery.offices import load_offices
from engine.web.formparse import explain as explain_form
from engine.web.formparse import parse_submission, row_counts
from engine.web.formview import build_fields, every_field, form_title
from engine.web.guard import protect
from engine.web.throttle import LoginThrottle

client = protect(Blueprint("client", __name__))

UPLOAD = "x-upload"  # a form property the client answers with files, kept on the case
MAX_FILES = 10


@client.get("/s/<token>")
def page(token: str) -> tuple[str, int]:
    link = _opened(token)
    if link.state != "open":
        return _spent(link), 410
    return _form_page(token, link, values={}, errors={}, general=[]), 200


@client.post("/s/<token>")
def submit(token: str) -> tuple[str, int]:
    link = _opened(token)
    if link.state != "open":
        return _spent(link), 410
    svc = services()
    schema, ui = _form(link)
    rows, _grow = row_counts(request.form)
    fields = build_fields(_without_uploads(schema), ui, {}, {}, rows)
    data, unreadable, raw = parse_submission(fields, request.form)
    files = [f for f in request.files.getlist("files") if f.filename][:MAX_FILES]
    today = commands.office_today(svc, link.office, svc.clock.now())
    errs: dict[str, str] = dict(unreadable)
    general: list[str] = []
    uploads = _upload_fields(schema)
    checked = {**data, **{key: [f.filename for f in files] for key in uploads}}
    try:
        validate_submission(schema, checked, today=today)
    except FormInvalid as exc:
        found, general = explain_form(schema, checked, exc.errors, today)
        errs = {**found, **unreadable}
    if errs or general:
        return _form_page(token, link, values=raw, errors=errs, general=general), 422
    try:
        read = [(f.filename or "document", read_upload(_chunks(f))) for f in files]
        attach = client_links.attach_uploads(svc, uploads, read) if uploads else None
        client_links.submit(svc, token, data, attach)
    except errors.ClientLinkUnusable:
        return _spent(client_links.open_link(svc, token)), 410
    except (errors.TooLarge, errors.UnsupportedType) as exc:
        general = [_explain_upload(exc)]
        return _form_page(token, link, values=raw, errors={}, general=general), 422
    except FormInvalid as exc:
        errs, general = explain_form(schema, data, exc.errors, today)
        return _form_page(token, link, values=raw, errors=errs, general=general), 422
    return render_template("self_service_done.html", **_frame(link)), 200


def _opened(token: str) -> client_links.OpenedLink:
    svc = services()
    address = request.remote_addr or "unknown"
    throttle = _throttle()
    if throttle.retry_after("client-link", address):
        raise TooManyRequests()
    try:
        link = client_links.open_link(svc, token)
    except errors.NotFound:
        throttle.failed("client-link", address)
        raise
    g.link_language = link.language
    return link


def _form(link: client_links.OpenedLink) -> tuple[dict[str, Any], dict[str, Any] | None]:
    svc = services()
    if link.definition_id is None:
        return {"type": "object", "properties": {}}, None
    with svc.readers() as session:
        form = commands.task_form(session, link.definition_id, link.form_key, svc)
    if form is None:
        return {"type": "object", "properties": {}}, None
    return form.schema, form.ui


def _upload_fields(schema: dict[str, Any]) -> list[str]:
    return [k for k, node in (schema.get("properties") or {}).items() if node.get(UPLOAD)]


def _without_uploads(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema the page renders as fields: file answers get a file input of their own."""
    uploads = set(_upload_fields(schema))
    if not uploads:
        return schema
    properties = {k: v for k, v in (schema.get("properties") or {}).items() if k not in uploads}
    required = [k for k in schema.get("required") or [] if k not in uploads]
    return {**schema, "properties": properties, "required": required}


def _chunks(upload: FileStorage) -> Any:
    while chunk := upload.stream.read(64 * 1024):
        yield chunk


def _form_page(
    token: str,
    link: client_links.OpenedLink,
    *,
    values: dict[str, Any],
    errors: dict[str, str],
    general: list[str],
) -> str:
    schema, ui = _form(link)
    rows, _grow = row_counts(request.form) if request.method == "POST" else ({}, None)
    fields = build_fields(_without_uploads(schema), ui, values, errors, rows)
    uploads = [(key, schema["properties"][key]) for key in _upload_fields(schema)]
    return render_template(
        "self_service.html",
        token=token,
        fields=fields,
        all_fields=every_field(fields),
        errors=errors,
        general=general,
        uploads=uploads,
        upload_error=next((errors[k] for k, _node in uploads if k in errors), None),
        form_title=form_title(schema, link.task_title),
        **_frame(link),
    )


def _spent(link: client_links.OpenedLink) -> str:
    return render_template("self_service_spent.html", state=link.state, **_frame(link))


def _frame(link: client_links.OpenedLink) -> dict[str, Any]:
    office = load_offices(services().settings.offices_config).get(link.office)
    language = getattr(g, "link_language", "en")
    return {"office": office.context(language), "link": link}


def _explain_upload(exc: errors.CasewayError) -> str:
    if isinstance(exc, errors.TooLarge):
        return _("A file is too large: each file may be at most 10 MB.")
    return _("Only PDF, JPEG and PNG files can be sent.")


def _throttle() -> LoginThrottle:
    found = current_app.extensions.get("caseway_client_link_throttle")
    if found is None:
        found = LoginThrottle(services().clock, max_failures=10)
        current_app.extensions["caseway_client_link_throttle"] = found
    return found
