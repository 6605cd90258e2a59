"""The undelivered list: messages the dispatcher could not send (failed) or had no way to send
(no_channel), for supervisors to send again or to record as handled by phone."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from engine.api.auth import current_principal
from engine.api.context import services
from engine.api.schemas import PageArgs
from engine.casework.unit_of_work import changing
from engine.delivery import undelivered

blp = Blueprint("outbox", __name__, url_prefix="/api/outbox")


class OutboxArgs(PageArgs):
    status = fields.String(
        load_default=None,
        validate=validate.OneOf(["failed", "no_channel", "pending", "sent", "handled"]),
        metadata={"description": "default: the undelivered list (failed and no_channel)"},
    )


class HandledArgs(Schema):
    note = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class MessageSchema(Schema):
    id = fields.Integer()
    instance_id = fields.String()
    office = fields.String(allow_none=True)
    channel = fields.String()
    kind = fields.String(allow_none=True)
    recipient = fields.String()
    subject = fields.String()
    language = fields.String(allow_none=True)
    status = fields.String()
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    provider_id = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
    sent_at = fields.AwareDateTime(allow_none=True)
    next_attempt_at = fields.AwareDateTime(allow_none=True)
    handled_by = fields.String(allow_none=True)
    handled_note = fields.String(allow_none=True)


class MessagePage(Schema):
    items = fields.List(fields.Nested(MessageSchema))
    total = fields.Integer()


@blp.route("")
class Outbox(MethodView):
    @blp.arguments(OutboxArgs, location="query")
    @blp.response(200, MessagePage)
    def get(self, args: dict) -> dict:
        """Supervisors: their office's messages; admins: every office's."""
        principal = current_principal()
        statuses = (args["status"],) if args["status"] else undelivered.UNDELIVERED
        with services().readers() as session:
            rows, total = undelivered.list_messages(
                session, principal, statuses, args["limit"], args["offset"]
            )
            return {"items": [undelivered.message_dict(r) for r in rows], "total": total}


@blp.route("/<int(max=9223372036854775807):outbox_id>/retry")
class Retry(MethodView):
    @blp.response(200, MessageSchema)
    def post(self, outbox_id: int) -> dict:
        """Due again now, with a fresh attempt budget."""
        svc = services()
        principal = current_principal()
        with changing(svc) as session:
            row = undelivered.retry(session, principal, outbox_id, svc.clock.now())
            return undelivered.message_dict(row)


@blp.route("/<int(max=9223372036854775807):outbox_id>/handled")
class Handled(MethodView):
    @blp.arguments(HandledArgs)
    @blp.response(200, MessageSchema)
    def post(self, args: dict, outbox_id: int) -> dict:
        """Delivered another way (by phone): it leaves the list and is never sent."""
        svc = services()
        principal = current_principal()
        with changing(svc) as session:
            row = undelivered.mark_handled(
                session, principal, outbox_id, args["note"], svc.clock.now()
            )
            return undelivered.message_dict(row)
