"""Deadline and clock-pause rows, kept with an instance's timers in the command's transaction.

- A waiting business-time timer has an open `deadline` row: its basis and the due time that
  counts. The runtime reads those due times back on load (`stored_dues`), so a deadline the
  calendar moved, or a clock that stopped, is what the engine acts on.
- An element with `pausesStandard` waiting opens a `clock_pause` row; the matching deadlines of
  the instance stop (their timers are parked at STOPPED, their tasks show no due time). When it
  stops waiting, the pause ends and each stopped deadline moves later by the business hours it
  stood still.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine.audit import record
from engine.deadlines.basis import (
    STOPPED,
    Basis,
    business_hours_between,
    calendar_version,
    pushed,
)
from engine.deadlines.calendar import OfficeCalendar
from engine.store.models import ClockPause, Deadline, HumanTask, Timer

OPEN, CLOSED = "open", "closed"


class TimerLike(Protocol):
    @property
    def task_id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def due_at(self) -> datetime: ...
    @property
    def attached_to(self) -> str | None: ...
    @property
    def basis(self) -> Basis | None: ...


class PauseLike(Protocol):
    @property
    def task_id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def standard(self) -> str: ...


@dataclass(frozen=True)
class Where:
    """The instance a command wrote, and who and when."""

    instance_id: str
    office: str
    case_id: int | None
    actor: str
    now: datetime


def stored_dues(session: Session, instance_id: str) -> Callable[[], dict[str, datetime]]:
    """A loader of the due times that count for the instance's open deadlines (STOPPED while a
    clock stands still), for RunContext: it reads them only if called."""

    def load() -> dict[str, datetime]:
        rows = session.execute(
            select(Deadline.timer_id, Deadline.due_at, Deadline.paused_since).where(
                Deadline.instance_id == instance_id, Deadline.status == OPEN
            )
        )
        return {tid: (STOPPED if since is not None else due) for tid, due, since in rows}

    return load


def close_deadlines(session: Session, timer_ids: Sequence[str]) -> None:
    """Timers that stopped waiting (fired, cancelled): their deadlines are history."""
    if timer_ids:
        session.execute(
            update(Deadline)
            .where(Deadline.timer_id.in_(list(timer_ids)), Deadline.status == OPEN)
            .values(status=CLOSED)
        )


def open_deadlines(
    session: Session,
    where: Where,
    timers: Iterable[TimerLike],
    calendar: Callable[[], OfficeCalendar],
) -> list[Deadline]:
    """Rows for timers scheduled in this command whose due time came from business time."""
    created = []
    for timer in timers:
        if timer.basis is None:
            continue
        basis = timer.basis
        row = Deadline(
            timer_id=timer.task_id,
            instance_id=where.instance_id,
            office=where.office,
            timer_name=timer.name,
            attached_to=timer.attached_to,
            start_at=basis.start_at,
            amount=basis.amount,
            unit=basis.unit,
            standard_key=basis.standard_key,
            calendar_version=calendar_version(calendar()),
            paused_hours=0.0,
            due_without_pauses=timer.due_at,
            due_at=timer.due_at,
            status=OPEN,
        )
        session.add(row)
        created.append(row)
    return created


def track_pauses(
    session: Session,
    where: Where,
    pauses: Sequence[PauseLike],
    created: Sequence[Deadline],
    calendar: Callable[[], OfficeCalendar],
) -> None:
    """Open and end the instance's clock pauses to match the elements waiting on the client,
    then stop or restart its deadlines to match."""
    open_rows = {
        (row.element_id, row.standard_key): row
        for row in session.scalars(
            select(ClockPause).where(
                ClockPause.instance_id == where.instance_id, ClockPause.ended_at.is_(None)
            )
        )
    }
    wanted = {(p.task_id, p.standard): p for p in pauses}
    changed = bool(created) and bool(open_rows or wanted)
    for key, pause in wanted.items():
        if key in open_rows:
            continue
        changed = True
        session.add(
            ClockPause(
                instance_id=where.instance_id,
                office=where.office,
                standard_key=pause.standard,
                element_id=pause.task_id,
                element_name=pause.name,
                started_at=where.now,
            )
        )
        _audit(session, where, "clock.stop", None, standard=pause.standard, element=pause.name)
    for key, row in open_rows.items():
        if key in wanted:
            continue
        changed = True
        row.ended_at = where.now
        row.business_hours = business_hours_between(calendar(), row.started_at, where.now)
        _audit(
            session,
            where,
            "clock.resume",
            None,
            standard=row.standard_key,
            element=row.element_name,
            business_hours=row.business_hours,
        )
    if changed:
        _stop_or_restart(session, where, {p.standard for p in pauses}, calendar)


def _stop_or_restart(
    session: Session,
    where: Where,
    stopped: set[str],
    calendar: Callable[[], OfficeCalendar],
) -> None:
    session.flush()
    rows = session.scalars(
        select(Deadline).where(Deadline.instance_id == where.instance_id, Deadline.status == OPEN)
    ).all()
    for row in rows:
        matches = row.standard_key in stopped or row.timer_name in stopped
        if matches and row.paused_since is None:
            row.paused_since = where.now
            _date(session, where.instance_id, row.timer_id, STOPPED)
            for task_id in _dated_tasks(session, where.instance_id, row.timer_id):
                _audit(
                    session,
                    where,
                    "deadline.stop",
                    task_id,
                    timer=row.timer_name,
                    due_at=row.due_at.isoformat(),
                )
        elif not matches and row.paused_since is not None:
            cal = calendar()
            row.paused_hours += business_hours_between(cal, row.paused_since, where.now)
            row.paused_since = None
            before, row.due_at = row.due_at, pushed(cal, row.due_without_pauses, row.paused_hours)
            _date(session, where.instance_id, row.timer_id, row.due_at)
            for task_id in _dated_tasks(session, where.instance_id, row.timer_id):
                _audit(
                    session,
                    where,
                    "deadline.move",
                    task_id,
                    timer=row.timer_name,
                    from_=before.isoformat(),
                    to=row.due_at.isoformat(),
                    cause=f"clock resumed ({row.paused_hours:g} business hours stopped)",
                )


def _date(session: Session, instance_id: str, timer_id: str, due: datetime) -> None:
    """Give the timer row, and the open tasks it dates, this due time (none while stopped)."""
    timer = session.get(Timer, timer_id)
    if timer is not None:
        timer.due_at = due
    for task in session.scalars(
        select(HumanTask).where(
            HumanTask.instance_id == instance_id,
            HumanTask.deadline_id == timer_id,
            HumanTask.status == "open",
        )
    ):
        task.due_at = None if due >= STOPPED else due


def _dated_tasks(session: Session, instance_id: str, timer_id: str) -> list[str]:
    return list(
        session.scalars(
            select(HumanTask.id).where(
                HumanTask.instance_id == instance_id,
                HumanTask.deadline_id == timer_id,
                HumanTask.status == "open",
            )
        )
    )


def _audit(
    session: Session, where: Where, action: str, task_id: str | None, **detail: object
) -> None:
    clean = {k.rstrip("_"): v for k, v in detail.items()}
    record(
        session,
        at=where.now,
        actor=where.actor,
        action=action,
        instance_id=where.instance_id,
        task_id=task_id,
        case_id=where.case_id,
        **clean,
    )
