"""marshmallow schemas of the case API (requests validated, responses described in OpenAPI)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from engine.api.schemas import PageArgs, TaskSchema
from engine.cases.closing import CLOSE_REASONS
from engine.cases.notes import MAX_LENGTH
from engine.cases.records import LANGUAGES

_KEY = validate.Length(min=1, max=200)
_OFFICE = validate.Length(min=1, max=80)


class ContactSchema(Schema):
    email = fields.Email(allow_none=True, validate=validate.Length(max=200))
    phone = fields.String(
        allow_none=True, validate=validate.Regexp(r"^\+?[0-9 ()\-.x]{7,40}$", error="not a phone")
    )
    address = fields.String(allow_none=True, validate=validate.Length(max=400))


class ClientSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    preferred_language = fields.String(allow_none=True, validate=validate.OneOf(LANGUAGES))
    date_of_birth = fields.Date(allow_none=True)
    contact = fields.Nested(ContactSchema, load_default=dict)
    safe_contact = fields.Boolean(
        load_default=False,
        metadata={"description": "do not leave messages, do not mail"},
    )
    interpreter_needed = fields.Boolean(load_default=False)


class OpenCaseArgs(Schema):
    process_id = fields.String(required=True, validate=_KEY)
    key = fields.String(
        validate=_KEY, metadata={"description": "omit for the office's next C-<year>-<number>"}
    )
    client = fields.Nested(ClientSchema, required=True)
    data = fields.Dict(keys=fields.String(), load_default=dict)


class CaseListArgs(PageArgs):
    q = fields.String(
        validate=validate.Length(max=200),
        metadata={"description": "client name (any case or accents), key, or YYYY-MM-DD birth"},
    )
    status = fields.String(validate=validate.OneOf(["open", "closed"]))


class OfficeArgs(Schema):
    office = fields.String(validate=_OFFICE, metadata={"description": "admins: another office"})


class CloseArgs(OfficeArgs):
    reason = fields.String(required=True, validate=validate.OneOf(list(CLOSE_REASONS)))


class TransferArgs(Schema):
    office = fields.String(required=True, validate=_OFFICE)


class NoteArgs(Schema):
    body = fields.String(required=True, validate=validate.Length(min=1, max=MAX_LENGTH))


class CaseClientSchema(Schema):
    name = fields.String()
    preferred_language = fields.String(allow_none=True)
    date_of_birth = fields.Date(allow_none=True)
    contact = fields.Nested(ContactSchema)
    safe_contact = fields.Boolean()
    interpreter_needed = fields.Boolean()


class CaseSummarySchema(Schema):
    key = fields.String()
    office = fields.String()
    status = fields.String()
    client = fields.Nested(CaseClientSchema)
    opened_at = fields.AwareDateTime()
    opened_by = fields.String()
    closed_at = fields.AwareDateTime(allow_none=True)
    closed_by = fields.String(allow_none=True)
    close_reason = fields.String(allow_none=True)


class CasePage(Schema):
    items = fields.List(fields.Nested(CaseSummarySchema))
    total = fields.Integer()


class CaseInstanceSchema(Schema):
    id = fields.String()
    process_id = fields.String()
    version = fields.Integer()
    business_key = fields.String()
    status = fields.String()
    created_at = fields.AwareDateTime()


class TimelineValueSchema(Schema):
    label = fields.String()
    value = fields.String()


class TimelineEntrySchema(Schema):
    at = fields.AwareDateTime()
    actor = fields.String()
    kind = fields.String(
        metadata={"description": "case, process, task, incident, note, attachment"}
    )
    title = fields.String()
    entries = fields.List(fields.Nested(TimelineValueSchema))


class CaseSchema(CaseSummarySchema):
    owner = fields.String(allow_none=True)
    instances = fields.List(fields.Nested(CaseInstanceSchema))
    tasks = fields.List(fields.Nested(TaskSchema), metadata={"description": "open tasks"})
    timeline = fields.List(fields.Nested(TimelineEntrySchema))


class OpenedCaseSchema(CaseSummarySchema):
    instance_id = fields.String()


class NoteSchema(Schema):
    id = fields.Integer()
    author = fields.String()
    body = fields.String()
    created_at = fields.AwareDateTime()
    edited_at = fields.AwareDateTime(allow_none=True)


class NotePage(Schema):
    items = fields.List(fields.Nested(NoteSchema))
    total = fields.Integer()


class AttachmentSchema(Schema):
    id = fields.Integer()
    filename = fields.String()
    content_type = fields.String()
    size_bytes = fields.Integer()
    sha256 = fields.String()
    uploaded_by = fields.String()
    uploaded_at = fields.AwareDateTime()


class AttachmentPage(Schema):
    items = fields.List(fields.Nested(AttachmentSchema))
    total = fields.Integer()


class IncidentRowSchema(Schema):
    id = fields.Integer()
    case_key = fields.String(allow_none=True)
    office = fields.String()
    instance_id = fields.String()
    process_id = fields.String()
    version = fields.Integer()
    instance_status = fields.String()
    step = fields.String(allow_none=True)
    kind = fields.String()
    message = fields.String()
    created_at = fields.AwareDateTime()


class IncidentPage(Schema):
    items = fields.List(fields.Nested(IncidentRowSchema))
    total = fields.Integer()


class DataFixArgs(Schema):
    data = fields.Dict(keys=fields.String(), required=True, validate=validate.Length(min=1))
