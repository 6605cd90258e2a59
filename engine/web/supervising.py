"""What a supervisor's pages show beyond engine.supervision's views: the open tasks a bulk
reassignment picks from (one worker's, one queue's) and who can receive them — by the rules the
reassignment itself applies (engine.policy), so the page offers nobody it would refuse."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import policy
from engine.statuses import TaskStatus
from engine.store.models import HumanTask, User, UserRole
from engine.supervision.people import Staff, absent_among

MAX_LISTED = 500


def office_staff(session: Session, office: str) -> list[Staff]:
    """Active people of the office who work queues: who can receive or cover work."""
    found: dict[str, tuple[str, set[str]]] = {}
    for username, display, role in session.execute(
        select(User.username, User.display_name, UserRole.role)
        .join(UserRole, UserRole.user_id == User.id)
        .where(User.office == office, User.active.is_(True))
        .order_by(User.username)
    ):
        found.setdefault(username, (display, set()))[1].add(role)
    return [
        Staff(name, display, office, frozenset(roles), True)
        for name, (display, roles) in found.items()
        if policy.works_queues(roles)
    ]


def receivers(
    session: Session, staff: Sequence[Staff], tasks: Sequence[HumanTask], now: datetime
) -> list[Staff]:
    """Who a reassignment of some of `tasks` would be accepted for: not away now, and able to
    take at least one of them (queue, office, four eyes)."""
    able = [
        person
        for person in staff
        if not tasks
        or any(policy.assignee_problem(t, person, person.username) is None for t in tasks)
    ]
    away = absent_among(session, [person.username for person in able], now)
    return [p for p in able if policy.absence_problem(p.username, away.get(p.username)) is None]


def open_tasks(
    session: Session, office: str, *, assignee: str | None = None, queue: str | None = None
) -> list[HumanTask]:
    """Open tasks of the office held by one person, or in one queue; soonest due first."""
    query = select(HumanTask).where(HumanTask.office == office, HumanTask.status == TaskStatus.OPEN)
    if assignee is not None:
        query = query.where(HumanTask.assignee == assignee)
    if queue is not None:
        query = query.where(HumanTask.queue == queue)
    ordered = query.order_by(
        HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.created_at, HumanTask.id
    )
    return list(session.scalars(ordered.limit(MAX_LISTED)))
