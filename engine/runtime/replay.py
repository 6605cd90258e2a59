"""Replay one recorded case through a (possibly different) process version, in memory.

The what-if report (engine/supervision/whatif.py) asks: had this version been deployed, which of
last month's tasks would have been late or escalated? Each case starts with its recorded data at
its recorded start time; every human task takes as long as `answers` says (the recorded time for
that task of that case, else an estimate) and is completed with the recorded answers; timers fire
when they fall due before the next completion. Nothing is written anywhere: the runtime runs on a
clock of its own, which this module moves.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from SpiffWorkflow.bpmn import BpmnWorkflow  # type: ignore[import-untyped]
from SpiffWorkflow.util.task import TaskState  # type: ignore[import-untyped]

from engine.clock import FakeClock
from engine.runtime.deadline_state import settle_captured_dues
from engine.runtime.engine import LoadedSpec, Runtime, _all_tasks, _open_human_tasks, _timers
from engine.runtime.prune import prune_history
from engine.runtime.service_engine import RunContext
from engine.runtime.spiff import using_clock
from engine.runtime.views import HumanTaskView, TimerView

FINISHED = ("completed", "terminated", "cancelled")
TICK = timedelta(seconds=1)


class Answers(Protocol):
    """How long a person took on the n-th occurrence of a task in this case, and what they
    entered; None when the task never happened in the recorded case."""

    def duration(self, task_name: str, occurrence: int) -> timedelta: ...

    def submitted(self, task_name: str, occurrence: int) -> Mapping[str, Any]: ...


@dataclass
class ReplayedTask:
    name: str
    title: str
    lane: str | None
    created_at: datetime
    due_at: datetime | None = None
    completed_at: datetime | None = None
    escalated: bool = False

    @property
    def late(self) -> bool:
        return bool(self.completed_at and self.due_at and self.completed_at > self.due_at)


@dataclass
class Replay:
    tasks: list[ReplayedTask] = field(default_factory=list)
    ended: str = "waiting"  # completed / waiting (a message or a task beyond the horizon) / failed
    problem: str | None = None


class _LiveCase:
    """One case kept in memory from step to step: a replay never serializes the workflow,
    which is most of a stored command's cost. Uses the runtime's own stepping, so the replay
    follows exactly what a command would do."""

    def __init__(
        self, runtime: Runtime, spec: LoadedSpec, data: Mapping[str, Any], run: RunContext
    ) -> None:
        self.runtime = runtime
        self.engine = runtime._engine(run)
        with using_clock(runtime.clock):
            self.workflow = BpmnWorkflow(
                spec.spec, spec.subprocess_specs, script_engine=self.engine
            )
            self.workflow.task_tree.data.update(copy.deepcopy(dict(data)))
            self.step = self._advance()

    def fire_timers(self) -> None:
        with using_clock(self.runtime.clock):
            self.step = self._advance()

    def complete(self, task_id: str, data: Mapping[str, Any]) -> None:
        with using_clock(self.runtime.clock):
            self.workflow.refresh_timers()
            self.runtime._run_steps(self.workflow)
            task = self.runtime._find(self.workflow, task_id)
            task.data = copy.deepcopy(task.data)
            task.data.update(copy.deepcopy(dict(data)))
            self.runtime._run_task(task)
            self.step = self._advance()

    def _advance(self) -> _Step:
        try:
            self.runtime._run_steps(self.workflow)
        except Exception as exc:  # noqa: BLE001 - the candidate fails on this case: a finding
            return _Step("failed", [], [], str(exc)[:300])
        prune_history(self.workflow)
        tasks = _all_tasks(self.workflow)
        settle_captured_dues(tasks)
        if any(t.state == TaskState.ERROR for t in tasks):
            return _Step("failed", [], [], "a step failed")
        status = "completed" if self.workflow.completed else "waiting"
        return _Step(status, _open_human_tasks(self.workflow), _timers(self.workflow), None)


@dataclass(frozen=True)
class _Step:
    status: str
    open_tasks: list[HumanTaskView]
    timers: list[TimerView]
    problem: str | None


def replay(
    runtime: Runtime,
    clock: FakeClock,
    spec: LoadedSpec,
    data: Mapping[str, Any],
    run: RunContext,
    started_at: datetime,
    answers: Answers,
    *,
    horizon: datetime,
    max_steps: int = 200,
) -> Replay:
    """Drive one case until it ends, waits on something other than a person or a timer, or
    passes `horizon` (the end of the replayed period). `runtime` must run on `clock`."""
    clock.set(started_at)
    result = Replay()
    try:
        case = _LiveCase(runtime, spec, data, run)
    except Exception as exc:  # noqa: BLE001 - a candidate that fails on old data is a finding
        return Replay(ended="failed", problem=str(exc)[:300])
    seen: dict[str, ReplayedTask] = {}
    finish_at: dict[str, datetime] = {}
    occurrences: dict[str, int] = {}
    for _step in range(max_steps):
        step = case.step
        if step.problem is not None:
            result.ended, result.problem = "failed", step.problem
            break
        if step.status in FINISHED:
            result.ended = "completed"
            break
        now = clock.now()
        _note_tasks(step, seen, finish_at, occurrences, answers, now, result)
        next_timer = min((t.due_at for t in step.timers), default=None)
        open_ids = [t.task_id for t in step.open_tasks]
        next_task = min(open_ids, key=lambda task_id: finish_at[task_id], default=None)
        done_at = finish_at[next_task] if next_task else None
        if next_timer is not None and (done_at is None or next_timer < done_at):
            if next_timer > horizon:
                break
            # A timer is due once its moment has passed, as when the scheduler finds it.
            clock.set(max(next_timer + TICK, now))
            case.fire_timers()
            still = {t.task_id for t in case.step.open_tasks}
            for task_id in set(open_ids) - still:  # taken away by an interrupting timer
                seen[task_id].escalated = True
            continue
        if next_task is None or done_at is None or done_at > horizon:
            break
        clock.set(max(done_at, now))
        task = seen[next_task]
        task.completed_at = clock.now()
        submitted = dict(answers.submitted(task.name, occurrences[next_task]))
        try:
            case.complete(next_task, submitted)
        except Exception as exc:  # noqa: BLE001 - recorded answers the candidate refuses
            result.ended, result.problem = "failed", str(exc)[:300]
            break
    return result


def _note_tasks(
    step: _Step,
    seen: dict[str, ReplayedTask],
    finish_at: dict[str, datetime],
    occurrences: dict[str, int],
    answers: Answers,
    now: datetime,
    result: Replay,
) -> None:
    due = {t.attached_to: t.due_at for t in step.timers if t.attached_to}
    for view in step.open_tasks:
        task = seen.get(view.task_id)
        if task is None:
            count = sum(1 for t in result.tasks if t.name == view.name)
            task = ReplayedTask(view.name, view.title, view.lane, now)
            seen[view.task_id] = task
            occurrences[view.task_id] = count
            result.tasks.append(task)
            finish_at[view.task_id] = now + answers.duration(view.name, count)
        if view.task_id in due:
            task.due_at = due[view.task_id]
