"""What an instance's index rows must be, read from its stored state alone (nothing runs).

The human task, timer and message wait rows are derived from the instance state in the same
transaction that writes it; `caseway check` compares them with this to find any that disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from engine.runtime.engine import (
    LoadedSpec,
    _all_tasks,
    _message_wait_views,
    _open_human_tasks,
    _timers,
)
from engine.runtime.external import external_views
from engine.runtime.spiff import TERMINATED_KEY, workflow_from_json


@dataclass(frozen=True)
class Indexes:
    open_tasks: dict[str, str]  # READY user and manual tasks: task id -> task name (BPMN id)
    timers: dict[str, datetime]  # waiting timer events and when they fall due
    waits: dict[str, tuple[str, str | None]]  # message catch events: (name, correlation)
    external: dict[str, str] = field(default_factory=dict)  # external tasks: task id -> topic


def expected_indexes(spec: LoadedSpec, state: str) -> Indexes:
    workflow = workflow_from_json(state, spec.spec, spec.subprocess_specs)
    if getattr(workflow, TERMINATED_KEY, False):
        return Indexes({}, {}, {})
    return Indexes(
        open_tasks={view.task_id: view.name for view in _open_human_tasks(workflow)},
        timers={view.task_id: view.due_at for view in _timers(workflow)},
        waits={
            view.task_id: (view.message_name, view.correlation)
            for view in _message_wait_views(workflow)
        },
        external={view.task_id: view.topic for view in external_views(_all_tasks(workflow))},
    )
