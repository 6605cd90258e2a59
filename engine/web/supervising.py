"""What a supervisor's pages show beyond engine.supervision's views: the open tasks a bulk
reassignment picks from (one worker's, one queue's) and who can receive them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.store.models import HumanTask, User, UserRole
from engine.supervision.people import QUEUE_ROLES

MAX_LISTED = 500


@dataclass(frozen=True)
class Person:
    username: str
    display_name: str
    roles: frozenset[str]


def office_staff(session: Session, office: str) -> list[Person]:
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
        Person(name, display, frozenset(roles))
        for name, (display, roles) in found.items()
        if roles & QUEUE_ROLES
    ]


def open_tasks(
    session: Session, office: str, *, assignee: str | None = None, queue: str | None = None
) -> list[HumanTask]:
    """Open tasks of the office held by one person, or in one queue; soonest due first."""
    query = select(HumanTask).where(HumanTask.office == office, HumanTask.status == "open")
    if assignee is not None:
        query = query.where(HumanTask.assignee == assignee)
    if queue is not None:
        query = query.where(HumanTask.queue == queue)
    ordered = query.order_by(
        HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.created_at, HumanTask.id
    )
    return list(session.scalars(ordered.limit(MAX_LISTED)))
