"""Broken cases, for the supervisors who fix them (then PATCH …/data and POST …/retry)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from engine.api.auth import current_principal
from engine.api.case_schemas import IncidentPage
from engine.api.context import services
from engine.api.schemas import PageArgs
from engine.cases.incidents import open_incidents

blp = Blueprint("incidents", __name__, url_prefix="/api/incidents")


@blp.route("")
class Incidents(MethodView):
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, IncidentPage)
    def get(self, args: dict) -> dict:
        """Open incidents: supervisors see their office's, admins every office's."""
        principal = current_principal()
        with services().readers() as db:
            items, total = open_incidents(db, principal, args["limit"], args["offset"])
        return {"items": items, "total": total}
