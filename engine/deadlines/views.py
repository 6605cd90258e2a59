"""What staff see of moved deadlines and stopped clocks, on the task and case pages."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.store.models import AuditEvent, ClockPause, Deadline, HumanTask, ProcessInstance


@dataclass(frozen=True)
class StoppedClock:
    """A standard's clock standing still: since when, and what the office waits for."""

    since: datetime
    waiting_for: str
    standard: str


@dataclass(frozen=True)
class DeadlineMove:
    at: datetime
    before: datetime | None
    after: datetime | None
    cause: str


@dataclass
class TaskClock:
    stopped: StoppedClock | None = None
    moves: list[DeadlineMove] = field(default_factory=list)
    # How the due time was computed: (amount, unit, counted from, standard) when business time.
    basis: tuple[float, str, datetime, str | None] | None = None


def task_clock(session: Session, task: HumanTask) -> TaskClock:
    """The task's stopped clock (its deadline's, or its own when it is the element waiting on
    the client) and the history of its deadline's moves."""
    clock = TaskClock()
    deadline = session.get(Deadline, task.deadline_id) if task.deadline_id else None
    if deadline is not None:
        clock.basis = (deadline.amount, deadline.unit, deadline.start_at, deadline.standard_key)
    if task.status == "open":
        pauses = _open_pauses(session, [task.instance_id])
        own = [p for p in pauses if p.element_id == task.id]
        if deadline is not None and deadline.paused_since is not None:
            own += [
                p for p in pauses if p.standard_key in (deadline.standard_key, deadline.timer_name)
            ]
        if own:
            first = min(own, key=lambda p: p.started_at)
            clock.stopped = StoppedClock(first.started_at, first.element_name, first.standard_key)
    events = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.task_id == task.id, AuditEvent.action == "deadline.move")
        .order_by(AuditEvent.at, AuditEvent.id)
    )
    clock.moves = [_move(e) for e in events]
    return clock


def stopped_clocks(session: Session, case_id: int) -> list[StoppedClock]:
    """The clocks standing still in a case's processes."""
    instances = select(ProcessInstance.id).where(ProcessInstance.case_id == case_id)
    pauses = _open_pauses(session, instances)
    return [StoppedClock(p.started_at, p.element_name, p.standard_key) for p in pauses]


def _open_pauses(session: Session, instance_ids: object) -> list[ClockPause]:
    return list(
        session.scalars(
            select(ClockPause)
            .where(ClockPause.instance_id.in_(instance_ids), ClockPause.ended_at.is_(None))  # type: ignore[arg-type]
            .order_by(ClockPause.started_at)
        )
    )


def _move(event: AuditEvent) -> DeadlineMove:
    detail = json.loads(event.detail_json or "{}")
    return DeadlineMove(
        event.at, _when(detail.get("from")), _when(detail.get("to")), str(detail.get("cause", ""))
    )


def _when(text: object) -> datetime | None:
    try:
        return datetime.fromisoformat(str(text))
    except ValueError:
        return None
