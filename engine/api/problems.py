"""Every error leaves as application/problem+json: status, title, detail and field errors."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, json
from werkzeug.exceptions import HTTPException

from engine.casework import commands, queues
from engine.deadlines.closures import ClosureExists, ClosureNotFound
from engine.definitions.compile import DefinitionInvalid
from engine.definitions.forms import FormInvalid
from engine.identity.users import UserProblem
from engine.runtime import MessageNotExpected, NothingToRetry, TaskNotFound, TaskNotReady
from engine.supervision import errors as supervision

TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    429: "Too many requests",
    500: "Internal server error",
}


def problem(status: int, detail: str, **extra: Any) -> Response:
    body = {"type": "about:blank", "status": status, "title": TITLES.get(status, "Error")}
    body["detail"] = detail
    body.update(extra)
    return Response(json.dumps(body), status=status, mimetype="application/problem+json")


DOMAIN_STATUS: list[tuple[type[Exception], int]] = [
    (commands.NotFound, 404),
    (queues.TaskNotVisible, 404),
    (TaskNotFound, 404),
    (commands.Forbidden, 403),
    (queues.TaskForbidden, 403),
    (commands.Conflict, 409),
    (queues.TaskConflict, 409),
    (TaskNotReady, 409),
    (NothingToRetry, 409),
    (MessageNotExpected, 409),
    (queues.AssigneeInvalid, 422),
    (UserProblem, 422),
    (ClosureExists, 409),
    (ClosureNotFound, 404),
    (supervision.NotFound, 404),
    (supervision.Forbidden, 403),
    (supervision.Conflict, 409),
]


def register(app: Flask) -> None:
    for error_type, status in DOMAIN_STATUS:
        app.register_error_handler(error_type, _simple(status))
    app.register_error_handler(commands.Invalid, _invalid)
    app.register_error_handler(supervision.Invalid, _invalid)
    app.register_error_handler(supervision.TasksRejected, _tasks_rejected)
    app.register_error_handler(FormInvalid, _form_invalid)
    app.register_error_handler(DefinitionInvalid, _definition_invalid)
    app.register_error_handler(HTTPException, _http)


def _simple(status: int) -> Any:
    def handle(exc: Exception) -> Response:
        return problem(status, str(exc))

    return handle


def _invalid(exc: commands.Invalid | supervision.Invalid) -> Response:
    errors = [{"field": exc.field, "message": str(exc)}] if exc.field else []
    return problem(422, str(exc), errors=errors)


def _tasks_rejected(exc: supervision.TasksRejected) -> Response:
    errors = [
        {"field": "task_ids", "task_id": task_id, "message": message}
        for task_id, message in sorted(exc.problems.items())
    ]
    return problem(422, str(exc), errors=errors, task_ids=sorted(exc.problems))


def _form_invalid(exc: FormInvalid) -> Response:
    errors = [{"field": f"data.{e.field}", "message": e.message} for e in exc.errors]
    return problem(422, "the form data is not valid", errors=errors)


def _definition_invalid(exc: DefinitionInvalid) -> Response:
    errors = [p.as_dict() for p in exc.problems]
    return problem(422, "the definition is not valid", errors=errors)


def _http(exc: HTTPException) -> Response:
    status = exc.code or 500
    data = getattr(exc, "data", None) or {}
    messages = data.get("messages") if isinstance(data, dict) else None
    if messages:
        errors = [
            {"field": field, "message": "; ".join(_flatten(msg))}
            for location in messages.values()
            for field, msg in _fields(location)
        ]
        return problem(status, "the request is not valid", errors=errors)
    return problem(status, exc.description or TITLES.get(status, "Error"))


def _fields(location: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(location, dict):
        out: list[tuple[str, Any]] = []
        for key, value in location.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(value, dict):
                out.extend(_fields(value, name))
            else:
                out.append((name, value))
        return out
    return [(prefix or "(body)", location)]


def _flatten(message: Any) -> list[str]:
    if isinstance(message, list):
        return [str(m) for m in message]
    return [str(message)]
