"""Request bodies and answers of the Camunda 7 compatible API, in Camunda's own field names.

Fields Camunda clients send that Caseway does not use (`sorting`, `deserializeValues`,
`includeExtensionProperties`, tenant filters) are accepted and ignored, so unmodified clients
work; a wrong type or a missing required field is a 400 naming the field.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from engine.api.camunda_variables import typed
from engine.casework.external_tasks import LockedTask
from engine.errors import Invalid

NAME = validate.Length(min=1, max=200)
MAX_LOCK_MS = 7 * 24 * 3600 * 1000  # a week: longer is a worker that forgot to extend


class _Body(Schema):
    class Meta:
        unknown = EXCLUDE


class TopicSchema(_Body):
    topicName = fields.String(required=True, validate=NAME)  # noqa: N815 - Camunda's names
    lockDuration = fields.Integer(  # noqa: N815
        required=True, strict=True, validate=validate.Range(min=1, max=MAX_LOCK_MS)
    )
    variables = fields.List(fields.String(validate=NAME), allow_none=True, load_default=None)
    businessKey = fields.String(allow_none=True, load_default=None, validate=NAME)  # noqa: N815
    processVariables = fields.Dict(allow_none=True, load_default=None)  # noqa: N815


class FetchAndLockSchema(_Body):
    workerId = fields.String(required=True, validate=NAME)  # noqa: N815
    maxTasks = fields.Integer(  # noqa: N815
        required=True, strict=True, validate=validate.Range(min=0, max=100)
    )
    usePriority = fields.Boolean(allow_none=True, load_default=False)  # noqa: N815
    asyncResponseTimeout = fields.Integer(  # noqa: N815
        allow_none=True, load_default=None, strict=True, validate=validate.Range(min=0)
    )
    topics = fields.List(
        fields.Nested(TopicSchema), required=True, validate=validate.Length(min=1, max=50)
    )


class CompleteSchema(_Body):
    workerId = fields.String(required=True, validate=NAME)  # noqa: N815
    variables = fields.Raw(allow_none=True, load_default=None)
    localVariables = fields.Raw(allow_none=True, load_default=None)  # noqa: N815


class FailureSchema(_Body):
    workerId = fields.String(required=True, validate=NAME)  # noqa: N815
    errorMessage = fields.String(  # noqa: N815
        allow_none=True, load_default=None, validate=validate.Length(max=4000)
    )
    errorDetails = fields.Raw(allow_none=True, load_default=None)  # noqa: N815
    retries = fields.Integer(
        allow_none=True, load_default=0, strict=True, validate=validate.Range(min=0, max=1000)
    )
    retryTimeout = fields.Integer(  # noqa: N815
        allow_none=True, load_default=0, strict=True, validate=validate.Range(min=0)
    )


class BpmnErrorSchema(_Body):
    workerId = fields.String(required=True, validate=NAME)  # noqa: N815
    errorCode = fields.String(required=True, validate=NAME)  # noqa: N815
    errorMessage = fields.String(  # noqa: N815
        allow_none=True, load_default=None, validate=validate.Length(max=4000)
    )
    variables = fields.Raw(allow_none=True, load_default=None)


class ExtendLockSchema(_Body):
    workerId = fields.String(required=True, validate=NAME)  # noqa: N815
    newDuration = fields.Integer(  # noqa: N815
        required=True, strict=True, validate=validate.Range(min=1, max=MAX_LOCK_MS)
    )


class StartSchema(_Body):
    variables = fields.Raw(allow_none=True, load_default=None)
    businessKey = fields.String(allow_none=True, load_default=None, validate=NAME)  # noqa: N815


class MessageSchema(_Body):
    messageName = fields.String(required=True, validate=NAME)  # noqa: N815
    businessKey = fields.String(allow_none=True, load_default=None, validate=NAME)  # noqa: N815
    processInstanceId = fields.String(  # noqa: N815
        allow_none=True, load_default=None, validate=validate.Length(max=36)
    )
    correlationKeys = fields.Raw(allow_none=True, load_default=None)  # noqa: N815
    processVariables = fields.Raw(allow_none=True, load_default=None)  # noqa: N815
    resultEnabled = fields.Boolean(allow_none=True, load_default=False)  # noqa: N815
    all = fields.Boolean(allow_none=True, load_default=False)


def load(schema: Schema, body: Any) -> dict[str, Any]:
    """The body as the schema reads it, or Invalid naming the first field that is wrong."""
    if not isinstance(body, dict):
        raise Invalid("(body): the request body must be a JSON object", field="(body)")
    try:
        loaded: dict[str, Any] = schema.load(body)
    except ValidationError as exc:
        name, message = _first(exc.messages)
        raise Invalid(f"{name}: {message}", field=name) from exc
    return loaded


def _first(messages: Any, prefix: str = "") -> tuple[str, str]:
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            return _first(value, name)
    if isinstance(messages, list) and messages:
        if all(isinstance(m, str) for m in messages):
            return prefix or "(body)", "; ".join(messages)
        return _first(messages[0], prefix)
    return prefix or "(body)", str(messages)


def camunda_time(moment: datetime | None) -> str | None:
    """Camunda's default date format: 2027-01-04T14:05:00.000+0000."""
    if moment is None:
        return None
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def locked_task(item: LockedTask) -> dict[str, Any]:
    row = item.row
    return {
        "activityId": row.activity_id,
        "activityInstanceId": f"{row.activity_id}:{row.id}",
        "errorMessage": row.error_message,
        "errorDetails": row.error_details,
        "executionId": row.id,
        "id": row.id,
        "lockExpirationTime": camunda_time(row.lock_expires_at),
        "createTime": camunda_time(row.created_at),
        "processDefinitionId": f"{row.process_id}:{item.definition_version}",
        "processDefinitionKey": row.process_id,
        "processDefinitionVersionTag": None,
        "processInstanceId": row.instance_id,
        "retries": row.retries,
        "suspended": False,
        "workerId": row.worker_id,
        "topicName": row.topic,
        "tenantId": None,
        "variables": typed(item.variables),
        "priority": row.priority,
        "businessKey": row.business_key,
        "extensionProperties": {},
    }
