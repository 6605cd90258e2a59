"""Absences: record a worker's time away (supervisors, or the worker), end it early, and hand
the moved work back once it is over."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from engine.api.auth import current_principal
from engine.api.context import services
from engine.api.schemas import PageArgs
from engine.api.supervision import MovedSchema
from engine.casework.unit_of_work import changing
from engine.supervision import absences
from engine.supervision.absences import REASON_CATEGORIES, AbsenceRequest, absence_dict

blp = Blueprint("absences", __name__, url_prefix="/api/users")


class AbsenceArgs(Schema):
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    cover = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=1, max=80),
        metadata={"description": "username of the cover; null: the work goes to the queue"},
    )
    reason_category = fields.String(required=True, validate=validate.OneOf(REASON_CATEGORIES))


class AbsenceSchema(Schema):
    id = fields.Integer()
    user = fields.String()
    office = fields.String()
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    cover = fields.String(allow_none=True)
    reason_category = fields.String()
    status = fields.String(metadata={"description": "scheduled, active, ended or cancelled"})
    moved_tasks = fields.Integer(metadata={"description": "tasks this absence sent elsewhere"})
    created_by = fields.String()
    created_at = fields.AwareDateTime()
    ended_by = fields.String(allow_none=True)


class AbsencePage(Schema):
    items = fields.List(fields.Nested(AbsenceSchema))
    total = fields.Integer()


@blp.route("/<username>/absences")
class Absences(MethodView):
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, AbsencePage)
    def get(self, args: dict, username: str) -> dict:
        svc = services()
        principal = current_principal()
        now = svc.clock.now()
        with svc.readers() as session:
            rows, total = absences.list_absences(
                session, principal, username, limit=args["limit"], offset=args["offset"]
            )
            moved = absences.moved_counts(session, [a.id for a in rows])
            items = [absence_dict(a, now, moved.get(a.id, 0)) for a in rows]
        return {"items": items, "total": total}

    @blp.arguments(AbsenceArgs)
    @blp.response(201, AbsenceSchema)
    def post(self, args: dict, username: str) -> dict:
        svc = services()
        principal = current_principal()
        now = svc.clock.now()
        request = AbsenceRequest(
            username=username,
            starts_at=args["starts_at"],
            ends_at=args["ends_at"],
            cover=args["cover"],
            reason_category=args["reason_category"],
        )
        with changing(svc) as session:
            absence = absences.add_absence(session, principal, request, now)
            moved = absences.moved_counts(session, [absence.id]).get(absence.id, 0)
            return absence_dict(absence, now, moved)


@blp.route("/<username>/absences/<int:absence_id>/end")
class EndAbsence(MethodView):
    @blp.response(200, AbsenceSchema)
    def post(self, username: str, absence_id: int) -> dict:
        """End a running absence now, or cancel a future one. Nothing moves back by itself."""
        svc = services()
        principal = current_principal()
        now = svc.clock.now()
        with changing(svc) as session:
            absence = absences.end_absence(session, principal, username, absence_id, now)
            moved = absences.moved_counts(session, [absence.id]).get(absence.id, 0)
            return absence_dict(absence, now, moved)


@blp.route("/<username>/absences/<int:absence_id>/hand-back")
class HandBack(MethodView):
    @blp.response(200, MovedSchema)
    def post(self, username: str, absence_id: int) -> dict:
        """Give the worker back the open tasks the absence moved that nobody has taken since."""
        svc = services()
        principal = current_principal()
        with changing(svc) as session:
            moved = absences.hand_back(session, principal, username, absence_id, svc.clock.now())
        return {"moved": moved}
