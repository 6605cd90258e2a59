"""Do the index rows agree with the instance state? (`caseway check`, and the fault tests.)

The state is the truth; open human tasks, timers and message waits are rows derived from it in
the same transaction. For every running case this reads the state (nothing runs) and compares:
READY user tasks with open `human_task` rows, waiting timer events (and their due times) with
`timer` rows, message catch events with `message_wait` rows, tasks waiting for an external
worker with `external_task` rows. A finished case must have none of
those rows. A timer the engine stopped because it did not advance (it has a `timer` incident)
is allowed to be missing.

Cases are read a page at a time without locks; a case that seems to disagree is read again
under its row lock, the lock every command holds while it writes, so a command in flight is
never reported.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.casework.sync import unpack_state
from engine.deadlines.tracking import stored_dues
from engine.runtime.indexes import Indexes, expected_indexes
from engine.services import Services
from engine.statuses import FINISHED_INSTANCE_STATUSES, TaskStatus
from engine.store.db import transaction
from engine.store.models import (
    Definition,
    ExternalTask,
    HumanTask,
    Incident,
    MessageWait,
    ProcessInstance,
    Timer,
)

FINISHED = FINISHED_INSTANCE_STATUSES


@dataclass(frozen=True)
class Disagreement:
    instance_id: str
    business_key: str
    status: str
    problems: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        return {
            "instance_id": self.instance_id,
            "business_key": self.business_key,
            "status": self.status,
            "problems": list(self.problems),
        }


@dataclass(frozen=True)
class Report:
    checked: int
    disagreements: list[Disagreement]


def check_instances(
    svc: Services, instance_ids: Sequence[str] | None = None, page_size: int = 200
) -> Report:
    """Every case (or the ones named) whose rows disagree with its state, by instance id."""
    checked, found = 0, []
    for page in _pages(svc, instance_ids, page_size):
        with svc.readers() as session:
            suspects = sorted(_page_problems(svc, session, page))
        checked += len(page)
        for instance_id in suspects:
            confirmed = _confirm(svc, instance_id)
            if confirmed is not None:
                found.append(confirmed)
    return Report(checked, found)


def _pages(
    svc: Services, instance_ids: Sequence[str] | None, page_size: int
) -> Iterator[list[str]]:
    if instance_ids is not None:
        wanted = sorted(set(instance_ids))
        for start in range(0, len(wanted), page_size):
            yield wanted[start : start + page_size]
        return
    after = ""
    while True:
        with svc.readers() as session:
            page = list(
                session.scalars(
                    select(ProcessInstance.id)
                    .where(ProcessInstance.id > after)
                    .order_by(ProcessInstance.id)
                    .limit(page_size)
                )
            )
        if not page:
            return
        yield page
        after = page[-1]


def _confirm(svc: Services, instance_id: str) -> Disagreement | None:
    """Read the case again under its row lock: a command in flight has finished by then."""
    with transaction(svc.sessions) as session:
        instance = session.get(ProcessInstance, instance_id, with_for_update=True)
        if instance is None:
            return None
        problems = _page_problems(svc, session, [instance_id]).get(instance_id)
        if not problems:
            return None
        return Disagreement(instance.id, instance.business_key, instance.status, tuple(problems))


@dataclass
class _Rows:
    """One page of cases' index rows, by instance id."""

    tasks: dict[str, dict[str, str]]  # instance -> task id -> task name
    timers: dict[str, dict[str, datetime]]
    stopped_timers: dict[str, set[str]]
    waits: dict[str, dict[str, tuple[str, str | None]]]
    external: dict[str, dict[str, str]]  # instance -> external task id -> topic


def _page_problems(svc: Services, session: Session, ids: list[str]) -> dict[str, list[str]]:
    rows = _read_rows(session, ids)
    problems: dict[str, list[str]] = {}
    instances = session.scalars(
        select(ProcessInstance)
        .where(ProcessInstance.id.in_(ids))
        .execution_options(populate_existing=True)
    )
    for instance in instances:
        wanted = _with_stored_dues(
            _wanted(svc, session, instance), stored_dues(session, instance.id)
        )
        found = [
            *_task_problems(rows.tasks.get(instance.id, {}), wanted),
            *_timer_problems(
                rows.timers.get(instance.id, {}),
                rows.stopped_timers.get(instance.id, set()),
                wanted,
            ),
            *_wait_problems(rows.waits.get(instance.id, {}), wanted),
            *_external_problems(rows.external.get(instance.id, {}), wanted),
        ]
        if found:
            problems[instance.id] = found
    return problems


def _wanted(svc: Services, session: Session, instance: ProcessInstance) -> Indexes:
    if instance.status in FINISHED:
        return Indexes({}, {}, {})
    definition = session.get_one(Definition, instance.definition_id)
    spec = svc.specs.get(definition.id, definition.spec_json)
    return expected_indexes(spec, unpack_state(instance.state))


def _with_stored_dues(wanted: Indexes, stored: Callable[[], dict[str, datetime]]) -> Indexes:
    """A business-time deadline's due time is the one its deadline row holds (a calendar change
    moves it there; the state catches up at the instance's next command)."""
    if not wanted.timers:
        return wanted
    dues = stored()
    timers = {tid: dues.get(tid, due) for tid, due in wanted.timers.items()}
    return dataclasses.replace(wanted, timers=timers)


def _read_rows(session: Session, ids: list[str]) -> _Rows:
    rows = _Rows({}, {}, {}, {}, {})
    for instance_id, task_id, task_name in session.execute(
        select(HumanTask.instance_id, HumanTask.id, HumanTask.task_name).where(
            HumanTask.instance_id.in_(ids), HumanTask.status == TaskStatus.OPEN
        )
    ):
        rows.tasks.setdefault(instance_id, {})[task_id] = task_name
    for instance_id, timer_id, due_at in session.execute(
        select(Timer.instance_id, Timer.id, Timer.due_at).where(Timer.instance_id.in_(ids))
    ):
        rows.timers.setdefault(instance_id, {})[timer_id] = due_at
    for instance_id, stopped_id in session.execute(
        select(Incident.instance_id, Incident.task_id).where(
            Incident.instance_id.in_(ids), Incident.kind == "timer"
        )
    ):
        if stopped_id is not None:
            rows.stopped_timers.setdefault(instance_id, set()).add(stopped_id)
    for instance_id, wait_id, name, correlation in session.execute(
        select(
            MessageWait.instance_id,
            MessageWait.id,
            MessageWait.message_name,
            MessageWait.correlation,
        ).where(MessageWait.instance_id.in_(ids))
    ):
        rows.waits.setdefault(instance_id, {})[wait_id] = (name, correlation)
    for instance_id, task_id, topic in session.execute(
        select(ExternalTask.instance_id, ExternalTask.id, ExternalTask.topic).where(
            ExternalTask.instance_id.in_(ids)
        )
    ):
        rows.external.setdefault(instance_id, {})[task_id] = topic
    return rows


def _task_problems(rows: dict[str, str], wanted: Indexes) -> list[str]:
    missing = [
        f"task {t} is waiting in the state but has no open row"
        for t in sorted(wanted.open_tasks.keys() - rows.keys())
    ]
    extra = [
        f"task {t} has an open row but is not waiting in the state"
        for t in sorted(rows.keys() - wanted.open_tasks.keys())
    ]
    renamed = [
        f"task {t} is {wanted.open_tasks[t]!r} in the state but {rows[t]!r} in its row"
        for t in sorted(rows.keys() & wanted.open_tasks.keys())
        if rows[t] != wanted.open_tasks[t]
    ]
    return missing + extra + renamed


def _timer_problems(rows: dict[str, datetime], stopped: set[str], wanted: Indexes) -> list[str]:
    problems = []
    for timer_id, due_at in sorted(wanted.timers.items()):
        if timer_id not in rows and timer_id not in stopped:
            problems.append(f"timer {timer_id} (due {due_at.isoformat()}) has no row")
        elif timer_id in rows and rows[timer_id] != due_at:
            problems.append(
                f"timer {timer_id} is due {due_at.isoformat()} in the state but "
                f"{rows[timer_id].isoformat()} in its row"
            )
    problems.extend(
        f"timer {timer_id} has a row but is not waiting in the state"
        for timer_id in sorted(set(rows) - set(wanted.timers))
    )
    return problems


def _wait_problems(rows: dict[str, tuple[str, str | None]], wanted: Indexes) -> list[str]:
    problems = [
        f"message wait {w} ({wanted.waits[w][0]}) has no row, or its correlation differs"
        for w in sorted(wanted.waits)
        if rows.get(w) != wanted.waits[w]
    ]
    problems.extend(
        f"message wait {w} has a row but is not waiting in the state"
        for w in sorted(set(rows) - set(wanted.waits))
    )
    return problems


def _external_problems(rows: dict[str, str], wanted: Indexes) -> list[str]:
    problems = [
        f"external task {t} ({wanted.external[t]}) is waiting in the state but has no row"
        for t in sorted(wanted.external.keys() - rows.keys())
    ]
    problems.extend(
        f"external task {t} has a row but is not waiting in the state"
        for t in sorted(rows.keys() - wanted.external.keys())
    )
    return problems
