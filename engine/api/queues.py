"""The queue table: designers and admins list, create and change queues; supervisors list.

`GET /api/queues` stays the supervisors' per-office summary (engine.api.supervision); the
table itself is listed at `GET /api/queues/table`."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from engine import errors, policy
from engine.api.auth import current_principal
from engine.api.context import services
from engine.api.schemas import QueueCreateArgs, QueueListSchema, QueueSchema, QueueUpdateArgs
from engine.casework import work_queues
from engine.casework.unit_of_work import changing

blp = Blueprint("queues", __name__, url_prefix="/api/queues")


@blp.route("/table")
class QueueTable(MethodView):
    @blp.response(200, QueueListSchema)
    def get(self) -> dict:
        principal = current_principal()
        if not policy.may_list_queues(principal):
            raise errors.Forbidden("only designers, supervisors and admins see the queue table")
        with services().readers() as session:
            items = [q.as_dict() for q in work_queues.list_queues(session)]
        return {"items": items, "total": len(items)}


@blp.route("")
class NewQueue(MethodView):
    @blp.arguments(QueueCreateArgs)
    @blp.response(201, QueueSchema)
    def post(self, args: dict) -> dict:
        """Create a queue: lanes and candidate groups of deployed diagrams name it by key."""
        svc = services()
        principal = current_principal()
        with changing(svc) as session:
            return work_queues.create_queue(session, principal, args, svc.clock.now()).as_dict()


@blp.route("/<string(maxlength=80):key>")
class OneQueue(MethodView):
    @blp.arguments(QueueUpdateArgs)
    @blp.response(200, QueueSchema)
    def patch(self, args: dict, key: str) -> dict:
        svc = services()
        principal = current_principal()
        with changing(svc) as session:
            return work_queues.update_queue(
                session, principal, key, args, svc.clock.now()
            ).as_dict()
