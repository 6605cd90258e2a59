"""The inbox: list, open, claim, release, complete and (supervisors) assign human tasks."""

from __future__ import annotations

import json

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy.orm import Session

from engine.api.auth import current_principal
from engine.api.context import services
from engine.api.idempotency import idempotent
from engine.api.present import record_read, task_dict
from engine.api.schemas import AssignArgs, CompleteArgs, TaskListArgs, TaskPage, TaskSchema
from engine.casework import commands, queues, task_actions
from engine.definitions.forms import EMPTY_FORM
from engine.store.models import HumanTask, ProcessInstance

blp = Blueprint("tasks", __name__, url_prefix="/api/tasks")


def _read(view: dict) -> dict:
    """Record that the caller was shown this task's case data (after the command committed:
    a refused command showed nothing)."""
    record_read(view["instance_id"], view["id"])
    return view


def _read_again(body: dict, view_args: dict) -> None:
    """A replayed answer shows the case data again: that is a read too."""
    record_read(body["instance_id"], view_args["task_id"])


@blp.route("")
class Tasks(MethodView):
    @blp.arguments(TaskListArgs, location="query")
    @blp.response(200, TaskPage)
    def get(self, args: dict) -> dict:
        principal = current_principal()
        svc = services()
        wanted = queues.InboxFilter(
            queue=args.get("queue"),
            mine=args.get("assignee") == "me",
            status=args["status"],
            overdue_at=svc.clock.now() if args.get("overdue") else None,
            due_before=args.get("due_before"),
            process_id=args.get("process_id"),
            instance_id=args.get("instance_id"),
            case_key=args.get("case"),
            limit=args["limit"],
            offset=args["offset"],
        )
        with svc.readers() as session:
            rows, total = queues.inbox(session, principal, wanted)
            return {"items": [task_dict(r) for r in rows], "total": total}


@blp.route("/<task_id>")
class Task(MethodView):
    @blp.response(200, TaskSchema)
    def get(self, task_id: str) -> dict:
        """The task with its form and case data; every read is audited (who looked at whom)."""
        view = _task_view(task_id)
        record_read(view["instance_id"], task_id)
        return view


@blp.route("/<task_id>/claim")
class Claim(MethodView):
    @idempotent(lambda _resource, view_args: _task_again(view_args["task_id"]), reads=_read_again)
    @blp.response(200, TaskSchema)
    def post(self, task_id: str) -> dict:
        """The claimed task with the case data: a read of the case, audited as GET is."""
        held = task_actions.claim_task(services(), current_principal(), task_id)
        return _read(_answer(*held))


@blp.route("/<task_id>/unclaim")
class Unclaim(MethodView):
    @idempotent(lambda _resource, view_args: _task_again(view_args["task_id"]), reads=_read_again)
    @blp.response(200, TaskSchema)
    def post(self, task_id: str) -> dict:
        """The released task with the case data (audited as a read)."""
        held = task_actions.release_task(services(), current_principal(), task_id)
        return _read(_answer(*held))


@blp.route("/<task_id>/assign")
class Assign(MethodView):
    @idempotent(lambda _resource, view_args: _task_again(view_args["task_id"]), reads=_read_again)
    @blp.arguments(AssignArgs)
    @blp.response(200, TaskSchema)
    def post(self, args: dict, task_id: str) -> dict:
        """The assigned task with the case data (audited as a read)."""
        held = task_actions.assign_task(services(), current_principal(), task_id, args["user"])
        return _read(_answer(*held))


@blp.route("/<task_id>/complete")
class Complete(MethodView):
    # The answer shows what the caller submitted, not the case data: a replay reads nothing new.
    @idempotent(lambda _resource, view_args: _task_again(view_args["task_id"]))
    @blp.arguments(CompleteArgs)
    @blp.response(200, TaskSchema)
    def post(self, args: dict, task_id: str) -> dict:
        principal = current_principal()
        svc = services()
        return _answer(*commands.complete_task(svc, principal, task_id, args["data"]))


def _answer(task: HumanTask, instance: ProcessInstance) -> dict:
    """The task after a command, as GET answers it."""
    with services().readers() as session:  # forms are cached: this reads nothing in the usual case
        return _view_of(session, task, instance)


def _task_again(task_id: str) -> tuple[int, dict]:
    """A keyed request answered again from the task (its first answer was never stored)."""
    return 200, TaskSchema().dump(_task_view(task_id))


def _task_view(task_id: str) -> dict:
    principal = current_principal()
    with services().readers() as session:
        task = queues.visible_task(session, principal, task_id)
        return _view_of(session, task, session.get_one(ProcessInstance, task.instance_id))


def _view_of(session: Session, task: HumanTask, instance: ProcessInstance) -> dict:
    """The task as the API shows it: form schema and UI hints, and the case data (or, once
    completed, what was submitted)."""
    form = commands.task_form(session, instance.definition_id, task.form_key, services())
    body = task_dict(
        task,
        schema=form.schema if form is not None else EMPTY_FORM,
        ui=form.ui if form is not None else None,
    )
    body["data"] = (
        json.loads(task.submitted_json) if task.submitted_json else json.loads(instance.data_json)
    )
    return body
