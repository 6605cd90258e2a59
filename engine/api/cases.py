"""Cases over HTTP: open, find, read (with the timeline), close, transfer, notes, attachments.
Domain rules live in engine/cases; this module parses, calls and presents."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

from flask import Response, request, send_file, session
from flask.views import MethodView
from flask_smorest import Blueprint
from werkzeug.exceptions import BadRequest

from engine.api.auth import current_principal
from engine.api.case_schemas import (
    AttachmentPage,
    AttachmentSchema,
    CaseListArgs,
    CasePage,
    CaseSchema,
    CloseArgs,
    NoteArgs,
    NotePage,
    NoteSchema,
    OfficeArgs,
    OpenCaseArgs,
    OpenedCaseSchema,
    TransferArgs,
)
from engine.api.context import services
from engine.api.present import task_dict
from engine.api.schemas import PageArgs
from engine.audit import record
from engine.cases import attachments, notes, timeline, views
from engine.cases.closing import close_case
from engine.cases.lookup import readable_case
from engine.cases.opening import OpenRequest, open_case
from engine.cases.records import Client
from engine.cases.search import CaseQuery, search
from engine.cases.transfer import transfer_case
from engine.casework.unit_of_work import changing
from engine.store.models import Case as CaseRow
from engine.store.models import CaseAttachment

blp = Blueprint("cases", __name__, url_prefix="/api/cases")

LANGUAGES = ("en", "fr")
UPLOAD_BODY = {
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {"file": {"type": "string", "format": "binary"}},
            }
        }
    }
}


@blp.route("")
class Cases(MethodView):
    @blp.arguments(OpenCaseArgs)
    @blp.response(201, OpenedCaseSchema)
    def post(self, args: dict) -> dict:
        """Open a case for a client and start its first process (one transaction)."""
        client, contact = args["client"], args["client"].get("contact") or {}
        opened = open_case(
            services(),
            current_principal(),
            OpenRequest(
                process_id=args["process_id"],
                key=args.get("key"),
                data=args["data"],
                client=Client(
                    name=client["name"].strip(),
                    preferred_language=client.get("preferred_language"),
                    date_of_birth=client.get("date_of_birth"),
                    email=contact.get("email"),
                    phone=contact.get("phone"),
                    address=contact.get("address"),
                    safe_contact=client["safe_contact"],
                    interpreter_needed=client["interpreter_needed"],
                ),
            ),
        )
        with services().readers() as db:
            case = readable_case(db, current_principal(), opened.key, opened.office)
            return {**views.summary(case), "instance_id": opened.instance_id}

    @blp.arguments(CaseListArgs, location="query")
    @blp.response(200, CasePage)
    def get(self, args: dict) -> dict:
        """Search the cases the caller may see; the search is audited (it reads client data)."""
        principal = current_principal()
        wanted = CaseQuery(args.get("q"), args.get("status"), args["limit"], args["offset"])
        with services().readers() as db:
            rows, total = search(db, principal, wanted)
        _audit("case.search", None, q=args.get("q"), total=total)
        return {"items": [views.summary(c) for c in rows], "total": total}


@blp.route("/<key>")
class Case(MethodView):
    @blp.arguments(OfficeArgs, location="query")
    @blp.response(200, CaseSchema)
    def get(self, args: dict, key: str) -> dict:
        """The case with its owner, instances, open tasks and timeline (`Accept-Language`
        en/fr); every read is audited."""
        svc = services()
        with svc.readers() as db:
            case = readable_case(db, current_principal(), key, args.get("office"))
            body, tasks = views.detail(db, case)
            body["tasks"] = [task_dict(t) for t in tasks]
            body["timeline"] = timeline.build(db, svc, case, _language())
        _audit("case.read", case.id)
        return body


@blp.route("/<key>/close")
class Close(MethodView):
    @blp.arguments(CloseArgs)
    @blp.response(200, CaseSchema)
    def post(self, args: dict, key: str) -> dict:
        """Close the case: its open tasks, timers and message waits end with it."""
        case = close_case(services(), current_principal(), key, args.get("office"), args["reason"])
        return _case_body(case.id)


@blp.route("/<key>/transfer")
class Transfer(MethodView):
    @blp.arguments(TransferArgs)
    @blp.response(200, CaseSchema)
    def post(self, args: dict, key: str) -> dict:
        """Move the case and its open work to another office's queues (unclaimed, no owner);
        the answer shows the case as it now is, in its new office."""
        case = transfer_case(services(), current_principal(), key, None, args["office"])
        return _case_body(case.id)


@blp.route("/<key>/notes")
class Notes(MethodView):
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, NotePage)
    def get(self, args: dict, key: str) -> dict:
        with services().readers() as db:
            case = readable_case(db, current_principal(), key)
            rows, total = notes.list_notes(db, case, args["limit"], args["offset"])
            items = [_note(n) for n in rows]
        _audit("case.notes_read", case.id)
        return {"items": items, "total": total}

    @blp.arguments(NoteArgs)
    @blp.response(201, NoteSchema)
    def post(self, args: dict, key: str) -> dict:
        svc, principal = services(), current_principal()
        with changing(svc) as db:
            case = readable_case(db, principal, key)
            return _note(notes.add_note(db, principal, case, args["body"], svc.clock.now()))


@blp.route("/<key>/notes/<int:note_id>")
class Note(MethodView):
    @blp.arguments(NoteArgs)
    @blp.response(200, NoteSchema)
    def patch(self, args: dict, key: str, note_id: int) -> dict:
        """Correct a note: its author only, within 15 minutes of writing it (then 409)."""
        svc, principal = services(), current_principal()
        with changing(svc) as db:
            case = readable_case(db, principal, key)
            note = notes.edit_note(db, principal, case, note_id, args["body"], svc.clock.now())
            return _note(note)


@blp.route("/<key>/attachments")
class Attachments(MethodView):
    # Read by engine.api.input_limits before the form is parsed (the app-wide limit is lower).
    max_content_length = attachments.MAX_BYTES + 64 * 1024

    @blp.arguments(PageArgs, location="query")
    @blp.response(200, AttachmentPage)
    def get(self, args: dict, key: str) -> dict:
        with services().readers() as db:
            case = readable_case(db, current_principal(), key)
            rows, total = attachments.list_attachments(db, case, args["limit"], args["offset"])
            return {"items": [_attachment(a) for a in rows], "total": total}

    @blp.response(201, AttachmentSchema)
    @blp.doc(requestBody=UPLOAD_BODY)
    def post(self, key: str) -> dict:
        """A `file` part: PDF, JPEG or PNG (by content), at most 10 MB (413, else 415)."""
        svc, principal = services(), current_principal()
        with svc.readers() as db:  # a case the caller cannot see is a 404 before any upload
            readable_case(db, principal, key)
        upload = request.files.get("file")
        if upload is None:
            raise BadRequest("send the document as a multipart/form-data part named 'file'")
        try:
            content = attachments.read_upload(_chunks(upload.stream))
        finally:
            upload.close()  # a large part is spooled to a temporary file
        item: CaseAttachment | None = None
        try:
            with changing(svc) as db:
                case = readable_case(db, principal, key)
                item = attachments.add_attachment(
                    svc, db, principal, case, upload.filename or "document", content
                )
                return _attachment(item)
        except BaseException:
            attachments.discard(svc, item)
            raise


@blp.route("/<key>/attachments/<int:attachment_id>")
class Attachment(MethodView):
    @blp.response(200, {"format": "binary", "type": "string"}, content_type="application/pdf")
    def get(self, key: str, attachment_id: int) -> Response:
        """The document itself; every download is audited."""
        svc = services()
        with svc.readers() as db:
            case = readable_case(db, current_principal(), key)
            item = attachments.attachment_of(db, case, attachment_id)
            content = attachments.content_of(svc, item)
        _audit("case.attachment_read", case.id, attachment_id=attachment_id)
        return send_file(
            io.BytesIO(content),
            mimetype=item.content_type,
            as_attachment=True,
            download_name=item.filename,
        )


def _case_body(case_id: int) -> dict[str, Any]:
    """The case a command just changed (the caller acted on it, so no visibility check)."""
    svc = services()
    with svc.readers() as db:
        case = db.get_one(CaseRow, case_id)
        body, tasks = views.detail(db, case)
        body["tasks"] = [task_dict(t) for t in tasks]
        body["timeline"] = timeline.build(db, svc, case, _language())
    return body


def _chunks(stream: Any, size: int = 64 * 1024) -> Iterator[bytes]:
    while chunk := stream.read(size):
        yield chunk


def _language() -> str:
    """The web session's chosen language, else the request's Accept-Language, else English."""
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return str(chosen)
    return request.accept_languages.best_match(LANGUAGES) or LANGUAGES[0]


def _audit(action: str, case_id: int | None, **detail: Any) -> None:
    """Reading client data is itself recorded: who looked at which case, and when."""
    svc, principal = services(), current_principal()
    with changing(svc) as db:
        record(
            db,
            at=svc.clock.now(),
            actor=principal.username,
            action=action,
            case_id=case_id,
            **detail,
        )


def _note(note: Any) -> dict[str, Any]:
    return {
        "id": note.id,
        "author": note.author,
        "body": note.body,
        "created_at": note.created_at,
        "edited_at": note.edited_at,
    }


def _attachment(item: CaseAttachment) -> dict[str, Any]:
    return {
        "id": item.id,
        "filename": item.filename,
        "content_type": item.content_type,
        "size_bytes": item.size_bytes,
        "sha256": item.sha256,
        "uploaded_by": item.uploaded_by,
        "uploaded_at": item.uploaded_at,
    }
