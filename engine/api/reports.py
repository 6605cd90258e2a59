"""Supervisors watch service standards: open, overdue, met and missed, by queue and task."""

from __future__ import annotations

from datetime import timedelta

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from engine import errors, policy
from engine.api.auth import current_principal
from engine.api.context import services
from engine.supervision.reports import office_calendars, service_standards

blp = Blueprint("reports", __name__, url_prefix="/api/reports")


class ReportArgs(Schema):
    since = fields.AwareDateTime(
        metadata={"description": "start of the range (default: 28 days ago)"}
    )
    until = fields.AwareDateTime(metadata={"description": "end of the range (default: now)"})
    office = fields.String(validate=validate.Length(min=1, max=80))


class StandardLineSchema(Schema):
    queue = fields.String()
    process_id = fields.String()
    task_name = fields.String()
    title = fields.String()
    open = fields.Integer()
    overdue = fields.Integer()
    completed_on_time = fields.Integer()
    completed_no_standard = fields.Integer()
    completed_late = fields.Integer()
    escalated = fields.Integer()
    median_hours_to_complete = fields.Float(allow_none=True)
    completed_on_time_without_pauses = fields.Integer(
        metadata={"description": "completions on time had no clock stopped"}
    )
    completed_late_without_pauses = fields.Integer()
    paused_business_hours = fields.Float(
        metadata={"description": "business hours clocks stood still (waiting on the client)"}
    )
    median_business_hours_to_complete = fields.Float(
        allow_none=True, metadata={"description": "from the standard's start, business hours"}
    )
    median_business_hours_net_of_pauses = fields.Float(allow_none=True)


class ReportSchema(Schema):
    since = fields.AwareDateTime()
    until = fields.AwareDateTime()
    office = fields.String(allow_none=True)
    items = fields.List(fields.Nested(StandardLineSchema))
    total = fields.Integer()


@blp.route("/service-standards")
class ServiceStandards(MethodView):
    @blp.arguments(ReportArgs, location="query")
    @blp.response(200, ReportSchema)
    def get(self, args: dict) -> dict:
        principal = current_principal()
        if not policy.may(principal, policy.Action.SUPERVISE):
            raise errors.Forbidden("only supervisors see service-standard reports")
        office = args.get("office")
        if policy.office_refusal(principal, office) is not None:
            raise errors.Forbidden("supervisors see their own office only")
        svc = services()
        now = svc.clock.now()
        until = args.get("until") or now
        since = args.get("since") or until - timedelta(days=28)
        if since >= until:
            raise errors.Invalid("since must be before until", field="since")
        with svc.readers() as session:
            lines = service_standards(
                session,
                principal,
                now=now,
                since=since,
                until=until,
                office=office,
                calendars=office_calendars(svc, session),
            )
        items = [line.as_dict() for line in lines]
        scope = policy.office_in_scope(principal, office)
        return {
            "since": since,
            "until": until,
            "office": scope,
            "items": items,
            "total": len(items),
        }
