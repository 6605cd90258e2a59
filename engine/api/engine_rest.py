"""Camunda 7 compatible REST API under /engine-rest, so existing external-task workers (Python,
Java, JavaScript clients) run against Caseway unchanged: fetch-and-lock, complete, failure,
BPMN error, extend lock, unlock; plus starting a process by key and correlating a message.

Errors answer Camunda's shape, `{"type": …, "message": …}` (with `field` for bad input), which
Camunda clients read. Authentication is a Caseway bearer token (`Authorization: Bearer …`), or
the same token as the password of HTTP Basic for clients that only offer Basic.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from typing import Any

from flask import Blueprint, Response, g, request
from werkzeug.exceptions import HTTPException, Unauthorized

from engine.api.auth import current_principal
from engine.api.camunda_variables import read_variables
from engine.api.context import services
from engine.api.engine_rest_schemas import (
    BpmnErrorSchema,
    CompleteSchema,
    ExtendLockSchema,
    FailureSchema,
    FetchAndLockSchema,
    MessageSchema,
    StartSchema,
    load,
    locked_task,
)
from engine.casework import camunda_messages, commands, external_tasks
from engine.casework.external_tasks import TopicRequest, Worker
from engine.errors import CasewayError, Conflict, ExternalTaskLockRefused, Invalid, NotFound
from engine.identity.users import authenticate
from engine.identity.worker_tokens import token_topics
from engine.statuses import FINISHED_INSTANCE_STATUSES

blp = Blueprint("engine_rest", __name__, url_prefix="/engine-rest")

CAMUNDA_TYPES = {
    400: "InvalidRequestException",
    401: "AuthenticationException",
    403: "AuthorizationException",
    404: "InvalidRequestException",
    405: "RestException",
    409: "OptimisticLockingException",
    413: "InvalidRequestException",
    415: "InvalidRequestException",
    422: "InvalidRequestException",
}


class CorrelationMismatch(CasewayError):
    """Camunda's answer when a message matches no waiting instance, or too many."""

    status = 400


# -- errors and authentication -------------------------------------------------------------------


def camunda_error(status: int, message: str, kind: str | None = None, **extra: Any) -> Response:
    body: dict[str, Any] = {
        "type": kind or CAMUNDA_TYPES.get(status, "RestException"),
        "message": message,
    }
    body.update(extra)
    return Response(json.dumps(body), status=status, mimetype="application/json")


@blp.errorhandler(CasewayError)
def _domain(exc: CasewayError) -> Response:
    status = 400 if isinstance(exc, Invalid) else exc.status  # Camunda: bad input is a 400
    kind = None
    if isinstance(exc, ExternalTaskLockRefused):
        kind = "BadUserRequestException"
    elif isinstance(exc, CorrelationMismatch):
        kind = "MismatchingMessageCorrelationException"
    extra = {"field": exc.field} if getattr(exc, "field", None) else {}
    return camunda_error(status, exc.detail, kind, **extra)


@blp.errorhandler(HTTPException)
def _http(exc: HTTPException) -> Response:
    return camunda_error(exc.code or 500, exc.description or "the request failed")


def _basic_credentials(value: str) -> tuple[str, str]:
    try:
        user, _, password = base64.b64decode(value.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise Unauthorized("the Basic credentials are not readable") from exc
    return user, password


def _token() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer":
        return value.strip()
    if scheme.lower() == "basic":
        return _basic_credentials(value)[1]
    return ""


@blp.before_request
def _basic_auth() -> None:
    """Basic auth: the password is a Caseway token, and the user name must be its owner's."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return
    user, token = _basic_credentials(value)
    svc = services()
    with svc.readers() as db:
        principal = authenticate(db, token, now=svc.clock.now())
    if principal is None or principal.username != user:
        raise Unauthorized("the token is unknown, expired or revoked")
    g.principal = principal


def _worker(worker_id: str) -> Worker:
    principal = current_principal(allow_worker=True)
    with services().readers() as db:
        topics = token_topics(db, _token())
    return Worker(principal, topics, worker_id)


# -- external tasks ------------------------------------------------------------------------------


@blp.post("/external-task/fetchAndLock")
def fetch_and_lock() -> Response:
    current_principal(allow_worker=True)
    args = load(FetchAndLockSchema(), request.get_json(silent=True))
    topics = []
    for index, topic in enumerate(args["topics"]):
        if topic["processVariables"]:
            field = f"topics.{index}.processVariables"
            raise Invalid(f"{field}: filtering by process variables is not supported", field=field)
        if topic["businessKey"] is not None:
            field = f"topics.{index}.businessKey"
            raise Invalid(f"{field}: filtering by business key is not supported", field=field)
        topics.append(TopicRequest(topic["topicName"], topic["lockDuration"], topic["variables"]))
    locked = external_tasks.fetch_and_lock(
        services(),
        _worker(args["workerId"]),
        topics,
        max_tasks=args["maxTasks"],
        use_priority=bool(args["usePriority"]),
        wait_ms=args["asyncResponseTimeout"] or 0,
    )
    return Response(json.dumps([locked_task(t) for t in locked]), mimetype="application/json")


@blp.post("/external-task/<task_id>/complete")
def complete(task_id: str) -> Response:
    args = load(CompleteSchema(), request.get_json(silent=True))
    variables = read_variables(args["variables"], "variables")
    local = read_variables(args["localVariables"], "localVariables")
    external_tasks.complete(services(), _worker(args["workerId"]), task_id, variables, local)
    return Response(status=204)


@blp.post("/external-task/<task_id>/failure")
def failure(task_id: str) -> Response:
    args = load(FailureSchema(), request.get_json(silent=True))
    details = args["errorDetails"]
    if details is not None and not isinstance(details, str):
        details = json.dumps(details, default=str)
    external_tasks.fail(
        services(),
        _worker(args["workerId"]),
        task_id,
        message=args["errorMessage"],
        details=details[:100_000] if details else None,
        retries=args["retries"] or 0,
        retry_timeout_ms=args["retryTimeout"] or 0,
    )
    return Response(status=204)


@blp.post("/external-task/<task_id>/bpmnError")
def bpmn_error(task_id: str) -> Response:
    args = load(BpmnErrorSchema(), request.get_json(silent=True))
    external_tasks.throw_bpmn_error(
        services(),
        _worker(args["workerId"]),
        task_id,
        code=args["errorCode"],
        message=args["errorMessage"],
        variables=read_variables(args["variables"], "variables"),
    )
    return Response(status=204)


@blp.post("/external-task/<task_id>/extendLock")
def extend_lock(task_id: str) -> Response:
    args = load(ExtendLockSchema(), request.get_json(silent=True))
    external_tasks.extend_lock(services(), _worker(args["workerId"]), task_id, args["newDuration"])
    return Response(status=204)


@blp.post("/external-task/<task_id>/unlock")
def unlock(task_id: str) -> Response:
    external_tasks.unlock(services(), _worker(""), task_id)
    return Response(status=204)


# -- processes and messages ----------------------------------------------------------------------


@blp.post("/process-definition/key/<key>/start")
def start(key: str) -> Response:
    principal = current_principal(allow_worker=True)
    args = load(StartSchema(), request.get_json(silent=True) or {})
    data = read_variables(args["variables"], "variables")
    business_key = args["businessKey"] or f"{key}-{uuid.uuid4().hex[:12]}"
    svc = services()
    request_ = commands.StartRequest(key, business_key, data)
    instance_id = commands.start_instance(svc, principal, request_)
    process_id, version, status = camunda_messages.instance_status(svc, instance_id)
    body: dict[str, Any] = {
        "links": [],
        "id": instance_id,
        "definitionId": f"{process_id}:{version}",
        "businessKey": business_key,
        "caseInstanceId": None,
        "ended": status in FINISHED_INSTANCE_STATUSES,
        "suspended": False,
        "tenantId": None,
    }
    return Response(json.dumps(body), status=200, mimetype="application/json")


@blp.post("/message")
def correlate() -> Response:
    principal = current_principal(allow_worker=True, allow_partner=True)
    args = load(MessageSchema(), request.get_json(silent=True))
    name = args["messageName"]
    payload = read_variables(args["processVariables"], "processVariables")
    keys = read_variables(args["correlationKeys"], "correlationKeys")
    svc = services()
    try:
        targets = camunda_messages.correlate(
            svc,
            principal,
            name,
            correlation=keys,
            business_key=args["businessKey"],
            instance_id=args["processInstanceId"],
            payload=payload,
            every=bool(args["all"]),
        )
    except NotFound as exc:
        raise CorrelationMismatch(f"Cannot correlate message '{name}': {exc.detail}") from exc
    except Conflict as exc:
        raise CorrelationMismatch(f"Cannot correlate message '{name}': {exc.detail}") from exc
    if not args["resultEnabled"]:
        return Response(status=204)
    results = [
        {
            "resultType": "Execution",
            "execution": {"id": target, "processInstanceId": target, "ended": False},
            "processInstance": None,
        }
        for target in targets
    ]
    return Response(json.dumps(results), mimetype="application/json")
