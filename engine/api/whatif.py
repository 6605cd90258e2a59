"""`POST /api/definitions/{process_id}/whatif`: a candidate version replayed over the last weeks'
cases, old beside new (engine/supervision/whatif.py). Nothing is deployed or saved."""

from __future__ import annotations

from typing import Any

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from engine import errors, policy
from engine.api.auth import current_principal
from engine.api.context import services
from engine.api.definitions import UPLOAD_BODY, uploaded_files
from engine.supervision.whatif import candidate_spec, parse_estimate, what_if

blp = Blueprint("whatif", __name__, url_prefix="/api/definitions")


@blp.route("/<process_id>/whatif")
class WhatIfReport(MethodView):
    @blp.doc(requestBody=UPLOAD_BODY)
    @blp.response(200)
    def post(self, process_id: str) -> dict[str, Any]:
        """Replay the last `weeks` (form field, 1–52, default 8) of cases through the uploaded
        `file` parts; `office` limits the cases; `estimate` parts (`TASK=HOURS`) time new tasks.
        Answers per task and overall: on time, late, escalated, old and new; tasks per queue per
        week; the assumptions; and the cases the candidate could not replay."""
        principal = current_principal()
        if not policy.may(principal, policy.Action.DESIGN):
            raise errors.Forbidden("only designers can try candidate versions")
        weeks = _int(request.form.get("weeks", "8"), "weeks")
        estimates = dict(parse_estimate(t) for t in request.form.getlist("estimate"))
        office = request.form.get("office") or None
        svc = services()
        candidate = candidate_spec(svc, process_id, uploaded_files())
        with svc.readers() as session:
            report = what_if(
                svc, session, process_id, candidate, weeks=weeks, estimates=estimates, office=office
            )
        return report.as_dict()


def _int(text: str, field: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise errors.Invalid(f"{field} must be a whole number", field=field) from None
