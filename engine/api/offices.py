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
from engine.deadlines.closures import ClosureChange, add_closure, list_closures, remove_closure
from engine.identity.users import Principal

blp = Blueprint("offices", __name__, url_prefix="/api/offices")


class ClosureArgs(Schema):
    day = fields.Date(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))


class DryRunArgs(Schema):
    dry_run = fields.Boolean(
        load_default=False,
        metadata={"description": "list the deadlines that would move; change nothing"},
    )


class MovedTaskSchema(Schema):
    id = fields.String()
    title = fields.String()
    case_key = fields.String(allow_none=True)


class MoveSchema(Schema):
    timer_id = fields.String()
    instance_id = fields.String()
    timer_name = fields.String()
    from_ = fields.AwareDateTime(data_key="from")
    to = fields.AwareDateTime()
    tasks = fields.List(fields.Nested(MovedTaskSchema))


class ClosureSchema(Schema):
    office = fields.String()
    day = fields.Date()
    reason = fields.String()
    created_by = fields.String()


class ClosureChangeSchema(ClosureSchema):
    dry_run = fields.Boolean()
    moves = fields.List(fields.Nested(MoveSchema))
    moved = fields.Integer()


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
    @blp.arguments(DryRunArgs, location="query")
    @blp.response(201, ClosureChangeSchema)
    @blp.alt_response(200, schema=ClosureChangeSchema, description="dry run: nothing changed")
    def post(self, args: dict, query: dict, office: str) -> object:
        """Close the office on a day; open deadlines it reaches move (listed in `moves`)."""
        principal = current_principal()
        _may_change(principal, office)
        svc = services()
        with changing(svc) as session:
            change = add_closure(
                session,
                principal,
                office,
                args["day"],
                args["reason"],
                svc.clock.now(),
                svc.runtime.calendar_for(office),
                dry_run=query["dry_run"],
            )
        return _change(change), 200 if change.dry_run else 201


@blp.route("/<office>/closures/<isodate:day>")
class Closure(MethodView):
    @blp.arguments(DryRunArgs, location="query")
    @blp.response(204)
    @blp.alt_response(200, schema=ClosureChangeSchema, description="dry run: nothing changed")
    def delete(self, query: dict, office: str, day: date) -> object:
        """Open the office again on a day; deadlines that had skipped it move back."""
        principal = current_principal()
        _may_change(principal, office)
        svc = services()
        with changing(svc) as session:
            change = remove_closure(
                session,
                principal,
                office,
                day,
                svc.clock.now(),
                svc.runtime.calendar_for(office),
                dry_run=query["dry_run"],
            )
        if change.dry_run:
            return ClosureChangeSchema().dump(_change(change)), 200
        return Response(status=204)


def _change(change: ClosureChange) -> dict[str, object]:
    moves = [move.as_dict() for move in change.moves]
    for move in moves:
        move["from_"] = move.pop("from")
    return {
        "office": change.office,
        "day": change.day,
        "reason": change.reason,
        "created_by": change.created_by,
        "dry_run": change.dry_run,
        "moves": moves,
        "moved": len(moves),
    }
