"""Office settings: where a four-eyes step goes when nobody else in the office may take it."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from engine.api.auth import current_principal
from engine.api.context import services
from engine.casework.unit_of_work import changing
from engine.supervision.four_eyes import read_fallback, require_office, set_fallback

blp = Blueprint("office_settings", __name__, url_prefix="/api/offices")


class FourEyesArgs(Schema):
    peer_office = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(min=1, max=80)
    )
    delegate = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(min=1, max=80)
    )


class FourEyesSchema(Schema):
    office = fields.String()
    peer_office = fields.String(allow_none=True)
    delegate = fields.String(allow_none=True)


@blp.route("/<office>/four-eyes")
class FourEyes(MethodView):
    @blp.response(200, FourEyesSchema)
    def get(self, office: str) -> object:
        """Where the office's four-eyes steps go when nobody else in it may take them."""
        principal = current_principal()
        with services().readers() as session:
            require_office(session, principal, office)
            return read_fallback(session, office)

    @blp.arguments(FourEyesArgs)
    @blp.response(200, FourEyesSchema)
    def put(self, args: dict, office: str) -> object:
        """A supervisor of the office names a peer office and/or a delegate (null: none)."""
        principal = current_principal()
        svc = services()
        with changing(svc) as session:
            require_office(session, principal, office)
            return set_fallback(
                session, principal, office, args["peer_office"], args["delegate"], svc.clock.now()
            )
