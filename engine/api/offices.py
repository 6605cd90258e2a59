"""Office closure days: supervisors add the days their office is closed beyond holidays."""

from __future__ import annotations

from datetime import date

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from engine import errors, policy
from engine.api.auth import current_principal
from engine.api.context import services
from engine.casework.unit_of_work import changing
from engine.deadlines.closures import add_closure, list_closures, remove_closure
from engine.identity.users import Principal

blp = Blueprint("offices", __name__, url_prefix="/api/offices")


class ClosureArgs(Schema):
    day = fields.Date(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))


class ClosureSchema(Schema):
    office = fields.String()
    day = fields.Date()
    reason = fields.String()
    created_by = fields.String()


class ClosurePage(Schema):
    items = fields.List(fields.Nested(ClosureSchema))
    total = fields.Integer()


def _may_read(principal: Principal, office: str) -> None:
    if not policy.reaches_office(principal, office):
        raise errors.NotFound(f"office {office!r} not found")


def _may_change(principal: Principal, office: str) -> None:
    _may_read(principal, office)
    if not policy.may(principal, policy.Action.SUPERVISE):
        raise errors.Forbidden("only supervisors change office closures")


@blp.route("/<office>/closures")
class Closures(MethodView):
    @blp.response(200, ClosurePage)
    def get(self, office: str) -> dict:
        principal = current_principal()
        _may_read(principal, office)
        with services().readers() as session:
            rows = list_closures(session, office)
        return {"items": rows, "total": len(rows)}

    @blp.arguments(ClosureArgs)
    @blp.response(201, ClosureSchema)
    def post(self, args: dict, office: str) -> object:
        principal = current_principal()
        _may_change(principal, office)
        svc = services()
        with changing(svc) as session:
            return add_closure(
                session, principal, office, args["day"], args["reason"], svc.clock.now()
            )


@blp.route("/<office>/closures/<isodate:day>")
class Closure(MethodView):
    @blp.response(204)
    def delete(self, office: str, day: date) -> Response:
        principal = current_principal()
        _may_change(principal, office)
        svc = services()
        with changing(svc) as session:
            remove_closure(session, principal, office, day, svc.clock.now())
        return Response(status=204)
