"""Supervisors keep every client covered: case owners, bulk reassignment, and the team,
caseload and queue views of their office (admins: any office with ?office=)."""

from __future__ import annotations

from dataclasses import asdict
from zoneinfo import ZoneInfo

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from engine.api.auth import current_principal
from engine.api.context import services
from engine.api.schemas import PageArgs
from engine.casework.unit_of_work import changing
from engine.supervision import ownership, views
from engine.supervision.people import supervised_office
from engine.supervision.reassign import MAX_TASKS, Selection, reassign

blp = Blueprint("supervision", __name__, url_prefix="/api")

_NAME = validate.Length(min=1, max=80)


class OfficeArgs(Schema):
    office = fields.String(validate=_NAME, metadata={"description": "admins: another office"})


class OfficePageArgs(PageArgs, OfficeArgs):
    pass


class OwnerArgs(OfficeArgs):
    user = fields.String(required=True, allow_none=True, validate=_NAME)


class OwnerSchema(Schema):
    business_key = fields.String()
    office = fields.String()
    owner = fields.String(allow_none=True)
    assigned_at = fields.AwareDateTime(allow_none=True)
    assigned_by = fields.String(allow_none=True)
    active = fields.Boolean()
    moved_tasks = fields.Integer()


class ReassignArgs(OfficeArgs):
    from_user = fields.String(validate=_NAME)
    business_key = fields.String(validate=validate.Length(min=1, max=200))
    task_ids = fields.List(
        fields.String(validate=validate.Length(min=1, max=36)),
        validate=validate.Length(min=1, max=MAX_TASKS),
    )
    queue = fields.String(validate=_NAME)
    to = fields.String(
        required=True,
        allow_none=True,
        validate=_NAME,
        metadata={"description": "username, or null for back to the queue"},
    )


class MovedSchema(Schema):
    moved = fields.Integer()


class AbsenceBriefSchema(Schema):
    id = fields.Integer()
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    cover = fields.String(allow_none=True)
    reason_category = fields.String()
    status = fields.String()


class WorkerSchema(Schema):
    username = fields.String()
    display_name = fields.String()
    roles = fields.List(fields.String())
    open_tasks = fields.Integer()
    overdue_tasks = fields.Integer()
    next_due_at = fields.AwareDateTime(allow_none=True)
    active_cases = fields.Integer()
    absent_now = fields.Boolean()
    absent_today = fields.Boolean()
    absence = fields.Nested(AbsenceBriefSchema, allow_none=True)
    covering_for = fields.List(fields.String())


class TeamPage(Schema):
    office = fields.String()
    items = fields.List(fields.Nested(WorkerSchema))
    total = fields.Integer()


class CaseloadSchema(Schema):
    username = fields.String()
    display_name = fields.String()
    active_cases = fields.Integer()
    target = fields.Integer()
    ratio = fields.Float(allow_none=True)
    over_target = fields.Boolean()


class CaseloadPage(Schema):
    office = fields.String()
    target = fields.Integer()
    unowned_active_cases = fields.Integer()
    items = fields.List(fields.Nested(CaseloadSchema))
    total = fields.Integer()


class QueueLineSchema(Schema):
    queue = fields.String()
    unassigned = fields.Integer()
    overdue = fields.Integer()
    oldest_created_at = fields.AwareDateTime()
    most_urgent_due_at = fields.AwareDateTime(allow_none=True)


class QueuePage(Schema):
    office = fields.String()
    items = fields.List(fields.Nested(QueueLineSchema))
    total = fields.Integer()


@blp.route("/cases/<path:business_key>/owner")
class CaseOwnerView(MethodView):
    @blp.arguments(OfficeArgs, location="query")
    @blp.response(200, OwnerSchema)
    def get(self, args: dict, business_key: str) -> dict:
        with services().readers() as session:
            found = ownership.get_owner(
                session, current_principal(), business_key, args.get("office")
            )
        return asdict(found)

    @blp.arguments(OwnerArgs)
    @blp.response(200, OwnerSchema)
    def put(self, args: dict, business_key: str) -> dict:
        """Make `user` the case's primary caseworker (null: nobody); the previous owner's open
        caseworker tasks of the case follow it."""
        svc = services()
        principal = current_principal()
        with changing(svc) as session:
            changed = ownership.set_owner(
                session, principal, business_key, args["user"], args.get("office"), svc.clock.now()
            )
        return asdict(changed)


@blp.route("/tasks/reassign")
class Reassign(MethodView):
    @blp.arguments(ReassignArgs)
    @blp.response(200, MovedSchema)
    def post(self, args: dict) -> dict:
        """Move the open tasks matching every given filter to `to`, in one transaction; 422
        listing the task ids `to` may not take, and then nothing moves."""
        svc = services()
        principal = current_principal()
        selection = Selection(
            from_user=args.get("from_user"),
            business_key=args.get("business_key"),
            task_ids=tuple(args.get("task_ids") or ()),
            queue=args.get("queue"),
            office=args.get("office"),
        )
        with changing(svc) as session:
            moved = reassign(session, principal, selection, args["to"], svc.clock.now())
        return {"moved": moved}


@blp.route("/team")
class Team(MethodView):
    @blp.arguments(OfficePageArgs, location="query")
    @blp.response(200, TeamPage)
    def get(self, args: dict) -> dict:
        svc = services()
        office = supervised_office(current_principal(), args.get("office"))
        zone = ZoneInfo(svc.runtime.calendar_for(office).timezone)
        with svc.readers() as session:
            lines = views.team(session, office, now=svc.clock.now(), zone=zone)
        return _page(office, [asdict(line) for line in lines], args)


@blp.route("/caseloads")
class Caseloads(MethodView):
    @blp.arguments(OfficePageArgs, location="query")
    @blp.response(200, CaseloadPage)
    def get(self, args: dict) -> dict:
        svc = services()
        office = supervised_office(current_principal(), args.get("office"))
        target = svc.settings.caseload_target
        with svc.readers() as session:
            lines = views.caseloads(session, office, target=target)
            unowned = views.unowned_active_cases(session, office)
        page = _page(office, [asdict(line) for line in lines], args)
        return {**page, "target": target, "unowned_active_cases": unowned}


@blp.route("/queues")
class Queues(MethodView):
    @blp.arguments(OfficePageArgs, location="query")
    @blp.response(200, QueuePage)
    def get(self, args: dict) -> dict:
        svc = services()
        office = supervised_office(current_principal(), args.get("office"))
        with svc.readers() as session:
            lines = views.queue_summary(session, office, now=svc.clock.now())
        return _page(office, [asdict(line) for line in lines], args)


def _page(office: str, items: list[dict], args: dict) -> dict:
    start = args["offset"]
    return {"office": office, "items": items[start : start + args["limit"]], "total": len(items)}
