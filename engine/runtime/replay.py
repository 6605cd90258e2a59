"""Replay one recorded case through a (possibly different) process version, in memory.

The what-if report (engine/supervision/whatif.py) asks: had this version been deployed, which of
last month's tasks would have been late or escalated? Each case starts with its recorded data at
its recorded start time; every human task takes as long as `answers` says (the recorded time for
that task of that case, else an estimate) and is completed with the recorded answers; timers fire
when they fall due before the next completion. Nothing is written anywhere: the runtime runs on a
clock of its own, which this module moves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from engine.clock import FakeClock
from engine.runtime.engine import LoadedSpec, Runtime
from engine.runtime.service_engine import RunContext
from engine.runtime.views import Outcome

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
    passes `horizon` (the end of the replayed period)."""
    clock.set(started_at)
    result = Replay()
    try:
        outcome = runtime.start(spec, data, run)
    except Exception as exc:  # noqa: BLE001 - a candidate that fails on old data is a finding
        return Replay(ended="failed", problem=str(exc)[:300])
    seen: dict[str, ReplayedTask] = {}
    finish_at: dict[str, datetime] = {}
    occurrences: dict[str, int] = {}
    for _step in range(max_steps):
        if outcome.incident is not None:
            result.ended, result.problem = "failed", outcome.incident.message[:300]
            break
        if outcome.status in FINISHED:
            result.ended = "completed"
            break
        now = clock.now()
        _note_tasks(outcome, seen, finish_at, occurrences, answers, now, result)
        next_timer = min((t.due_at for t in outcome.timers), default=None)
        open_ids = [t.task_id for t in outcome.open_tasks]
        next_task = min(open_ids, key=lambda task_id: finish_at[task_id], default=None)
        done_at = finish_at[next_task] if next_task else None
        if next_timer is not None and (done_at is None or next_timer < done_at):
            if next_timer > horizon:
                break
            # A timer is due once its moment has passed, as when the scheduler finds it.
            clock.set(max(next_timer + TICK, now))
            before = set(open_ids)
            try:
                outcome = runtime.fire_timers(spec, outcome.state, run)
            except Exception as exc:  # noqa: BLE001 - the candidate fails on this case
                result.ended, result.problem = "failed", str(exc)[:300]
                break
            still = {t.task_id for t in outcome.open_tasks}
            for task_id in before - still:  # taken away by an interrupting timer
                seen[task_id].escalated = True
            continue
        if next_task is None or done_at is None or done_at > horizon:
            break
        clock.set(max(done_at, now))
        task = seen[next_task]
        task.completed_at = clock.now()
        submitted = dict(answers.submitted(task.name, occurrences[next_task]))
        try:
            outcome = runtime.complete_task(spec, outcome.state, next_task, submitted, run)
        except Exception as exc:  # noqa: BLE001 - recorded answers the candidate refuses
            result.ended, result.problem = "failed", str(exc)[:300]
            break
    return result


def _note_tasks(
    outcome: Outcome,
    seen: dict[str, ReplayedTask],
    finish_at: dict[str, datetime],
    occurrences: dict[str, int],
    answers: Answers,
    now: datetime,
    result: Replay,
) -> None:
    due = {t.attached_to: t.due_at for t in outcome.timers if t.attached_to}
    for view in outcome.open_tasks:
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
