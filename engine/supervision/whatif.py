"""What-if before deploy: replay the last weeks of cases through a candidate version.

For each case of the process started in the period (most recent first, at most `max_cases`),
the recorded history says when each human task was created and completed, and with what
answers. The candidate version is run from the case's start with the case's recorded data; each
task it opens takes the recorded time of the same task in that case, else the median of that
task over all replayed cases, else the designer's estimate (else one day); timers fire when due.
The report sets what happened (old) beside what the candidate would have done (new): on-time
share, late and escalated tasks per task and overall, and tasks per queue per week.

What it assumes, stated on the report: the same arrivals, the same time per task, the same
answers; a task that is new in the candidate takes the median of similar tasks or an estimate.
"""

from __future__ import annotations

import json
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import errors
from engine.clock import FakeClock
from engine.deadlines.closures import closure_days
from engine.definitions.compile import CompileOptions, SourceFile, compile_bundle, split_uploads
from engine.definitions.deploy import latest_definition
from engine.definitions.forms import FormSource
from engine.definitions.routing import queue_key
from engine.runtime.engine import LoadedSpec, Runtime
from engine.runtime.replay import Replay, replay
from engine.runtime.service_engine import RunContext
from engine.services import Services
from engine.statuses import ClosedReason, TaskStatus
from engine.store.models import HumanTask, ProcessInstance

DEFAULT_ESTIMATE = timedelta(days=1)
MAX_CASES = 10_000
ASSUMPTIONS = (
    "Cases arrive as they did; each task takes the time it took in that case; answers are the "
    "recorded ones; a task that is new in the candidate takes the median time of that task over "
    "the replayed cases, else the designer's estimate, else one day."
)


@dataclass
class TaskFigures:
    count: int = 0
    on_time: int = 0
    late: int = 0
    escalated: int = 0
    no_standard: int = 0
    open_at_end: int = 0

    @property
    def on_time_pct(self) -> float | None:
        judged = self.on_time + self.late + self.escalated
        return round(100 * self.on_time / judged, 1) if judged else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "on_time": self.on_time,
            "late": self.late,
            "escalated": self.escalated,
            "no_standard": self.no_standard,
            "open_at_end": self.open_at_end,
            "on_time_pct": self.on_time_pct,
        }


@dataclass
class Side:
    by_task: dict[str, TaskFigures] = field(default_factory=lambda: defaultdict(TaskFigures))
    per_queue_week: Counter[tuple[str, str]] = field(default_factory=Counter)

    def overall(self) -> TaskFigures:
        total = TaskFigures()
        for figures in self.by_task.values():
            for key in ("count", "on_time", "late", "escalated", "no_standard", "open_at_end"):
                setattr(total, key, getattr(total, key) + getattr(figures, key))
        return total


@dataclass
class WhatIf:
    process_id: str
    since: datetime
    until: datetime
    cases: int
    old: Side
    new: Side
    failed_cases: int
    problems: list[str]
    titles: dict[str, str]

    def as_dict(self) -> dict[str, Any]:
        names = sorted(set(self.old.by_task) | set(self.new.by_task))
        weeks = sorted(
            {w for _q, w in self.old.per_queue_week} | {w for _q, w in self.new.per_queue_week}
        )
        queues = sorted(
            {q for q, _w in self.old.per_queue_week} | {q for q, _w in self.new.per_queue_week}
        )
        return {
            "process_id": self.process_id,
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "cases": self.cases,
            "failed_cases": self.failed_cases,
            "problems": self.problems[:20],
            "assumptions": ASSUMPTIONS,
            "overall": {"old": self.old.overall().as_dict(), "new": self.new.overall().as_dict()},
            "tasks": [
                {
                    "task_name": name,
                    "title": self.titles.get(name, name),
                    "old": self.old.by_task[name].as_dict() if name in self.old.by_task else None,
                    "new": self.new.by_task[name].as_dict() if name in self.new.by_task else None,
                }
                for name in names
            ],
            "per_queue_week": [
                {
                    "queue": queue,
                    "week": week,
                    "old": self.old.per_queue_week.get((queue, week), 0),
                    "new": self.new.per_queue_week.get((queue, week), 0),
                }
                for queue in queues
                for week in weeks
            ],
        }


@dataclass
class _Recorded:
    """One case's history: its tasks by name in creation order."""

    tasks: dict[str, list[HumanTask]]

    def duration(self, task_name: str, occurrence: int, fallback: timedelta) -> timedelta:
        rows = self.tasks.get(task_name, [])
        done = rows[occurrence].completed_at if occurrence < len(rows) else None
        if done is not None:
            return done - rows[occurrence].created_at
        return fallback


class _CaseAnswers:
    def __init__(self, recorded: _Recorded, medians: Mapping[str, timedelta]) -> None:
        self.recorded = recorded
        self.medians = medians

    def duration(self, task_name: str, occurrence: int) -> timedelta:
        fallback = self.medians.get(task_name, self.medians.get("", DEFAULT_ESTIMATE))
        return self.recorded.duration(task_name, occurrence, fallback)

    def submitted(self, task_name: str, occurrence: int) -> Mapping[str, Any]:
        rows = self.recorded.tasks.get(task_name, [])
        if occurrence < len(rows) and rows[occurrence].submitted_json:
            loaded = json.loads(rows[occurrence].submitted_json or "{}")
            return loaded if isinstance(loaded, dict) else {}
        return {}


def parse_estimate(text: str) -> tuple[str, timedelta]:
    """`TASK=HOURS` (an empty TASK sets the time of any task without a record)."""
    name, _, hours = text.partition("=")
    try:
        return name.strip(), timedelta(hours=float(hours))
    except ValueError:
        raise errors.Invalid(f"an estimate is TASK=HOURS, not {text!r}", field="estimate") from None


def candidate_spec(svc: Services, process_id: str, files: list[SourceFile]) -> LoadedSpec:
    """Compile the uploaded candidate (DefinitionInvalid lists its problems)."""
    diagrams, forms = split_uploads(files)
    options = CompileOptions(
        default_queue=svc.settings.default_queue, manual_tasks=svc.settings.manual_tasks
    )
    forms_source = FormSource(svc.settings.forms_dir, forms)
    compiled = compile_bundle(diagrams, forms_source, svc.registry, options)
    for item in compiled:
        if item.process_id == process_id:
            return LoadedSpec.from_json(item.spec_json)
    raise errors.Invalid(f"the uploaded files do not define process {process_id!r}", field="file")


def what_if(
    svc: Services,
    session: Session,
    process_id: str,
    candidate: LoadedSpec,
    *,
    weeks: int,
    estimates: Mapping[str, timedelta] | None = None,
    office: str | None = None,
    max_cases: int = MAX_CASES,
) -> WhatIf:
    if not 1 <= weeks <= 52:
        raise errors.Invalid("weeks must be between 1 and 52", field="weeks")
    if latest_definition(session, process_id) is None:
        raise errors.NotFound(f"no deployed process {process_id!r}")
    until = svc.clock.now()
    since = until - timedelta(weeks=weeks)
    instances = _instances(session, process_id, since, office, max_cases)
    history = _history(session, [i.id for i in instances])
    old, titles = _recorded_side(history)
    medians = _medians(history, estimates or {})
    new = Side()
    failed, problems = 0, list[str]()
    clock = FakeClock(since)
    runtime = Runtime(
        svc.registry,
        clock,
        script_time_limit=svc.runtime.script_time_limit,
        calendars=svc.runtime.calendars,
        standards=svc.runtime.standards,
        sandbox=svc.runtime.sandbox,
    )
    closures: dict[str, list[date]] = {}
    lanes = _lanes(history)
    for instance in instances:
        if instance.office not in closures:
            closures[instance.office] = closure_days(session, instance.office)()
        run = RunContext(
            f"whatif-{instance.id}",
            instance.business_key,
            instance.office,
            closures=_fixed(closures[instance.office]),
        )
        data = json.loads(instance.data_json or "{}")
        recorded = _Recorded(_by_name(history.get(instance.id, [])))
        result = replay(
            runtime,
            clock,
            candidate,
            {k: v for k, v in data.items() if not k.startswith("spiff")},
            run,
            instance.created_at,
            _CaseAnswers(recorded, medians),
            horizon=until,
        )
        if result.ended == "failed":
            failed += 1
            if result.problem and len(problems) < 20:
                problems.append(f"{instance.business_key}: {result.problem}")
        _add_replay(new, result, titles, lanes)
    return WhatIf(process_id, since, until, len(instances), old, new, failed, problems, titles)


def _fixed(days: list[date]) -> Callable[[], list[date]]:
    return lambda: days


def _instances(
    session: Session, process_id: str, since: datetime, office: str | None, limit: int
) -> Sequence[ProcessInstance]:
    query = select(ProcessInstance).where(
        ProcessInstance.process_id == process_id, ProcessInstance.created_at >= since
    )
    if office is not None:
        query = query.where(ProcessInstance.office == office)
    return session.scalars(query.order_by(ProcessInstance.created_at.desc()).limit(limit)).all()


def _history(session: Session, instance_ids: list[str]) -> dict[str, list[HumanTask]]:
    found: dict[str, list[HumanTask]] = defaultdict(list)
    for chunk in range(0, len(instance_ids), 500):
        ids = instance_ids[chunk : chunk + 500]
        rows = session.scalars(
            select(HumanTask)
            .where(HumanTask.instance_id.in_(ids))
            .order_by(HumanTask.created_at, HumanTask.id)
        )
        for row in rows:
            found[row.instance_id].append(row)
    return found


def _by_name(rows: Iterable[HumanTask]) -> dict[str, list[HumanTask]]:
    named: dict[str, list[HumanTask]] = defaultdict(list)
    for row in rows:
        named[row.task_name].append(row)
    return named


def _recorded_side(history: Mapping[str, list[HumanTask]]) -> tuple[Side, dict[str, str]]:
    side, titles = Side(), dict[str, str]()
    for rows in history.values():
        for row in rows:
            titles.setdefault(row.task_name, row.title)
            figures = side.by_task[row.task_name]
            figures.count += 1
            side.per_queue_week[(row.queue, _week(row.created_at))] += 1
            if row.closed_reason == ClosedReason.ESCALATED:
                figures.escalated += 1
            elif row.status == TaskStatus.OPEN:
                figures.open_at_end += 1
            elif row.status != TaskStatus.COMPLETED:
                continue
            elif row.due_at is None:
                figures.no_standard += 1
            elif row.completed_at is not None and row.completed_at <= row.due_at:
                figures.on_time += 1
            else:
                figures.late += 1
    return side, titles


def _medians(
    history: Mapping[str, list[HumanTask]], estimates: Mapping[str, timedelta]
) -> dict[str, timedelta]:
    spans: dict[str, list[float]] = defaultdict(list)
    for rows in history.values():
        for row in rows:
            if row.completed_at is not None and row.status == TaskStatus.COMPLETED:
                seconds = (row.completed_at - row.created_at).total_seconds()
                spans[row.task_name].append(seconds)
                spans[""].append(seconds)
    medians = {name: timedelta(seconds=statistics.median(v)) for name, v in spans.items()}
    return {**medians, **estimates}


def _lanes(history: Mapping[str, list[HumanTask]]) -> dict[str, str]:
    return {row.task_name: row.queue for rows in history.values() for row in rows}


def _add_replay(
    side: Side, result: Replay, titles: dict[str, str], lanes: Mapping[str, str]
) -> None:
    for task in result.tasks:
        titles[task.name] = task.title  # the candidate's wording
        figures = side.by_task[task.name]
        figures.count += 1
        queue = queue_key(task.lane) if task.lane else lanes.get(task.name, "")
        side.per_queue_week[(queue, _week(task.created_at))] += 1
        if task.escalated:
            figures.escalated += 1
        elif task.completed_at is None:
            figures.open_at_end += 1
        elif task.due_at is None:
            figures.no_standard += 1
        elif task.late:
            figures.late += 1
        else:
            figures.on_time += 1


def _week(moment: datetime) -> str:
    year, week, _day = moment.isocalendar()
    return f"{year}-W{week:02d}"
