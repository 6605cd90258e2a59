"""Service-standard reporting: per queue and task type, how much is open, overdue, on time, late.

Reads only human_task rows and aggregates in SQL; never loads workflows.
"""

from __future__ import annotations

import dataclasses
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from engine import policy
from engine.deadlines.basis import business_hours_between
from engine.deadlines.calendar import OfficeCalendar
from engine.deadlines.closures import closure_days
from engine.identity.users import Principal
from engine.statuses import ClosedReason, TaskStatus
from engine.store.models import Deadline, HumanTask


@dataclass
class StandardLine:
    queue: str
    process_id: str
    task_name: str
    title: str
    open: int = 0
    overdue: int = 0
    completed_on_time: int = 0
    completed_late: int = 0
    # completed tasks that had no deadline: neither on time nor late
    completed_no_standard: int = 0
    escalated: int = 0
    durations: list[float] = field(default_factory=list)
    median_seconds: float | None = None
    # Clocks that stop: the same completions judged as if no clock had stopped, and business
    # hours from the standard's start to completion, with and without the stopped time.
    completed_on_time_without_pauses: int = 0
    completed_late_without_pauses: int = 0
    paused_business_hours: float = 0.0
    business_hours: list[float] = field(default_factory=list)
    business_hours_net: list[float] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        median = self.median_seconds
        if median is None and self.durations:
            median = statistics.median(self.durations)
        return {
            "queue": self.queue,
            "process_id": self.process_id,
            "task_name": self.task_name,
            "title": self.title,
            "open": self.open,
            "overdue": self.overdue,
            "completed_on_time": self.completed_on_time,
            "completed_late": self.completed_late,
            "completed_no_standard": self.completed_no_standard,
            "escalated": self.escalated,
            "median_hours_to_complete": round(median / 3600, 2) if median is not None else None,
            "completed_on_time_without_pauses": self.completed_on_time_without_pauses,
            "completed_late_without_pauses": self.completed_late_without_pauses,
            "paused_business_hours": round(self.paused_business_hours, 2),
            "median_business_hours_to_complete": _median(self.business_hours),
            "median_business_hours_net_of_pauses": _median(self.business_hours_net),
        }


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 2) if values else None


def service_standards(
    session: Session,
    principal: Principal,
    *,
    now: datetime,
    since: datetime,
    until: datetime,
    office: str | None = None,
    calendars: Callable[[str], OfficeCalendar] | None = None,
) -> list[StandardLine]:
    """Open and overdue as of `now`; completions and escalations closed within [since, until].

    The database does the counting (open tasks from the open-task index of the office, closed
    ones from the office's closed-task index) and, on PostgreSQL, the median; SQLite returns
    the durations of the window's completions for the median.
    """
    scope = policy.office_in_scope(principal, office)
    in_scope = [HumanTask.office == scope] if scope is not None else []
    overdue = case((HumanTask.due_at < now, 1), else_=0)
    open_counts = (
        select(
            HumanTask.queue,
            HumanTask.process_id,
            HumanTask.task_name,
            func.max(HumanTask.title).label("title"),
            func.count().label("open"),
            func.coalesce(func.sum(overdue), 0).label("overdue"),
        )
        .where(HumanTask.status == TaskStatus.OPEN, *in_scope)
        .group_by(HumanTask.queue, HumanTask.process_id, HumanTask.task_name)
    )
    lines: dict[tuple[str, str, str], StandardLine] = {}
    for row in session.execute(open_counts):
        key = (row.queue, row.process_id, row.task_name)
        lines[key] = StandardLine(
            row.queue, row.process_id, row.task_name, row.title, open=row.open, overdue=row.overdue
        )
    window = [
        HumanTask.completed_at >= since,
        HumanTask.completed_at <= until,
        HumanTask.status != TaskStatus.OPEN,
        *in_scope,
    ]
    completed = HumanTask.status == TaskStatus.COMPLETED
    on_time = and_(completed, HumanTask.completed_at <= HumanTask.due_at)
    no_standard = and_(completed, HumanTask.due_at.is_(None))
    late = and_(completed, HumanTask.completed_at > HumanTask.due_at)
    escalated = and_(~completed, HumanTask.closed_reason == ClosedReason.ESCALATED)
    postgres = session.get_bind().dialect.name == "postgresql"
    columns = [
        HumanTask.queue,
        HumanTask.process_id,
        HumanTask.task_name,
        func.max(HumanTask.title).label("title"),
        func.sum(case((on_time, 1), else_=0)).label("on_time"),
        func.sum(case((late, 1), else_=0)).label("late"),
        func.sum(case((no_standard, 1), else_=0)).label("no_standard"),
        func.sum(case((escalated, 1), else_=0)).label("escalated"),
    ]
    if postgres:
        seconds = func.extract("epoch", HumanTask.completed_at - HumanTask.created_at)
        median = func.percentile_cont(0.5).within_group(case((completed, seconds), else_=None))
        columns.append(median.label("median_seconds"))
    closed_counts = (
        select(*columns)
        .where(*window)
        .group_by(HumanTask.queue, HumanTask.process_id, HumanTask.task_name)
    )
    for row in session.execute(closed_counts):
        key = (row.queue, row.process_id, row.task_name)
        line = lines.setdefault(
            key, StandardLine(row.queue, row.process_id, row.task_name, row.title)
        )
        line.completed_on_time = int(row.on_time or 0)
        line.completed_late = int(row.late or 0)
        line.completed_no_standard = int(row.no_standard or 0)
        line.escalated = int(row.escalated or 0)
        if postgres:
            line.median_seconds = None if row.median_seconds is None else float(row.median_seconds)
    if not postgres:  # SQLite has no percentile function: the median is taken here
        durations = select(
            HumanTask.queue,
            HumanTask.process_id,
            HumanTask.task_name,
            HumanTask.created_at,
            HumanTask.completed_at,
        ).where(completed, *window)
        for row in session.execute(durations):
            line = lines[(row.queue, row.process_id, row.task_name)]
            line.durations.append((row.completed_at - row.created_at).total_seconds())
    for line in lines.values():
        line.completed_on_time_without_pauses = line.completed_on_time
        line.completed_late_without_pauses = line.completed_late
    if calendars is not None:
        _business_time(session, lines, calendars, [completed, *window])
    return sorted(lines.values(), key=lambda x: (x.queue, x.process_id, x.task_name))


def _business_time(
    session: Session,
    lines: dict[tuple[str, str, str], StandardLine],
    calendars: Callable[[str], OfficeCalendar],
    where: list[Any],
) -> None:
    """Completions dated by a business-time deadline: business hours from the standard's start
    to completion, with and without the time its clock stood still, and on time or late had
    the clock never stopped."""
    rows = session.execute(
        select(
            HumanTask.queue,
            HumanTask.process_id,
            HumanTask.task_name,
            HumanTask.office,
            HumanTask.completed_at,
            HumanTask.due_at,
            Deadline.start_at,
            Deadline.due_without_pauses,
            Deadline.paused_hours,
        )
        .join(Deadline, Deadline.timer_id == HumanTask.deadline_id)
        .where(*where)
    )
    offices: dict[str, OfficeCalendar] = {}
    for row in rows:
        line = lines[(row.queue, row.process_id, row.task_name)]
        if row.office not in offices:
            offices[row.office] = calendars(row.office)
        gross = business_hours_between(offices[row.office], row.start_at, row.completed_at)
        paused = row.paused_hours or 0.0
        line.business_hours.append(gross)
        line.business_hours_net.append(max(0.0, round(gross - paused, 4)))
        line.paused_business_hours += paused
        on_time = row.due_at is not None and row.completed_at <= row.due_at
        if on_time and row.completed_at > row.due_without_pauses:
            line.completed_on_time_without_pauses -= 1
            line.completed_late_without_pauses += 1


def office_calendars(svc: Any, session: Session) -> Callable[[str], OfficeCalendar]:
    """Each office's calendar with its closure days, for business-time figures."""

    def calendar(office: str) -> OfficeCalendar:
        base: OfficeCalendar = svc.runtime.calendar_for(office)
        days = frozenset(closure_days(session, office)())
        return dataclasses.replace(base, closures=base.closures | days)

    return calendar
