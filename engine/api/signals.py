"""Signals: a broadcast by name to every case of an office waiting for it (BPMN signals)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from engine.api.auth import current_principal
from engine.api.context import services
from engine.casework import signals

blp = Blueprint("signals", __name__, url_prefix="/api/signals")


class SignalArgs(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=190))
    data = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=100)), load_default=dict
    )
    office = fields.String(load_default=None, validate=validate.Length(min=1, max=100))


class SignalSentSchema(Schema):
    name = fields.String()
    office = fields.String()
    instance_ids = fields.List(fields.String())


@blp.route("")
class Signals(MethodView):
    @blp.arguments(SignalArgs)
    @blp.response(202, SignalSentSchema)
    def post(self, args: dict) -> dict:
        """Send `{name, data}` to every case of the office waiting for it (none is fine)."""
        principal = current_principal()
        office = args["office"] or principal.office
        reached = signals.broadcast_signal(
            services(), principal, args["name"], args["data"], office
        )
        return {"name": args["name"], "office": office, "instance_ids": reached}
