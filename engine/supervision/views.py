"""What a supervisor looks at: the team (who carries what, who is away), caseloads against the
target ratio, and the unassigned work waiting in each queue. Aggregates over indexed rows only."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from engine import policy
from engine.statuses import TaskStatus
from engine.store.models import Absence, CaseOwner, HumanTask, ProcessInstance, User, UserRole
from engine.supervision.absences import absence_status, office_absences
from engine.supervision.ownership import ACTIVE_STATUSES, SCHEDULE_PREFIX, active_case


@dataclass
class WorkerLine:
    username: str
    display_name: str
    roles: list[str]
    open_tasks: int = 0
    overdue_tasks: int = 0
    next_due_at: datetime | None = None
    active_cases: int = 0
    absent_now: bool = False
    absent_today: bool = False
    absence: dict[str, Any] | None = None
    covering_for: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CaseloadLine:
    username: str
    display_name: str
    active_cases: int
    target: int
    ratio: float | None
    over_target: bool


@dataclass(frozen=True)
class QueueLine:
    queue: str
    unassigned: int
    overdue: int
    oldest_created_at: datetime
    most_urgent_due_at: datetime | None


def team(session: Session, office: str, *, now: datetime, zone: ZoneInfo) -> list[WorkerLine]:
    lines = {
        name: WorkerLine(name, display, sorted(roles))
        for name, (display, roles) in _staff(session, office).items()
        if policy.works_queues(roles)
    }
    for assignee, total, overdue, next_due in session.execute(
        select(
            HumanTask.assignee,
            func.count(),
            func.sum(case((HumanTask.due_at < now, 1), else_=0)),
            func.min(HumanTask.due_at),
        )
        .where(HumanTask.status == TaskStatus.OPEN, HumanTask.assignee.in_(list(lines)))
        .group_by(HumanTask.assignee)
    ):
        line = lines[str(assignee)]
        line.open_tasks, line.overdue_tasks, line.next_due_at = total, int(overdue or 0), next_due
    for owner, count in _active_cases(session, office).items():
        if owner in lines:
            lines[owner].active_cases = count
    _mark_absences(session, office, lines, now, zone)
    return sorted(lines.values(), key=lambda line: line.username)


def caseloads(session: Session, office: str, *, target: int) -> list[CaseloadLine]:
    """Every caseworker of the office, plus anyone else still owning active cases there."""
    staff = _staff(session, office)
    counts = _active_cases(session, office)
    names = {n for n, (_, roles) in staff.items() if policy.owns_cases(roles)} | set(counts)
    return [
        CaseloadLine(
            username=name,
            display_name=staff.get(name, (name, frozenset()))[0],
            active_cases=counts.get(name, 0),
            target=target,
            ratio=round(counts.get(name, 0) / target, 2) if target > 0 else None,
            over_target=counts.get(name, 0) > target,
        )
        for name in sorted(names)
    ]


def unowned_active_cases(session: Session, office: str) -> int:
    owned = select(CaseOwner.business_key).where(CaseOwner.office == office)
    return (
        session.scalar(
            select(func.count(func.distinct(ProcessInstance.business_key))).where(
                ProcessInstance.office == office,
                ProcessInstance.status.in_(ACTIVE_STATUSES),
                ProcessInstance.business_key.not_like(f"{SCHEDULE_PREFIX}%"),
                ProcessInstance.business_key.not_in(owned),
            )
        )
        or 0
    )


def queue_summary(session: Session, office: str, *, now: datetime) -> list[QueueLine]:
    rows = session.execute(
        select(
            HumanTask.queue,
            func.count(),
            func.sum(case((HumanTask.due_at < now, 1), else_=0)),
            func.min(HumanTask.created_at),
            func.min(HumanTask.due_at),
        )
        .where(
            HumanTask.office == office,
            HumanTask.status == TaskStatus.OPEN,
            HumanTask.assignee.is_(None),
        )
        .group_by(HumanTask.queue)
        .order_by(HumanTask.queue)
    )
    return [
        QueueLine(str(queue), count, int(overdue or 0), oldest, urgent)
        for queue, count, overdue, oldest, urgent in rows
    ]


def _staff(session: Session, office: str) -> dict[str, tuple[str, frozenset[str]]]:
    """Active users of the office: username → (display name, roles)."""
    found: dict[str, tuple[str, set[str]]] = {}
    for username, display, role in session.execute(
        select(User.username, User.display_name, UserRole.role)
        .join(UserRole, UserRole.user_id == User.id)
        .where(User.office == office, User.active.is_(True))
    ):
        found.setdefault(username, (display, set()))[1].add(role)
    return {name: (display, frozenset(roles)) for name, (display, roles) in found.items()}


def _active_cases(session: Session, office: str) -> dict[str, int]:
    rows = session.execute(
        select(CaseOwner.owner, func.count())
        .where(CaseOwner.office == office, active_case(CaseOwner.office, CaseOwner.business_key))
        .group_by(CaseOwner.owner)
    )
    return {owner: count for owner, count in rows}


def _mark_absences(
    session: Session, office: str, lines: dict[str, WorkerLine], now: datetime, zone: ZoneInfo
) -> None:
    """Absent now, or at any time today (office time); who covers for whom right now."""
    local = now.astimezone(zone).date()
    day_start = datetime.combine(local, time(0), zone)
    day_end = datetime.combine(local + timedelta(days=1), time(0), zone)
    for absence in office_absences(session, office, until_after=day_start):
        line = lines.get(absence.username)
        active = absence.starts_at <= now < absence.ends_at
        if line is None or absence.starts_at >= day_end:
            continue
        line.absent_today = True
        line.absent_now = line.absent_now or active
        if line.absence is None or active:
            line.absence = _brief(absence, now)
        if active and absence.cover in lines:
            lines[absence.cover].covering_for.append(absence.username)


def _brief(absence: Absence, now: datetime) -> dict[str, Any]:
    return {
        "id": absence.id,
        "starts_at": absence.starts_at,
        "ends_at": absence.ends_at,
        "cover": absence.cover,
        "reason_category": absence.reason_category,
        "status": absence_status(absence, now),
    }
