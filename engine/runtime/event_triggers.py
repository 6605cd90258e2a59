"""Event subprocesses and the events that reach an instance from outside (messages, signals).

SpiffWorkflow starts an event subprocess when a matching event is caught, but it ignores
`isInterrupting` and never ends a process whose only remaining work is event subprocesses
still waiting for their trigger (a timer start keeps the instance open forever). Both are
done here, after every pass of the engine:

- an interrupting event subprocess that has started cancels everything else in its process;
- when the main flow has finished, event subprocesses that were never triggered are
  cancelled, so the instance completes (BPMN: they only live as long as their process).

Messages and signals an instance can catch right now are listed by `external_waits`: waiting
catch events and boundary events, plus the message and signal start events of the process's
event subprocesses (those have no task until triggered; their wait id is derived from the
instance and the start event, so it is stable from one command to the next).
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.conditional import (  # type: ignore
    ConditionalEventDefinition,
)
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import (  # type: ignore
    SignalEventDefinition,
)
from SpiffWorkflow.bpmn.specs.event_definitions.message import (  # type: ignore[import-untyped]
    MessageEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import (  # type: ignore[import-untyped]
    EventSubprocess,
)
from SpiffWorkflow.util.task import TaskState  # type: ignore[import-untyped]

from engine.runtime.spiff import INTERRUPTING_KEY
from engine.runtime.views import SIGNAL_PREFIX

_APPLIED = "caseway_interrupt_applied"
_END_SPECS = ("_EndJoin", "SimpleBpmnTask")


@dataclass(frozen=True)
class ExternalWait:
    """Something outside the instance can trigger: a message or a signal, by name."""

    wait_id: str
    kind: str  # "message" | "signal"
    name: str
    definition: Any
    spec: Any  # the catching event's spec (for correlation properties)
    task: Any | None  # the waiting task; None for an event subprocess start

    @property
    def index_name(self) -> str:
        return self.name if self.kind == "message" else SIGNAL_PREFIX + self.name


def _kind(definition: Any) -> str | None:
    if isinstance(definition, MessageEventDefinition):
        return "message"
    if isinstance(definition, SignalEventDefinition):
        return "signal"
    return None


def trigger_starts(workflow: Any) -> list[tuple[str, Any]]:
    """(subprocess spec name, start event spec) of the event subprocesses that wait for an
    event from outside the flow (message, signal, error, escalation)."""
    if workflow.completed:
        return []
    starts = []
    for name in getattr(workflow.spec.start, "trigger_specs", []) or []:
        sub = workflow.subprocess_specs.get(name)
        for start in getattr(sub, "bpmn_start_events", []) if sub is not None else []:
            starts.append((name, start))
    return starts


def external_waits(workflow: Any, waiting: list[tuple[Any, Any, Any]]) -> list[ExternalWait]:
    """Every message or signal the instance can catch now. `waiting` holds (task, definition,
    catching spec) for each waiting task (see engine.catches)."""
    found = []
    for task, definition, spec in waiting:
        kind = _kind(definition)
        if kind is not None:
            found.append(ExternalWait(str(task.id), kind, definition.name, definition, spec, task))
    if _interrupted(workflow):
        return found
    root = workflow.task_tree.id
    listening = {w.spec.name for w in found}
    for sub_name, start in trigger_starts(workflow):
        kind = _kind(start.event_definition)
        if kind is None or start.name in listening:
            continue
        wait_id = str(uuid.uuid5(root, f"{sub_name}/{start.name}"))
        found.append(
            ExternalWait(
                wait_id, kind, start.event_definition.name, start.event_definition, start, None
            )
        )
    return found


def _is_event_subprocess(task: Any) -> bool:
    """SpiffWorkflow's serializer restores event subprocesses as plain subprocesses; their
    start events carry the interrupting flag (set by the parser, spiff.py), so that tells."""
    if isinstance(task.task_spec, EventSubprocess):
        return True
    name = getattr(task.task_spec, "spec", None)
    sub_spec = task.workflow.subprocess_specs.get(name) if isinstance(name, str) else None
    starts = getattr(sub_spec, "bpmn_start_events", None) or []
    return any(INTERRUPTING_KEY in (getattr(s, "extensions", None) or {}) for s in starts)


def _fired(workflow: Any, task: Any) -> bool:
    """Whether this event subprocess's start event has caught its event."""
    if task.state in (TaskState.READY, TaskState.COMPLETED):
        return True  # it already ran to its end
    sub = workflow.subprocesses.get(task.id)
    if sub is None or task.state != TaskState.STARTED:
        return False
    starts = sub.spec.bpmn_start_events
    return any(t.task_spec in starts and t.state == TaskState.COMPLETED for t in sub.tasks.values())


def _interrupts(workflow: Any, task: Any) -> bool:
    sub_spec = workflow.subprocess_specs.get(getattr(task.task_spec, "spec", None))
    starts = getattr(sub_spec, "bpmn_start_events", None) or []
    return any((getattr(s, "extensions", None) or {}).get(INTERRUPTING_KEY, True) for s in starts)


def prepare_spec(spec: Any) -> None:
    """Connect the event subprocesses SpiffWorkflow would connect on their first trigger.

    SpiffWorkflow wires a triggered event subprocess into the *shared* process spec the first
    time its event arrives, so one instance's message changed how every later instance of the
    same (cached) definition starts. Wiring them once, when the spec is loaded, makes every
    instance alike: each starts with its event subprocesses waiting for their start events.
    """
    start = spec.start
    for name in getattr(start, "trigger_specs", []) or []:
        task_spec = spec.task_specs.get(name)
        if task_spec is not None and start not in task_spec.inputs:
            start.connect(task_spec)
            task_spec.connect(spec.end)


def _interrupted(workflow: Any) -> bool:
    return any(t.internal_data.get(_APPLIED) for t in workflow.tasks.values())


def _lineage(task: Any) -> set[Any]:
    """The task, its ancestors and its descendants (their ids)."""
    ids = {task.id}
    parent = task.parent
    while parent is not None:
        ids.add(parent.id)
        parent = parent.parent
    stack = list(task.children)
    while stack:
        child = stack.pop()
        ids.add(child.id)
        stack.extend(child.children)
    return ids


def has_event_subprocesses(workflow: Any) -> bool:
    """Whether the definition has any (worked out once per spec; most have none)."""
    spec = workflow.spec
    cached = getattr(spec, "_caseway_event_subprocesses", None)
    if cached is None:
        cached = any(
            INTERRUPTING_KEY in (getattr(start, "extensions", None) or {})
            for sub in workflow.subprocess_specs.values()
            for start in getattr(sub, "bpmn_start_events", None) or []
        )
        spec._caseway_event_subprocesses = cached
    return bool(cached)


def apply_event_subprocesses(workflow: Any) -> bool:
    """Interrupt for interrupting event subprocesses that started, and end untriggered ones
    once the main flow is done. True when anything changed (the engine should run again)."""
    if not has_event_subprocesses(workflow):
        return False
    changed = False
    for task in list(workflow.tasks.values()):
        if not _is_event_subprocess(task) or task.internal_data.get(_APPLIED):
            continue
        if not _fired(workflow, task) or not _interrupts(workflow, task):
            continue
        task.internal_data[_APPLIED] = True
        keep = _lineage(task)
        for other in list(workflow.tasks.values()):
            if other.id not in keep and not other.has_state(TaskState.FINISHED_MASK):
                other.cancel()
        changed = True
    changed = _end_idle(workflow) or changed
    if changed:
        _wake_joins(workflow)
    return changed


def _wake_joins(workflow: Any) -> None:
    """A join waiting on branches that were just cancelled re-checks whether it may go on."""
    for task in list(workflow.tasks.values()):
        if task.state == TaskState.WAITING and task.id not in workflow.event_manager.tasks:
            task.task_spec._update(task)


def _holds(workflow: Any, task: Any) -> bool:
    """A condition naming data the case does not have yet is simply not true yet."""
    try:
        return bool(
            workflow.script_engine.evaluate(task, task.task_spec.event_definition.expression)
        )
    except Exception:  # noqa: BLE001 - a failing condition waits, like a false one
        return False


def conditional_waits(workflow: Any) -> list[Any]:
    return [
        task
        for task in workflow.event_manager.tasks.values()
        if isinstance(task.task_spec.event_definition, ConditionalEventDefinition)
        and task.state == TaskState.WAITING
    ]


def refresh_conditions(workflow: Any, case_data: Mapping[str, Any]) -> bool:
    """Conditional catch, boundary and start events re-evaluate their condition (SpiffWorkflow
    only refreshes timers by itself), against the case data as the command left it: a
    condition waiting on one branch must see what a person entered on another. A condition
    that fires keeps that data; one that does not keeps its own. True when one fired."""
    fired = False
    for task in conditional_waits(workflow):
        own = task.data
        task.data = {**copy.deepcopy(own), **copy.deepcopy(dict(case_data))}
        if _holds(workflow, task):
            # SpiffWorkflow's own update would first re-inherit the branch's data; mark the
            # event fired and make the task ready directly, keeping the data it fired on.
            task._set_internal_data(has_fired=True)
            task._ready()
            fired = True
        else:
            task.data = own
    return fired


def _end_idle(workflow: Any) -> bool:
    """Cancel event subprocesses that never fired once nothing else is left to do."""
    idle, busy = [], False
    idle_ids: set[Any] = set()
    for task in workflow.tasks.values():
        if _is_event_subprocess(task) and task.state == TaskState.STARTED:
            if not _fired(workflow, task):
                idle.append(task)
                idle_ids |= _lineage(task) - _ancestors(task)
    if not idle:
        return False
    for task in workflow.tasks.values():
        if task.id in idle_ids or task.has_state(TaskState.FINISHED_MASK):
            continue
        if type(task.task_spec).__name__ in _END_SPECS:
            continue
        if task.has_state(TaskState.READY | TaskState.WAITING | TaskState.STARTED):
            busy = True
            break
        if task.has_state(TaskState.FUTURE | TaskState.LIKELY | TaskState.MAYBE):
            busy = True
            break
    if busy:
        return False
    for task in idle:
        task.cancel()
    return True


def _ancestors(task: Any) -> set[Any]:
    ids = set()
    parent = task.parent
    while parent is not None:
        ids.add(parent.id)
        parent = parent.parent
    return ids
