"""Case pages: find a case, open one, read it (client, open work, timeline, diagrams, notes,
attachments) and act on it (note, upload, close, transfer).

Every change goes through engine.cases (the functions the API calls), inside
`casework.unit_of_work.changing` or the domain's own command transaction; what a page offers
comes from the same permission rules (engine.cases.permissions, engine.policy).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from engine import policy
from engine.api.context import services
from engine.audit import record
from engine.cases import attachments, notes
from engine.cases.closing import close_case
from engine.cases.lookup import readable_case
from engine.cases.opening import OpenRequest, open_case
from engine.cases.search import CaseQuery, search
from engine.cases.starting import Startable, startable, startable_processes
from engine.cases.transfer import transfer_case
from engine.casework import client_links
from engine.casework.unit_of_work import changing
from engine.deadlines.views import stopped_clocks
from engine.definitions.forms import FormInvalid, validate_submission
from engine.errors import NotFound, TooLarge, UnsupportedType
from engine.identity.users import Principal
from engine.store.models import Case, CaseAttachment
from engine.web import client_form
from engine.web.case_file import case_file
from engine.web.case_messages import waiting_messages
from engine.web.feedback import DOMAIN_ERRORS, explain
from engine.web.formparse import explain as explain_form
from engine.web.formparse import parse_submission, row_counts
from engine.web.formview import build_fields, flatten, form_title
from engine.web.guard import protect, require
from engine.web.i18n import current_language

casefile = protect(Blueprint("casefile", __name__))
PAGE_SIZE = 50


def may_open_cases(principal: Principal) -> bool:
    return policy.may_open_cases(principal)


@casefile.get("/cases")
def find() -> str:
    """Results of the header's case search (name, key or date of birth); audited."""
    principal = require(policy.Action.WORK)
    q = (request.args.get("q") or "").strip()[:200]
    offset = max(request.args.get("offset", 0, type=int), 0)
    rows: list[Case] = []
    total = 0
    if q:
        with services().readers() as session:
            rows, total = search(session, principal, CaseQuery(q, None, PAGE_SIZE, offset))
        _audit(principal, "case.search", None, q=q, total=total)
    return render_template(
        "case_search.html", q=q, rows=rows, total=total, offset=offset, limit=PAGE_SIZE
    )


@casefile.get("/cases/new")
def new_case() -> str:
    """Step 1: choose the process; step 2 (`?process=`): the client block and its start form."""
    _opener()
    process_id = request.args.get("process")
    if not process_id:
        with services().readers() as session:
            choices = startable_processes(services(), session)
        return render_template("case_new.html", choices=choices, chosen=None)
    return _new_case_page(_chosen(process_id))[0]


@casefile.post("/cases/new")
def create_case() -> tuple[str, int] | Response:
    principal = _opener()
    chosen = _chosen(request.form.get("process_id", ""))
    start_schema = chosen.form.schema if chosen.form else {}
    start_ui = chosen.form.ui if chosen.form else None
    rows, grow = row_counts(request.form)
    client_fields = build_fields(client_form.SCHEMA, client_form.UI, {}, {}, rows)
    start_fields = build_fields(start_schema, start_ui, {}, {}, rows)
    client_data, client_unreadable, client_raw = parse_submission(client_fields, request.form)
    data, unreadable, raw = parse_submission(start_fields, request.form)
    values = {**raw, **client_raw}
    if grow is not None:  # "add another": one more row, open nothing
        return _new_case_page(chosen, values=values, rows=rows)
    client, client_errors = client_form.read_client(client_data)
    errors = {**client_unreadable, **unreadable}
    errors.update({k: v for k, v in client_errors.items() if k not in errors})
    if errors or client is None:  # the start form's verdict too, so every error shows at once
        general: list[str] = []
        try:
            validate_submission(start_schema, data)
        except FormInvalid as exc:
            found, general = explain_form(start_schema, data, exc.errors)
            errors.update({k: v for k, v in found.items() if k not in errors})
        return _new_case_page(
            chosen, errors=errors, general=general, values=values, rows=rows, code=422
        )
    try:
        opened = open_case(
            services(), principal, OpenRequest(chosen.process_id, client, data, key=None)
        )
    except FormInvalid as exc:
        found, general = explain_form(start_schema, data, exc.errors)
        return _new_case_page(
            chosen, errors=found, general=general, values=values, rows=rows, code=422
        )
    except DOMAIN_ERRORS as exc:
        return _new_case_page(chosen, general=[explain(exc)], values=values, rows=rows, code=422)
    flash(_("Case %(key)s is open.", key=opened.key), "success")
    return redirect(url_for("casefile.case", key=opened.key))


@casefile.get("/cases/<key>")
def case(key: str) -> str:
    principal = require(policy.Action.WORK)
    svc = services()
    with svc.readers() as session:
        file = case_file(
            session, svc, principal, key, request.args.get("office"), current_language()
        )
        links = client_links.links_of_case(session, file.case.key, file.case.office)
        link_states = client_links.states(session, links, svc.clock.now())
        recordable = waiting_messages(session, file.case.id)
        clocks = stopped_clocks(session, file.case.id)
    _audit(principal, "case.read", file.case.id)
    return render_template(
        "case.html",
        file=file,
        recordable=recordable,
        clocks=clocks,
        principal=principal,
        now=svc.clock.now(),
        max_mb=attachments.MAX_BYTES // (1024 * 1024),
        links=links,
        link_states=link_states,
    )


@casefile.post("/cases/<key>/client-links")
def send_client_link(key: str) -> Response:
    """Send the client a self-service link to one open task's form."""
    principal = require(policy.Action.WORK)
    office = request.form.get("office") or None
    task_id = request.form.get("task_id", "")
    _attempt(
        lambda: client_links.issue(services(), principal, task_id),
        _("A link was sent to the client. It works once, for %(days)s days.", days=_link_days()),
    )
    return redirect(url_for("casefile.case", key=key, office=office) + "#client-links")


@casefile.post("/cases/<key>/client-links/<link_id>/revoke")
def revoke_client_link(key: str, link_id: str) -> Response:
    principal = require(policy.Action.WORK)
    office = request.form.get("office") or None
    _attempt(
        lambda: client_links.revoke(services(), principal, link_id),
        _("The link is cancelled: it no longer works."),
    )
    return redirect(url_for("casefile.case", key=key, office=office) + "#client-links")


def _link_days() -> int:
    return services().settings.client_link_days


@casefile.post("/cases/<key>/notes")
def add_note(key: str) -> Response:
    principal = require(policy.Action.WORK)
    svc = services()

    def write() -> None:
        with changing(svc) as session:
            found = readable_case(session, principal, key)
            notes.add_note(session, principal, found, request.form.get("body", ""), svc.clock.now())

    _attempt(write, _("Your note is saved."))
    return redirect(url_for("casefile.case", key=key) + "#notes")


@casefile.post("/cases/<key>/notes/<int:note_id>")
def edit_note(key: str, note_id: int) -> Response:
    principal = require(policy.Action.WORK)
    svc = services()
    body = request.form.get("body", "")

    def write() -> None:
        with changing(svc) as session:
            found = readable_case(session, principal, key)
            notes.edit_note(session, principal, found, note_id, body, svc.clock.now())

    _attempt(write, _("Your note is corrected."))
    return redirect(url_for("casefile.case", key=key) + "#notes")


@casefile.post("/cases/<key>/attachments")
def upload(key: str) -> Response:
    """A PDF, JPEG or PNG of at most 10 MB (by content); too large or another kind is said
    plainly on the case page."""
    principal = require(policy.Action.WORK)
    svc = services()
    with svc.readers() as session:  # a case the reader cannot see is a 404 before any upload
        readable_case(session, principal, key)
    target = redirect(url_for("casefile.case", key=key) + "#attachments")
    part = request.files.get("file")
    if part is None or not part.filename:
        flash(_("Choose a file to attach."), "error")
        return target
    try:
        content = attachments.read_upload(_chunks(part.stream))
    except TooLarge:
        flash(_too_large(), "error")
        return target
    except UnsupportedType:
        flash(_("Only PDF, JPEG and PNG files can be attached."), "error")
        return target
    finally:
        part.close()
    item: CaseAttachment | None = None

    def write() -> None:
        nonlocal item
        try:
            with changing(svc) as session:
                found = readable_case(session, principal, key)
                item = attachments.add_attachment(
                    svc, session, principal, found, part.filename or "document", content
                )
        except BaseException:
            attachments.discard(svc, item)
            raise

    _attempt(write, _("The file is attached."))
    return target


# Read by engine.api.input_limits before the form is parsed (the app-wide limit is lower).
upload.max_content_length = attachments.MAX_BYTES + 64 * 1024  # type: ignore[attr-defined]


@casefile.get("/cases/<key>/attachments/<int:attachment_id>")
def download(key: str, attachment_id: int) -> Response:
    principal = require(policy.Action.WORK)
    svc = services()
    with svc.readers() as session:
        found = readable_case(session, principal, key, request.args.get("office"))
        item = attachments.attachment_of(session, found, attachment_id)
        content = attachments.content_of(svc, item)
    _audit(principal, "case.attachment_read", found.id, attachment_id=attachment_id)
    return send_file(
        io.BytesIO(content),
        mimetype=item.content_type,
        as_attachment=True,
        download_name=item.filename,
    )


@casefile.post("/cases/<key>/close")
def close(key: str) -> Response:
    principal = require(policy.Action.WORK)
    reason = request.form.get("reason", "")
    office = request.form.get("office") or None
    _attempt(
        lambda: close_case(services(), principal, key, office, reason), _("The case is closed.")
    )
    return redirect(url_for("casefile.case", key=key, office=office))


@casefile.post("/cases/<key>/transfer")
def transfer(key: str) -> Response:
    principal = require(policy.Action.WORK)
    target = request.form.get("to_office", "")
    office = request.form.get("office") or None
    moved = _attempt(
        lambda: transfer_case(services(), principal, key, office, target),
        _("The case was transferred to office %(office)s.", office=target),
    )
    if moved and not policy.reaches_office(principal, target):
        return redirect(url_for("work.inbox"))  # it is no longer visible here
    return redirect(url_for("casefile.case", key=key, office=target if moved else office))


@casefile.errorhandler(RequestEntityTooLarge)
def _upload_too_large(_exc: RequestEntityTooLarge) -> tuple[str, int]:
    return render_template(
        "error.html", title=_("The file is too large"), detail=_too_large(), status=413
    ), 413


def _too_large() -> str:
    limit = attachments.MAX_BYTES // (1024 * 1024)
    return _(
        "The file is larger than %(mb)s MB. Attach a smaller file, or scan it at a lower "
        "resolution.",
        mb=limit,
    )


def _opener() -> Principal:
    principal = require(policy.Action.WORK)
    if not may_open_cases(principal):
        abort(403)
    return principal


def _chosen(process_id: str) -> Startable:
    with services().readers() as session:
        found = startable(services(), session, process_id)
    if found is None:
        abort(404)
    return found


def _new_case_page(
    chosen: Startable,
    *,
    errors: dict[str, str] | None = None,
    general: list[str] | None = None,
    values: dict[str, Any] | None = None,
    rows: dict[str, int] | None = None,
    code: int = 200,
) -> tuple[str, int]:
    shown, problems = values or {}, errors or {}
    schema = chosen.form.schema if chosen.form else {}
    ui = chosen.form.ui if chosen.form else None
    client_fields = build_fields(client_form.SCHEMA, client_form.UI, shown, problems, rows)
    start_fields = build_fields(schema, ui, shown, problems, rows)
    page = render_template(
        "case_new.html",
        chosen=chosen,
        choices=[],
        client_fields=client_fields,
        start_fields=start_fields,
        flat=flatten(client_fields) + flatten(start_fields),
        errors=problems,
        general=general or [],
        start_title=form_title(schema, chosen.name),
    )
    return page, code


def attempt(action: Callable[[], object], success: str) -> bool:
    """Run a command from a case page; a refusal becomes a message on the page."""
    return _attempt(action, success)


def _attempt(action: Callable[[], object], success: str) -> bool:
    """Run a command; a refusal becomes a message on the page. A case the reader cannot see
    stays a 404 page, as on a read."""
    try:
        action()
    except NotFound:
        raise
    except DOMAIN_ERRORS as exc:
        flash(explain(exc), "error")
        return False
    flash(success, "success")
    return True


def _chunks(stream: Any, size: int = 64 * 1024) -> Iterator[bytes]:
    while chunk := stream.read(size):
        yield chunk


def _audit(principal: Principal, action: str, case_id: int | None, **detail: Any) -> None:
    """Reading client data is itself recorded (DESIGN rule 8), as the API does."""
    svc = services()
    with changing(svc) as session:
        record(
            session,
            at=svc.clock.now(),
            actor=principal.username,
            action=action,
            case_id=case_id,
            **detail,
        )
