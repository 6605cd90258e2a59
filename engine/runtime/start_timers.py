"""Timer start events: one new instance per firing, as in Camunda.

A process that starts on a timer is watched by one *schedule* instance per office whose only
work is its start event's timer (the timer row the scheduler claims exactly once across
workers). When it fires, `take_firings` consumes the firing in the schedule without running
the flow there, and the caller starts a fresh instance with `fire_start` — an instance whose
timer start event has already fired, so it runs its flow like any started case.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (  # type: ignore[import-untyped]
    CycleTimerEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.util.task import TaskState  # type: ignore[import-untyped]


def start_timer_tasks(workflow: Any) -> list[Any]:
    """The process's waiting timer start events (not those of event subprocesses)."""
    return [
        task
        for task in workflow.tasks.values()
        if task.state == TaskState.WAITING
        and type(task.task_spec).__name__ == "StartEvent"
        and isinstance(getattr(task.task_spec, "event_definition", None), TimerEventDefinition)
    ]


def take_firings(workflow: Any) -> tuple[int, bool]:
    """Consume what fell due on the schedule's start timers: (firings, whether the schedule has
    no firings left). The flow after the start event is not run here."""
    fired, finished = 0, False
    for task in start_timer_tasks(workflow):
        before = set(task._children)
        task.task_spec._update(task)
        for child in [c for c in task.children if c.id not in before]:
            _drop(workflow, child)
            fired += 1
        value = task.internal_data.get("event_value")
        if task.state == TaskState.READY:  # a one-off (date or duration) start timer
            fired += 1
            finished = True
        elif isinstance(value, dict) and value.get("cycles") == 0:
            finished = True
    return fired, finished


def fire_start(workflow: Any, now: datetime) -> None:
    """Make the new instance's timer start events fire now (its flow then runs as usual)."""
    past = (now - timedelta(seconds=1)).isoformat()
    for task in start_timer_tasks(workflow):
        if isinstance(task.task_spec.event_definition, CycleTimerEventDefinition):
            task._set_internal_data(event_value={"cycles": 1, "next": past, "duration": 0})
        else:
            task._set_internal_data(event_value=past)
        task.task_spec._update(task)


def _drop(workflow: Any, task: Any) -> None:
    """Remove a branch the firing added to the schedule (and any subprocess it started)."""
    doomed = [task]
    stack = list(task.children)
    while stack:
        child = stack.pop()
        doomed.append(child)
        stack.extend(child.children)
    for item in doomed:
        workflow.event_manager.remove_task(item)
        workflow.subprocesses.pop(item.id, None)
    workflow._remove_task(task.id)
