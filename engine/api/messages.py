"""Partners and systems post messages; each reaches the one case waiting with that correlation."""

from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from engine.api.auth import current_principal
from engine.api.context import services
from engine.api.idempotency import idempotent
from engine.casework import commands, message_starts
from engine.errors import NotFound

blp = Blueprint("messages", __name__, url_prefix="/api/messages")


class CorrelatedMessageArgs(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    correlation = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=100)),
        values=fields.Raw(),
        required=True,
        validate=validate.Length(min=1, max=10),
    )
    payload = fields.Raw(load_default=dict)


class DeliveredSchema(Schema):
    instance_id = fields.String()
    name = fields.String()


@blp.route("")
class Messages(MethodView):
    @idempotent(lambda resource, _view_args: (202, _delivered_again(resource)))
    @blp.arguments(CorrelatedMessageArgs)
    @blp.response(202, DeliveredSchema)
    def post(self, args: dict) -> dict:
        """Deliver `{name, correlation, payload}`; 409 if several cases wait. When no case waits
        and a deployed process starts on that message, it starts one; otherwise 404."""
        principal = current_principal(allow_partner=True)
        svc, name = services(), args["name"]
        try:
            instance_id = commands.deliver_correlated_message(
                svc, principal, name, args["correlation"], args["payload"]
            )
        except NotFound:
            if not message_starts.has_message_start(svc, name):
                raise
            instance_id = message_starts.start_on_message(
                svc, principal, name, args["correlation"], args["payload"]
            )
        return {"instance_id": instance_id, "name": name}


def _delivered_again(instance_id: str | None) -> dict:
    """A keyed request answered again (its first answer was never stored): same body as then."""
    name = (request.get_json(silent=True) or {}).get("name")
    return DeliveredSchema().dump({"instance_id": instance_id, "name": name})
