"""Business-time deadlines and stopped clocks as SpiffWorkflow's state holds them.

- A timer whose due time came from `business_days`/`business_hours` carries its basis in its
  internal data (deadline_capture.py); the Outcome reports it, and the database keeps it.
- The database holds the due time that counts (moved by a closure, parked while a clock is
  stopped); on load it replaces the one in the state, before any timer is refreshed, so a
  command never fires a deadline at a time the database no longer has.
- An element with the `pausesStandard` property stops the named standard's clock while it
  waits (a catch event, a receive task) or is ready (a user task "client's documents
  received").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from SpiffWorkflow.util.task import TaskState  # type: ignore[import-untyped]

from engine.deadlines.basis import Basis
from engine.runtime.deadline_capture import DEADLINE_KEY
from engine.runtime.views import PauseView

PAUSES_PROPERTY = "pausesStandard"


def basis_of(task: Any) -> Basis | None:
    return Basis.from_dict(task.internal_data.get(DEADLINE_KEY))


def apply_stored_deadlines(
    tasks: Iterable[Any], stored: Callable[[], Mapping[str, datetime]] | None
) -> None:
    """Give each waiting business-time timer the due time the database holds for it."""
    if stored is None:
        return
    waiting = [
        task
        for task in tasks
        if task.state == TaskState.WAITING
        and DEADLINE_KEY in task.internal_data
        and isinstance(task.internal_data.get("event_value"), str)
    ]
    if not waiting:
        return
    dues = stored()
    for task in waiting:
        due = dues.get(str(task.id))
        if due is not None:
            task.internal_data["event_value"] = due.isoformat()


def settle_captured_dues(tasks: Iterable[Any]) -> None:
    """A timer scheduled in this command gets the exact due time its basis gave (Spiff turned
    the duration into whole seconds from now); done once, then the basis alone is kept."""
    for task in tasks:
        basis = task.internal_data.get(DEADLINE_KEY)
        if not isinstance(basis, dict) or "due" not in basis:
            continue
        due = basis.pop("due")
        if task.state == TaskState.WAITING and isinstance(
            task.internal_data.get("event_value"), str
        ):
            task.internal_data["event_value"] = due


def within_of(workflow: Any, task: Any) -> tuple[str, ...]:
    """The ids of the subprocess (and call activity) tasks `task` runs inside, innermost first."""
    found: list[str] = []
    owner = task.workflow
    while owner is not None and owner.parent_task_id is not None:
        found.append(str(owner.parent_task_id))
        parent = workflow.get_task_from_id(owner.parent_task_id)
        owner = parent.workflow if parent is not None else None
    return tuple(found)


def pauses_standard(spec: Any) -> str | None:
    """The standard (or timer id) an element's `pausesStandard` property names."""
    properties = (getattr(spec, "extensions", None) or {}).get("properties", {}) or {}
    value = str(properties.get(PAUSES_PROPERTY, "")).strip()
    return value or None


def pause_views(tasks: Iterable[Any]) -> list[PauseView]:
    views = []
    for task in tasks:
        waiting = task.state == TaskState.WAITING or (
            task.state == TaskState.READY and task.task_spec.manual
        )
        standard = pauses_standard(task.task_spec) if waiting else None
        if standard is not None:
            name = task.task_spec.bpmn_name or task.task_spec.bpmn_id
            views.append(PauseView(str(task.id), name, standard))
    return views


def stops_clocks(workflow: Any) -> bool:
    """Whether the diagram (or a subprocess it runs) has an element that stops a clock."""
    specs = [workflow.spec, *getattr(workflow, "subprocess_specs", {}).values()]
    return any(
        pauses_standard(task_spec) is not None
        for spec in specs
        for task_spec in spec.task_specs.values()
    )
