"""External tasks: work a worker outside the engine fetches, locks and completes (Camunda 7's
fetch-and-lock pattern).

A service task with `camunda:type="external"` + `camunda:topic`, or a Zeebe (Camunda 8)
`zeebe:taskDefinition type="…"`, and send tasks / message throw or end events with the same
attributes, are parsed into specs that *wait*: running one leaves the task STARTED (SpiffWorkflow
does not run it again), and it finishes only when a worker completes it or throws a BPMN error.
The topic rides in the spec's extensions, so it is serialized with the spec.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn import BpmnEvent  # type: ignore[import-untyped]
from SpiffWorkflow.bpmn.parser.BpmnParser import full_tag  # type: ignore[import-untyped]
from SpiffWorkflow.bpmn.serializer.default import (  # type: ignore[import-untyped]
    EventConverter,
)
from SpiffWorkflow.bpmn.specs.defaults import (  # type: ignore[import-untyped]
    EndEvent,
    IntermediateThrowEvent,
)
from SpiffWorkflow.spiff.parser.event_parsers import (  # type: ignore[import-untyped]
    SpiffEndEventParser,
    SpiffIntermediateThrowEventParser,
    SpiffSendTaskParser,
)
from SpiffWorkflow.spiff.parser.task_spec import ServiceTaskParser  # type: ignore
from SpiffWorkflow.spiff.serializer.task_spec import (  # type: ignore[import-untyped]
    SendReceiveTaskConverter,
    SpiffBpmnTaskConverter,
)
from SpiffWorkflow.spiff.specs.defaults import SendTask  # type: ignore[import-untyped]
from SpiffWorkflow.spiff.specs.event_definitions import (  # type: ignore[import-untyped]
    ErrorEventDefinition,
)
from SpiffWorkflow.spiff.specs.spiff_task import SpiffBpmnTask  # type: ignore[import-untyped]
from SpiffWorkflow.util.task import TaskState  # type: ignore[import-untyped]

CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
ZEEBE_NS = "http://camunda.org/schema/zeebe/1.0"
EXTENSION_KEY = "caseway_external"  # in task_spec.extensions: {"topic", "priority", "retries"}


@dataclass(frozen=True)
class ExternalTaskView:
    """A task waiting for an external worker."""

    task_id: str
    activity_id: str
    topic: str
    priority: int = 0
    retries: int | None = None  # Camunda 7: none until a worker reports a failure


class ExternalWork:
    """Mixed into a spec: running it starts the wait; a worker's completion finishes it."""

    def _run_hook(self, my_task: Any) -> None:
        return None  # Task.run leaves the task STARTED


class ExternalServiceTask(ExternalWork, SpiffBpmnTask):
    pass


class ExternalSendTask(ExternalWork, SendTask):
    pass


class ExternalEndEvent(ExternalWork, EndEvent):
    pass


class ExternalThrowEvent(ExternalWork, IntermediateThrowEvent):
    pass


def external_definition(node: Any) -> dict[str, Any] | None:
    """{"topic", "priority", "retries"} when this BPMN element is an external task, else None.

    Camunda 7's attributes win over a Zeebe task definition on the same element (diagrams
    exported for both engines carry both): the API served is Camunda 7's.
    """
    for carrier in (node, *node.findall("./{*}messageEventDefinition")):
        if carrier.get(f"{{{CAMUNDA_NS}}}type") == "external":
            priority = (carrier.get(f"{{{CAMUNDA_NS}}}taskPriority") or "").strip()
            return {
                "topic": (carrier.get(f"{{{CAMUNDA_NS}}}topic") or "").strip(),
                "priority": _whole(priority),
                "retries": None,
            }
    zeebe = node.find(f"./{{*}}extensionElements/{{{ZEEBE_NS}}}taskDefinition")
    if zeebe is not None:
        retries = (zeebe.get("retries") or "").strip()
        return {
            "topic": (zeebe.get("type") or "").strip(),
            "priority": 0,
            "retries": _whole(retries) if retries.isdigit() and _whole(retries) > 0 else None,
        }
    return None


def _whole(text: str) -> int:
    """A literal whole number; anything else (an expression, a typo) counts as 0."""
    try:
        return max(min(int(text), 2**31 - 1), -(2**31))
    except ValueError:
        return 0


class _ExternalParsing:
    """Parser mixin: an external element becomes the waiting variant of its spec class."""

    node: Any
    EXTERNAL_CLASS: type

    def parse_extensions(self, node: Any = None) -> dict[str, Any]:
        extensions: dict[str, Any] = super().parse_extensions(node)  # type: ignore[misc]
        if node is None or node is self.node:
            definition = external_definition(self.node)
            if definition is not None:
                extensions[EXTENSION_KEY] = definition
        return extensions

    def create_task(self) -> Any:
        if external_definition(self.node) is None:
            return super().create_task()  # type: ignore[misc]
        task = self._create_external()
        task.__class__ = self.EXTERNAL_CLASS  # the same spec, now waiting for a worker
        return task

    def _create_external(self) -> Any:
        return super().create_task()  # type: ignore[misc]


class ExternalServiceTaskParser(_ExternalParsing, ServiceTaskParser):
    EXTERNAL_CLASS = ExternalServiceTask

    def _create_external(self) -> Any:
        extensions = self.parse_extensions()
        return ExternalServiceTask(
            self.spec,
            self.bpmn_id,
            prescript=extensions.get("preScript"),
            postscript=extensions.get("postScript"),
            **self.bpmn_attributes,
        )


class ExternalSendTaskParser(_ExternalParsing, SpiffSendTaskParser):
    EXTERNAL_CLASS = ExternalSendTask


class ExternalEndEventParser(_ExternalParsing, SpiffEndEventParser):
    EXTERNAL_CLASS = ExternalEndEvent


class ExternalThrowEventParser(_ExternalParsing, SpiffIntermediateThrowEventParser):
    EXTERNAL_CLASS = ExternalThrowEvent


def parser_classes(base: Mapping[str, tuple[Any, Any]]) -> dict[str, tuple[Any, Any]]:
    """The Spiff parser's tag → (parser, spec) map with external-aware parsers swapped in."""
    classes = dict(base)
    for tag, parser in (
        ("serviceTask", ExternalServiceTaskParser),
        ("sendTask", ExternalSendTaskParser),
        ("endEvent", ExternalEndEventParser),
        ("intermediateThrowEvent", ExternalThrowEventParser),
    ):
        _old_parser, spec_class = classes[full_tag(tag)]
        classes[full_tag(tag)] = (parser, spec_class)
    return classes


SERIALIZER_CONFIG: dict[type, type] = {
    ExternalServiceTask: SpiffBpmnTaskConverter,
    ExternalSendTask: SendReceiveTaskConverter,
    ExternalEndEvent: EventConverter,
    ExternalThrowEvent: EventConverter,
}


# -- reading and finishing external tasks ------------------------------------------------------


def is_external(spec: Any) -> bool:
    return isinstance(spec, ExternalWork)


def spec_has_external(specs: list[Any]) -> bool:
    return any(is_external(s) for s in specs)


def definition_problems(spec: Any) -> list[str]:
    """What keeps an external task from ever being fetched, said at deploy time."""
    if not is_external(spec):
        return []
    definition = (spec.extensions or {}).get(EXTENSION_KEY, {})
    if not str(definition.get("topic") or "").strip():
        return ["external task names no topic (camunda:topic or zeebe:taskDefinition type)"]
    if len(str(definition["topic"])) > 200:
        return ["an external task's topic has at most 200 characters"]
    return []


def external_views(tasks: list[Any]) -> list[ExternalTaskView]:
    views = []
    for task in tasks:
        if task.state != TaskState.STARTED or not is_external(task.task_spec):
            continue
        definition = (task.task_spec.extensions or {}).get(EXTENSION_KEY, {})
        views.append(
            ExternalTaskView(
                task_id=str(task.id),
                activity_id=task.task_spec.bpmn_id,
                topic=str(definition.get("topic", "")),
                priority=int(definition.get("priority") or 0),
                retries=definition.get("retries"),
            )
        )
    return views


def finish(task: Any, variables: Mapping[str, Any]) -> None:
    """A worker completed the task: its variables join the data, and the process moves on."""
    if task.state != TaskState.STARTED or not is_external(task.task_spec):
        raise ValueError("not a waiting external task")
    task.data = copy.deepcopy(task.data)
    task.data.update(copy.deepcopy(dict(variables)))
    task.complete()


def throw_error(task: Any, every_task: list[Any], code: str, variables: Mapping[str, Any]) -> bool:
    """A worker's BPMN error, thrown from the task as if it ended with an error end event.

    Returns False when no boundary or enclosing event catches it (nothing changes then).
    """
    if task.state != TaskState.STARTED or not is_external(task.task_spec):
        raise ValueError("not a waiting external task")
    payload = {**copy.deepcopy(dict(task.data)), **copy.deepcopy(dict(variables))}
    definition = ErrorEventDefinition(code, code=code)
    probe = BpmnEvent(definition, payload=payload)
    catchers = [
        t
        for t in every_task
        if t.state == TaskState.WAITING
        and getattr(t.task_spec, "event_definition", None) is not None
        and t.task_spec.event_definition.catches(t, probe)
    ]
    if not catchers:
        return False
    workflow = task.workflow
    workflow.top_workflow.catch(BpmnEvent(definition, payload=payload, target=workflow))
    for catcher in catchers:  # Camunda sets the error's variables before the error propagates
        catcher.data = {**copy.deepcopy(dict(catcher.data)), **copy.deepcopy(dict(variables))}
    return True
