"""Client self-service links: send one (`POST /api/tasks/{id}/client-link`), list a case's,
revoke one. The client's own page is engine/web/self_service.py."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from engine.api.auth import current_principal
from engine.api.context import services
from engine.cases.lookup import readable_case
from engine.casework import client_links
from engine.store.models import ClientLink

blp = Blueprint("client_links", __name__, url_prefix="/api")


class IssueArgs(Schema):
    days = fields.Integer(
        load_default=None,
        validate=validate.Range(min=1, max=client_links.MAX_DAYS),
        metadata={"description": "how long the link works (default CASEWAY_CLIENT_LINK_DAYS)"},
    )


class LinkSchema(Schema):
    id = fields.String()
    case_key = fields.String()
    task_id = fields.String()
    task_title = fields.String()
    language = fields.String()
    created_at = fields.DateTime()
    created_by = fields.String()
    expires_at = fields.DateTime()
    used_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)
    state = fields.String(metadata={"description": "open, used, expired or revoked"})
    url = fields.String(metadata={"description": "only in the answer that creates the link"})


class LinkList(Schema):
    items = fields.List(fields.Nested(LinkSchema))


@blp.route("/tasks/<task_id>/client-link")
class IssueLink(MethodView):
    @blp.arguments(IssueArgs)
    @blp.response(201, LinkSchema)
    def post(self, args: dict, task_id: str) -> dict[str, Any]:
        """Send the client a link to answer this task's form from home (a notice goes out)."""
        issued = client_links.issue(services(), current_principal(), task_id, days=args["days"])
        return {**_link(issued.link, "open"), "url": issued.url}


@blp.route("/cases/<key>/client-links")
class CaseLinks(MethodView):
    @blp.response(200, LinkList)
    def get(self, key: str) -> dict[str, Any]:
        """The links sent for a case (newest first, at most 50), with their state."""
        svc = services()
        now = svc.clock.now()
        with svc.readers() as db:
            case = readable_case(db, current_principal(), key)
            rows = client_links.links_of_case(db, case.key, case.office)
            states = client_links.states(db, rows, now)
            return {"items": [_link(row, states[row.id]) for row in rows]}


@blp.route("/client-links/<link_id>/revoke")
class RevokeLink(MethodView):
    @blp.response(200, LinkSchema)
    def post(self, link_id: str) -> dict[str, Any]:
        """Stop a link from working (a used link stays used)."""
        svc = services()
        link = client_links.revoke(svc, current_principal(), link_id)
        return _link(link, "revoked" if link.revoked_at else "used")


def _link(link: ClientLink, state: str) -> dict[str, Any]:
    return {
        "id": link.id,
        "case_key": link.case_key,
        "task_id": link.task_id,
        "task_title": link.task_title,
        "language": link.language,
        "created_at": link.created_at,
        "created_by": link.created_by,
        "expires_at": link.expires_at,
        "used_at": link.used_at,
        "revoked_at": link.revoked_at,
        "state": state,
    }
