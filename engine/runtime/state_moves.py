"""Whether a stored instance state fits another version of its process, and the state re-shaped.

Reads SpiffWorkflow's serialized layout, so it lives in the runtime: `tasks` by id with
`task_spec` (a name), `state` (TaskState bits), `parent`, `children`; `subprocesses` by id, each
with `spec` and its own `tasks`. engine.casework.case_moves decides and writes; this only checks.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.runtime.engine import LoadedSpec

# SpiffWorkflow 3 TaskState bits as they appear in the serialized state.
_MAYBE, _LIKELY, _FUTURE = 1, 2, 4
_WAITING, _READY, _STARTED, _COMPLETED, _ERROR, _CANCELLED = 8, 16, 32, 64, 128, 256
_PREDICTED = _MAYBE | _LIKELY | _FUTURE
_ACTIVE = _WAITING | _READY | _STARTED | _ERROR
_SPLIT_SUFFIX = ".BoundaryEventSplit"  # Spiff's name for the parent of a task with boundaries


@dataclass(frozen=True)
class Blocker:
    """Why one case cannot move; `code` lets pages translate the reason."""

    code: str  # status | task_missing | history_missing | position_changed | subprocess_missing
    task_name: str | None
    message: str

    def as_dict(self) -> dict[str, str | None]:
        return {"code": self.code, "task_name": self.task_name, "message": self.message}


def check_state(
    state: dict[str, Any], target: LoadedSpec, to_version: int
) -> tuple[tuple[str, ...], list[Blocker], dict[str, Any], tuple[str, ...]]:
    """(waiting task names, blockers, the state re-shaped for the target, the waiting tasks
    that gain boundary events: their timers start when the case moves).

    Reads SpiffWorkflow's serialized layout: `tasks` by id with `task_spec` (a name), `state`,
    `parent`, `children`; `subprocesses` by id, each with `spec` and its own `tasks`.
    """
    reshaped = json.loads(json.dumps(state))  # key order is kept: Spiff's data deltas need it
    parts: list[tuple[dict[str, Any], Mapping[str, Any] | None]] = [
        (reshaped, target.spec.task_specs)
    ]
    blockers: list[Blocker] = []
    for sub in reshaped.get("subprocesses", {}).values():
        sub_spec = target.subprocess_specs.get(sub.get("spec"))
        if sub_spec is None:
            message = f"subprocess {sub.get('spec')!r} does not exist in version {to_version}"
            blockers.append(Blocker("subprocess_missing", sub.get("spec"), message))
        parts.append((sub, sub_spec.task_specs if sub_spec is not None else None))
    waiting: list[str] = []
    gained: list[str] = []
    for part, specs in parts:
        waiting.extend(_active_names(part))
        if specs is not None:
            blockers.extend(_check_part(part, specs, to_version, gained))
    return tuple(dict.fromkeys(waiting)), blockers, reshaped, tuple(gained)


def _active_names(part: dict[str, Any]) -> list[str]:
    return [t["task_spec"] for t in part["tasks"].values() if t["state"] & (_READY | _WAITING)]


def _check_part(
    part: dict[str, Any], specs: Mapping[str, Any], to_version: int, gained: list[str]
) -> list[Blocker]:
    tasks: dict[str, Any] = part["tasks"]
    blockers: list[Blocker] = []
    dropped: set[str] = set()
    for task_id, task in list(tasks.items()):
        name, state = task["task_spec"], task["state"]
        if name in specs:
            if state & _READY and _gains_boundary_events(tasks, task, specs[name]):
                blockers.extend(_start_boundary_events(tasks, task_id, task, dropped))
                gained.append(name)
            elif state & (_READY | _WAITING):
                blockers.extend(_position(tasks, task, specs[name], to_version))
            continue
        if state & _ACTIVE:
            message = f"waiting task {name!r} does not exist in version {to_version}"
            blockers.append(Blocker("task_missing", name, message))
        elif state & (_COMPLETED | _CANCELLED):
            message = (
                f"finished step {name!r} is still in the case's working history and does not "
                f"exist in version {to_version}; move the case once it has gone further"
            )
            blockers.append(Blocker("history_missing", name, message))
        else:
            dropped.update(_subtree(tasks, task_id))
    if any(tasks[i]["state"] & ~_PREDICTED for i in dropped):
        message = "a removed step has started work below it"
        blockers.append(Blocker("position_changed", None, message))
    elif dropped and not blockers:
        _drop(tasks, dropped)
    return blockers


def _position(
    tasks: Mapping[str, Any], task: Mapping[str, Any], spec: Any, to_version: int
) -> list[Blocker]:
    """A waiting task whose boundary events changed would end in a join that never fires."""
    parent = tasks.get(task.get("parent") or "")
    parent_name = parent["task_spec"] if parent is not None else None
    inputs = {getattr(i, "name", None) for i in getattr(spec, "inputs", [])}
    boundary = (parent_name or "").endswith(_SPLIT_SUFFIX) or any(
        (n or "").endswith(_SPLIT_SUFFIX) for n in inputs
    )
    if not boundary or parent_name in inputs:
        return []
    name = task["task_spec"]
    message = (
        f"the boundary events around waiting task {name!r} differ in version {to_version}; "
        "it cannot change shape while it waits"
    )
    return [Blocker("position_changed", name, message)]


def _gains_boundary_events(tasks: Mapping[str, Any], task: Mapping[str, Any], spec: Any) -> bool:
    """A ready task that had no boundary events and has some in the target."""
    parent = tasks.get(task.get("parent") or "")
    parent_name = parent["task_spec"] if parent is not None else ""
    split = f"{task['task_spec']}{_SPLIT_SUFFIX}"
    inputs = {getattr(i, "name", None) for i in getattr(spec, "inputs", [])}
    return split in inputs and not parent_name.endswith(_SPLIT_SUFFIX)


def _start_boundary_events(
    tasks: dict[str, Any], task_id: str, task: dict[str, Any], dropped: set[str]
) -> list[Blocker]:
    """The ready task becomes its target's boundary-event split, ready to run: the engine then
    opens the task again beside its new boundary events, whose timers start now."""
    below = [i for child in task.get("children", []) for i in _subtree(tasks, child)]
    if any(tasks[i]["state"] & ~_PREDICTED for i in below):
        message = f"work has started below waiting task {task['task_spec']!r}"
        return [Blocker("position_changed", task["task_spec"], message)]
    dropped.update(below)
    task["task_spec"] = f"{task['task_spec']}{_SPLIT_SUFFIX}"
    task["children"] = []
    return []


def _subtree(tasks: Mapping[str, Any], task_id: str) -> list[str]:
    found, stack = [], [task_id]
    while stack:
        current = stack.pop()
        if current in tasks:
            found.append(current)
            stack.extend(tasks[current].get("children", []))
    return found


def _drop(tasks: dict[str, Any], dropped: set[str]) -> None:
    for task_id in dropped:
        tasks.pop(task_id, None)
    for task in tasks.values():
        if any(child in dropped for child in task.get("children", [])):
            task["children"] = [c for c in task["children"] if c not in dropped]
