"""Service-standard reporting: per queue and task type, how much is open, overdue, on time, late.

Reads only human_task rows (indexed by status and due date); never loads workflows.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from engine.store.models import HumanTask
from engine.users import Principal


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
    escalated: int = 0
    durations: list[float] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        median = statistics.median(self.durations) if self.durations else None
        return {
            "queue": self.queue,
            "process_id": self.process_id,
            "task_name": self.task_name,
            "title": self.title,
            "open": self.open,
            "overdue": self.overdue,
            "completed_on_time": self.completed_on_time,
            "completed_late": self.completed_late,
            "escalated": self.escalated,
            "median_hours_to_complete": round(median / 3600, 2) if median is not None else None,
        }


def service_standards(
    session: Session,
    principal: Principal,
    *,
    now: datetime,
    since: datetime,
    until: datetime,
    office: str | None = None,
) -> list[StandardLine]:
    """Open and overdue as of `now`; completions and escalations closed within [since, until]."""
    query = select(
        HumanTask.queue,
        HumanTask.process_id,
        HumanTask.task_name,
        HumanTask.title,
        HumanTask.status,
        HumanTask.closed_reason,
        HumanTask.created_at,
        HumanTask.due_at,
        HumanTask.completed_at,
    ).where(
        or_(
            HumanTask.status == "open",
            and_(HumanTask.completed_at >= since, HumanTask.completed_at <= until),
        )
    )
    scope = office or (None if principal.is_admin else principal.office)
    if scope is not None:
        query = query.where(HumanTask.office == scope)
    lines: dict[tuple[str, str, str], StandardLine] = {}
    for row in session.execute(query):
        key = (row.queue, row.process_id, row.task_name)
        line = lines.setdefault(
            key, StandardLine(row.queue, row.process_id, row.task_name, row.title)
        )
        _count(line, row, now)
    return sorted(lines.values(), key=lambda x: (x.queue, x.process_id, x.task_name))


def _count(line: StandardLine, row: object, now: datetime) -> None:
    status = row.status  # type: ignore[attr-defined]
    due = row.due_at  # type: ignore[attr-defined]
    closed = row.completed_at  # type: ignore[attr-defined]
    if status == "open":
        line.open += 1
        if due is not None and due < now:
            line.overdue += 1
    elif status == "completed":
        if due is None or closed <= due:
            line.completed_on_time += 1
        else:
            line.completed_late += 1
        line.durations.append((closed - row.created_at).total_seconds())  # type: ignore[attr-defined]
    elif row.closed_reason == "escalated":  # type: ignore[attr-defined]
        line.escalated += 1
