"""Start cases, look at them, send them messages, retry them after an incident."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import func, select

from engine import errors
from engine.api.auth import current_principal
from engine.api.case_schemas import DataFixArgs
from engine.api.context import services
from engine.api.idempotency import idempotent
from engine.api.present import instance_dict, instance_summary, record_read
from engine.api.schemas import (
    InstanceListArgs,
    InstancePage,
    InstanceSchema,
    MessageArgs,
    StartInstanceArgs,
)
from engine.casework import commands, visibility
from engine.store.models import ProcessInstance

blp = Blueprint("instances", __name__, url_prefix="/api/instances")


def _read(view: dict) -> dict:
    """Record that the caller was shown this case's data (after its command committed)."""
    record_read(view["id"], None)
    return view


def _read_again(body: dict, _view_args: dict) -> None:
    """A replayed answer shows the case data again: that is a read too."""
    record_read(body["id"], None)


@blp.route("")
class Instances(MethodView):
    @idempotent(lambda resource, _view_args: (201, _instance_again(resource)))
    @blp.arguments(StartInstanceArgs)
    @blp.response(201, InstanceSchema)
    def post(self, args: dict) -> dict:
        principal = current_principal()
        svc = services()
        request = commands.StartRequest(
            process_id=args["process_id"],
            business_key=args["business_key"],
            data=args["data"],
            version=args.get("version"),
        )
        instance_id = commands.start_instance(svc, principal, request)
        return _load(instance_id)

    @blp.arguments(InstanceListArgs, location="query")
    @blp.response(200, InstancePage)
    def get(self, args: dict) -> dict:
        principal = current_principal()
        query = visibility.listed_instances(select(ProcessInstance), principal)
        for name in ("business_key", "process_id", "status"):
            if args.get(name):
                query = query.where(getattr(ProcessInstance, name) == args[name])
        with services().readers() as session:
            total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
            rows = session.scalars(
                query.order_by(ProcessInstance.created_at.desc(), ProcessInstance.id)
                .limit(args["limit"])
                .offset(args["offset"])
            ).all()
            return {"items": [instance_summary(r) for r in rows], "total": total}


@blp.route("/<instance_id>")
class Instance(MethodView):
    @blp.response(200, InstanceSchema)
    def get(self, instance_id: str) -> dict:
        """The case with its data; every read is audited."""
        view = _load(instance_id)
        record_read(instance_id, None)
        return view


@blp.route("/<instance_id>/messages")
class InstanceMessages(MethodView):
    @idempotent(
        lambda _resource, view_args: (200, _instance_again(view_args["instance_id"])),
        reads=_read_again,
    )
    @blp.arguments(MessageArgs)
    @blp.response(200, InstanceSchema)
    def post(self, args: dict, instance_id: str) -> dict:
        """The case after the message, with its data: a read of the case, audited."""
        principal = current_principal()
        commands.deliver_message(services(), principal, instance_id, args["name"], args["payload"])
        return _read(_load(instance_id))


@blp.route("/<instance_id>/data")
class InstanceData(MethodView):
    @blp.arguments(DataFixArgs)
    @blp.response(200, InstanceSchema)
    def patch(self, args: dict, instance_id: str) -> dict:
        """Supervisors fix the data a failed step needs (merged in; checked against that step's
        form if it has one); then `POST …/retry` runs it again."""
        commands.patch_instance_data(services(), current_principal(), instance_id, args["data"])
        return _load(instance_id)


@blp.route("/<instance_id>/retry")
class InstanceRetry(MethodView):
    @idempotent(
        lambda _resource, view_args: (200, _instance_again(view_args["instance_id"])),
        reads=_read_again,
    )
    @blp.response(200, InstanceSchema)
    def post(self, instance_id: str) -> dict:
        """The case after the retry, with its data (audited as a read)."""
        principal = current_principal()
        commands.retry_instance(services(), principal, instance_id)
        return _read(_load(instance_id))


def _instance_again(instance_id: str | None) -> dict:
    """A keyed request answered again from the case (its first answer was never stored)."""
    if instance_id is None:
        raise errors.NotFound("the case this request changed is not known")
    return InstanceSchema().dump(_load(instance_id))


def _load(instance_id: str) -> dict:
    principal = current_principal()
    with services().readers() as session:
        instance = session.get(ProcessInstance, instance_id)
        if instance is None or not visibility.can_view_instance(session, principal, instance):
            raise errors.NotFound(f"instance {instance_id} not found")
        return instance_dict(session, instance)
