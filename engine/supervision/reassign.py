"""Bulk reassignment: all open tasks of a person, of a case, or a picked set, to one user or back
to the queue — in one transaction, all or nothing."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import policy
from engine.errors import Conflict, Invalid, NotFound, TasksRejected
from engine.identity.users import Principal
from engine.statuses import TaskStatus
from engine.store.models import HumanTask
from engine.supervision.moves import move_task
from engine.supervision.people import load_staff, refuse_absent, require_supervisor, task_problem

# One call may move this many tasks; more is almost certainly a filter mistake.
MAX_TASKS = 10_000


@dataclass(frozen=True)
class Selection:
    """Filters combine (AND); at least one of them must be given."""

    from_user: str | None = None
    business_key: str | None = None
    task_ids: tuple[str, ...] = ()
    queue: str | None = None
    office: str | None = None

    def is_empty(self) -> bool:
        return not (self.from_user or self.business_key or self.task_ids or self.queue)


def reassign(
    session: Session, principal: Principal, selection: Selection, to: str | None, now: datetime
) -> int:
    """Move the selected open tasks to `to` (None: the queue); returns how many moved."""
    require_supervisor(principal)
    if selection.is_empty():
        raise Invalid("choose tasks: from_user, business_key, task_ids or queue", field="to")
    office = _office(principal, selection.office)
    if selection.from_user and load_staff(session, selection.from_user) is None:
        raise NotFound(f"user {selection.from_user!r} not found")
    tasks = _select(session, selection, office)
    return assign_all(session, tasks, to, actor=principal.username, reason="supervisor", now=now)


def assign_all(
    session: Session,
    tasks: Sequence[HumanTask],
    to: str | None,
    *,
    actor: str,
    reason: str,
    now: datetime,
    on_move: Callable[[HumanTask], None] | None = None,
    **detail: Any,
) -> int:
    """Check every task first, then move them all; any task that `to` may not take stops all."""
    if to is not None:
        staff = load_staff(session, to)
        if staff is None or not staff.active:
            raise Invalid(f"no active user {to!r}", field="to")
        refuse_absent(session, to, now)
        problems = {t.id: p for t in tasks if (p := task_problem(t, staff, to)) is not None}
        if problems:
            raise TasksRejected(
                f"{len(problems)} of {len(tasks)} task(s) cannot go to {to}; nothing moved",
                problems,
            )
    moved = 0
    for task in tasks:
        if move_task(session, task, to, actor=actor, reason=reason, now=now, **detail):
            moved += 1
            if on_move is not None:
                on_move(task)
    return moved


def _office(principal: Principal, office: str | None) -> str | None:
    """Supervisors reach their own office; admins every office unless they name one."""
    refusal = policy.office_refusal(principal, office)
    if refusal is not None:
        raise refusal
    return office if policy.sees_every_office(principal) else principal.office


def _select(session: Session, selection: Selection, office: str | None) -> list[HumanTask]:
    query = select(HumanTask).where(HumanTask.status == TaskStatus.OPEN)
    if office is not None:
        query = query.where(HumanTask.office == office)
    if selection.from_user:
        query = query.where(HumanTask.assignee == selection.from_user)
    if selection.business_key:
        query = query.where(HumanTask.business_key == selection.business_key)
    if selection.queue:
        query = query.where(HumanTask.queue == selection.queue)
    if selection.task_ids:
        _check_named(session, selection.task_ids, office)
        query = query.where(HumanTask.id.in_(selection.task_ids))
    count = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    if count > MAX_TASKS:
        raise Invalid(f"{count} tasks match; move at most {MAX_TASKS} per call", field="to")
    return list(session.scalars(query.order_by(HumanTask.id).with_for_update()))


def _check_named(session: Session, task_ids: Sequence[str], office: str | None) -> None:
    """Named tasks must exist in reach (404 otherwise) and still be open (409 otherwise)."""
    query = select(HumanTask.id, HumanTask.status).where(HumanTask.id.in_(set(task_ids)))
    if office is not None:
        query = query.where(HumanTask.office == office)
    found = {row.id: row.status for row in session.execute(query)}
    missing = sorted(set(task_ids) - set(found))
    if missing:
        raise NotFound(f"task(s) not found: {', '.join(missing)}")
    closed = sorted(tid for tid, status in found.items() if status != TaskStatus.OPEN)
    if closed:
        raise Conflict(f"task(s) no longer open: {', '.join(closed)}")
