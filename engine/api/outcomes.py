"""Outcomes: the report supervisors read (JSON or CSV) and the closure-survey answers clients
send back through the portal or on paper."""

from __future__ import annotations

from typing import Any

from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from engine import errors, policy
from engine.api.auth import current_principal
from engine.api.context import services
from engine.casework.surveys import answer_survey
from engine.identity.users import Principal
from engine.supervision.outcomes import (
    MONTH,
    OutcomeFilter,
    as_csv,
    outcome_report,
    outcome_rows,
)

blp = Blueprint("outcomes", __name__, url_prefix="/api")

_MONTH = validate.Regexp(MONTH.pattern + "$", error="a month as YYYY-MM")
_KEY = validate.Length(min=1, max=80)


class OutcomeArgs(Schema):
    office = fields.String(validate=_KEY)
    since = fields.String(validate=_MONTH, metadata={"description": "first month (YYYY-MM)"})
    until = fields.String(validate=_MONTH, metadata={"description": "last month (YYYY-MM)"})
    partner = fields.String(validate=_KEY)
    need = fields.String(validate=_KEY)
    kind = fields.String(validate=validate.OneOf(["referral", "plan_goal", "financial", "survey"]))
    format = fields.String(validate=validate.OneOf(["json", "csv"]))


class OutcomeLineSchema(Schema):
    office = fields.String()
    month = fields.String()
    kind = fields.String()
    need = fields.String(allow_none=True)
    partner = fields.String(allow_none=True)
    result = fields.String()
    count = fields.Integer()


class OutcomeReportSchema(Schema):
    office = fields.String(allow_none=True)
    since = fields.String(allow_none=True)
    until = fields.String(allow_none=True)
    items = fields.List(fields.Nested(OutcomeLineSchema))
    by_office = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_month = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_partner = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_need = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_result = fields.Dict(keys=fields.String(), values=fields.Integer())
    total = fields.Integer()


class SurveyAnswerSchema(Schema):
    answers = fields.Dict(
        keys=fields.String(validate=_KEY),
        values=fields.Raw(),
        required=True,
        metadata={"description": "helped: yes|partly|no; satisfaction: 1-5; would_recommend"},
    )
    comment = fields.String(load_default="", validate=validate.Length(max=2000))


class SurveyRecordedSchema(Schema):
    survey = fields.String()
    recorded = fields.Integer()


def outcome_filter(principal: Principal, args: dict[str, Any]) -> OutcomeFilter:
    """Who may read which office's outcomes (policy), and the filter the report applies."""
    if not policy.may(principal, policy.Action.SEE_OUTCOMES):
        raise errors.Forbidden("only supervisors see the outcomes report")
    office = args.get("office")
    refusal = policy.office_refusal(principal, office)
    if refusal is not None:
        raise refusal
    since, until = args.get("since"), args.get("until")
    if since and until and since > until:
        raise errors.Invalid("since must not be after until", field="since")
    return OutcomeFilter(
        office=policy.office_in_scope(principal, office),
        since_month=since,
        until_month=until,
        partner=args.get("partner"),
        need=args.get("need"),
        kind=args.get("kind"),
    )


def wants_csv(args: dict[str, Any]) -> bool:
    if args.get("format"):
        return bool(args["format"] == "csv")
    best = request.accept_mimetypes.best_match(["application/json", "text/csv"])
    return best == "text/csv"


@blp.route("/reports/outcomes")
class OutcomesReport(MethodView):
    @blp.arguments(OutcomeArgs, location="query")
    @blp.response(200, OutcomeReportSchema)
    @blp.alt_response(200, description="CSV (Accept: text/csv or ?format=csv)", success=True)
    def get(self, args: dict) -> Any:
        """Outcomes counted by office, month, kind, need, partner and result; CSV: one row per
        recorded outcome."""
        where = outcome_filter(current_principal(), args)
        svc = services()
        with svc.readers() as session:
            if wants_csv(args):
                body = as_csv(outcome_rows(session, where))
                return Response(
                    body,
                    mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="outcomes.csv"'},
                )
            report = outcome_report(session, where)
        return {
            "office": where.office,
            "since": where.since_month,
            "until": where.until_month,
            "items": [line.as_dict() for line in report.lines],
            "by_office": report.by("office"),
            "by_month": report.by("month"),
            "by_partner": report.by("partner"),
            "by_need": report.by("need"),
            "by_result": report.by("result"),
            "total": report.total,
        }


@blp.route("/surveys/<string:code>")
class SurveyAnswers(MethodView):
    @blp.arguments(SurveyAnswerSchema)
    @blp.response(201, SurveyRecordedSchema)
    def post(self, body: dict, code: str) -> dict:
        """Record a client's answers to a closure survey (its code is in the survey notice)."""
        principal = current_principal()
        if not policy.may(principal, policy.Action.ANSWER_SURVEY):
            raise errors.Forbidden("partners cannot answer a client's survey")
        recorded = answer_survey(services(), principal, code, body["answers"], body["comment"])
        return {"survey": code, "recorded": recorded}
