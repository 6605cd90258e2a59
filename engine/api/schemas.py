"""marshmallow schemas: request validation and the OpenAPI description of responses."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from engine.statuses import InstanceStatus, TaskStatus


class PageArgs(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=10_000_000))


class TaskListArgs(PageArgs):
    queue = fields.String(validate=validate.Length(min=1, max=80))
    assignee = fields.String(validate=validate.OneOf(["me"]))
    overdue = fields.Boolean()
    due_before = fields.AwareDateTime()
    process_id = fields.String(validate=validate.Length(min=1, max=200))
    instance_id = fields.String(validate=validate.Length(min=1, max=36))
    case = fields.String(
        validate=validate.Length(min=1, max=200), metadata={"description": "a case key"}
    )
    status = fields.String(
        load_default=TaskStatus.OPEN.value,
        validate=validate.OneOf([*(s.value for s in TaskStatus), "any"]),
    )


class InstanceListArgs(PageArgs):
    business_key = fields.String(validate=validate.Length(min=1, max=200))
    process_id = fields.String(validate=validate.Length(min=1, max=200))
    status = fields.String(validate=validate.OneOf([s.value for s in InstanceStatus]))


class StartInstanceArgs(Schema):
    process_id = fields.String(required=True, validate=validate.Length(min=1, max=200))
    business_key = fields.String(required=True, validate=validate.Length(min=1, max=200))
    version = fields.Integer(validate=validate.Range(min=1))
    data = fields.Dict(keys=fields.String(), load_default=dict)


class MessageArgs(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    payload = fields.Raw(load_default=dict)


class CompleteArgs(Schema):
    data = fields.Dict(keys=fields.String(), load_default=dict)


class AssignArgs(Schema):
    user = fields.String(required=True, allow_none=True, validate=validate.Length(min=1, max=80))


class FormSchema(Schema):
    key = fields.String(allow_none=True)
    schema = fields.Dict(allow_none=True)
    ui_schema = fields.Dict(allow_none=True)


class TaskSchema(Schema):
    id = fields.String()
    instance_id = fields.String()
    process_id = fields.String()
    business_key = fields.String()
    case_key = fields.String(allow_none=True)
    client_name = fields.String(allow_none=True)
    task_name = fields.String()
    title = fields.String()
    queue = fields.String()
    assignee = fields.String(allow_none=True)
    status = fields.String()
    created_at = fields.AwareDateTime()
    due_at = fields.AwareDateTime(allow_none=True)
    completed_at = fields.AwareDateTime(allow_none=True)
    completed_by = fields.String(allow_none=True)
    closed_reason = fields.String(allow_none=True)
    form = fields.Nested(FormSchema)
    data = fields.Dict(allow_none=True)


class TaskPage(Schema):
    items = fields.List(fields.Nested(TaskSchema))
    total = fields.Integer()


class TimerSchema(Schema):
    id = fields.String()
    task_name = fields.String()
    due_at = fields.AwareDateTime()
    attached_to = fields.String(allow_none=True)
    interrupting = fields.Boolean()


class IncidentSchema(Schema):
    id = fields.Integer()
    task_id = fields.String(allow_none=True)
    task_name = fields.String(allow_none=True)
    kind = fields.String()
    message = fields.String()
    created_at = fields.AwareDateTime()
    resolved_at = fields.AwareDateTime(allow_none=True)


class HistorySchema(Schema):
    at = fields.AwareDateTime()
    actor = fields.String()
    action = fields.String()
    task_id = fields.String(allow_none=True)
    detail = fields.Dict()


class WaitingForSchema(Schema):
    """What the case waits for from outside: a message (with its correlation) or a signal."""

    message = fields.String()
    correlation = fields.Dict(allow_none=True)
    signal = fields.String()


class InstanceSchema(Schema):
    id = fields.String()
    process_id = fields.String()
    version = fields.Integer()
    business_key = fields.String()
    office = fields.String()
    status = fields.String()
    data = fields.Dict()
    started_by = fields.String()
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
    completed_at = fields.AwareDateTime(allow_none=True)
    tasks = fields.List(fields.Nested(TaskSchema))
    timers = fields.List(fields.Nested(TimerSchema))
    waiting_for = fields.List(fields.Nested(WaitingForSchema))
    incidents = fields.List(fields.Nested(IncidentSchema))
    history = fields.List(fields.Nested(HistorySchema))


class InstanceSummarySchema(Schema):
    id = fields.String()
    process_id = fields.String()
    version = fields.Integer()
    business_key = fields.String()
    status = fields.String()
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class InstancePage(Schema):
    items = fields.List(fields.Nested(InstanceSummarySchema))
    total = fields.Integer()


class DeployedSchema(Schema):
    process_id = fields.String()
    version = fields.Integer()
    sha256 = fields.String()
    created = fields.Boolean()


class DeployWarningSchema(Schema):
    file = fields.String()
    element_id = fields.String(allow_none=True)
    message = fields.String()


class QueueOfferSchema(Schema):
    """How to create a queue the deploy named but does not exist."""

    key = fields.String()
    create = fields.Dict(metadata={"description": "method, href and body of the request"})
    cli = fields.String(metadata={"description": "the same from the command line"})


class DeployResult(Schema):
    deployed = fields.List(fields.Nested(DeployedSchema))
    warnings = fields.List(fields.Nested(DeployWarningSchema))
    missing_queues = fields.List(fields.Nested(QueueOfferSchema))


_NAMES = fields.List(fields.String(validate=validate.Length(min=1, max=80)))


class QueueSchema(Schema):
    key = fields.String()
    title_en = fields.String()
    title_fr = fields.String()
    roles = fields.List(fields.String())
    users = fields.List(fields.String())
    office = fields.String(allow_none=True)


class QueueListSchema(Schema):
    items = fields.List(fields.Nested(QueueSchema))
    total = fields.Integer()


class QueueUpdateArgs(Schema):
    title_en = fields.String(validate=validate.Length(min=1, max=200))
    title_fr = fields.String(validate=validate.Length(min=1, max=200))
    roles = _NAMES
    users = _NAMES
    office = fields.String(allow_none=True, validate=validate.Length(max=80))


class QueueCreateArgs(QueueUpdateArgs):
    key = fields.String(required=True, validate=validate.Length(min=1, max=80))


class DefinitionSchema(Schema):
    process_id = fields.String()
    name = fields.String()
    versions = fields.List(fields.Integer())
    latest_version = fields.Integer()


class DefinitionPage(Schema):
    items = fields.List(fields.Nested(DefinitionSchema))
    total = fields.Integer()


class MeSchema(Schema):
    username = fields.String()
    office = fields.String()
    roles = fields.List(fields.String())
