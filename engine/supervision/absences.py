"""Absences: a worker away for a period, with an optional cover from the same office.

While an absence runs, work meant for the worker goes to the cover, or to the queue when nobody
covers (see routing). At its start the worker's open claimed tasks move the same way, in the
transaction that starts it, each move audited. When it ends nothing moves back by itself: a
supervisor hands the work back, because the cover may be midway through it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session

from engine import policy
from engine.audit import record
from engine.errors import Conflict, Invalid, NotFound
from engine.identity.users import Principal
from engine.statuses import AbsenceStatus, TaskStatus
from engine.store.models import Absence, AbsenceTask, HumanTask
from engine.supervision.moves import move_task
from engine.supervision.people import (
    Staff,
    load_staff,
    lock_people,
    reach_user,
    require_supervisor,
)
from engine.supervision.reassign import assign_all
from engine.supervision.routing import Router

# Categories only: why someone is away is personal and not the service's business.
REASON_CATEGORIES = ("vacation", "sick", "training", "leave", "other")
# Dates outside this window are typos, and near year 1 or 9999 they overflow on the way to UTC.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class AbsenceRequest:
    username: str
    starts_at: datetime
    ends_at: datetime
    cover: str | None
    reason_category: str


def add_absence(
    session: Session, principal: Principal, request: AbsenceRequest, now: datetime
) -> Absence:
    """Record the absence; one that has already started moves the worker's tasks at once.

    The worker's row (and the cover's) is locked first: a task being routed to them meanwhile
    waits for this transaction and then sees the absence, or committed before it and is moved
    with the rest (see people.hold_person); a second absence of the same worker waits too."""
    worker = reach_user(session, principal, request.username)
    lock_people(session, [worker.username, *([request.cover] if request.cover else [])])
    _check_request(session, worker, request, now)
    absence = Absence(
        username=worker.username,
        office=worker.office,
        starts_at=request.starts_at,
        ends_at=request.ends_at,
        cover=request.cover,
        reason_category=request.reason_category,
        created_by=principal.username,
        created_at=now,
        cancelled=False,
    )
    session.add(absence)
    session.flush()
    _audit(session, absence, "absence.add", principal.username, now)
    if absence.starts_at <= now:
        begin_absence(session, absence, actor=principal.username, now=now)
    return absence


def begin_absence(session: Session, absence: Absence, *, actor: str, now: datetime) -> int:
    """Move the worker's open claimed tasks to the cover, or to the queue; returns the count.
    The caller holds the worker's row (lock_people), so no task is routed to them meanwhile."""
    moved = _send_away(session, absence, _held_by(absence), actor=actor, now=now)
    absence.applied_at = now
    return moved


def send_stragglers_away(session: Session, absence: Absence, *, actor: str, now: datetime) -> int:
    """The scheduler's safety net for a started absence: move what still sits with the absent
    worker although nobody chose that while they are away (work routed to them by a command
    that raced the absence). Tasks they took themselves since it began stay with them."""
    query = _held_by(absence).where(left_behind(absence))
    return _send_away(session, absence, query, actor=actor, now=now, swept=True)


def left_behind(absence: Any) -> ColumnElement[bool]:
    """A task of the absent worker that they did not claim themselves since it took effect.
    `absence` is the row, or the Absence class inside a query joining it."""
    return or_(
        HumanTask.claimed_by.is_distinct_from(HumanTask.assignee),
        HumanTask.claimed_at.is_(None),
        HumanTask.claimed_at < absence.applied_at,
    )


def _held_by(absence: Absence) -> Select[HumanTask]:
    return (
        select(HumanTask)
        .where(HumanTask.assignee == absence.username, HumanTask.status == TaskStatus.OPEN)
        .order_by(HumanTask.id)
        .with_for_update()
    )


def _send_away(
    session: Session,
    absence: Absence,
    query: Select[HumanTask],
    *,
    actor: str,
    now: datetime,
    **detail: Any,
) -> int:
    router = Router(session, now)
    moved = 0
    for task in session.scalars(query).all():
        to = router.destination(task, absence.cover).assignee if absence.cover else None
        if move_task(
            session,
            task,
            to,
            actor=actor,
            reason="absence",
            now=now,
            absence_id=absence.id,
            **detail,
        ):
            remember_move(session, absence, task, to, now)
            moved += 1
    return moved


def remember_move(
    session: Session, absence: Absence, task: HumanTask, to: str | None, now: datetime
) -> None:
    """Note that this absence sent the task away, so it can be handed back later."""
    row = session.get(AbsenceTask, (absence.id, task.id))
    if row is None:
        session.add(AbsenceTask(absence_id=absence.id, task_id=task.id, moved_to=to, moved_at=now))
    else:
        row.moved_to, row.moved_at = to, now


def end_absence(
    session: Session, principal: Principal, username: str, absence_id: int, now: datetime
) -> Absence:
    """End a running absence now, or cancel one that has not started; nothing moves back."""
    reach_user(session, principal, username)
    absence = _get(session, username, absence_id)
    state = absence_status(absence, now)
    if state in (AbsenceStatus.ENDED, AbsenceStatus.CANCELLED):
        raise Conflict(f"absence {absence_id} is already {state}")
    absence.ended_at = now
    absence.ended_by = principal.username
    if state == AbsenceStatus.SCHEDULED:
        absence.cancelled = True
    else:
        absence.ends_at = now
    action = "absence.cancel" if state == AbsenceStatus.SCHEDULED else "absence.end"
    _audit(session, absence, action, principal.username, now)
    return absence


def hand_back(
    session: Session, principal: Principal, username: str, absence_id: int, now: datetime
) -> int:
    """Give the worker back the open tasks this absence moved and nobody else has taken since
    (still with the cover, or still unclaimed in the queue); all or nothing."""
    worker = reach_user(session, principal, username)  # another office's worker: 404 first
    require_supervisor(principal)
    absence = _get(session, username, absence_id)
    if absence_status(absence, now) in (AbsenceStatus.SCHEDULED, AbsenceStatus.ACTIVE):
        raise Conflict(f"absence {absence_id} has not ended; end it before handing work back")
    tasks = session.scalars(
        select(HumanTask)
        .join(AbsenceTask, AbsenceTask.task_id == HumanTask.id)
        .where(
            AbsenceTask.absence_id == absence.id,
            HumanTask.status == TaskStatus.OPEN,
            HumanTask.assignee.is_not_distinct_from(AbsenceTask.moved_to),
        )
        .order_by(HumanTask.id)
        .with_for_update(of=HumanTask)
    ).all()
    moved = assign_all(
        session,
        tasks,
        worker.username,
        actor=principal.username,
        reason="hand_back",
        now=now,
        absence_id=absence.id,
    )
    _audit(session, absence, "absence.hand_back", principal.username, now, moved=moved)
    return moved


def list_absences(
    session: Session, principal: Principal, username: str, *, limit: int, offset: int
) -> tuple[list[Absence], int]:
    reach_user(session, principal, username)
    query = select(Absence).where(Absence.username == username)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(Absence.starts_at.desc(), Absence.id.desc()).limit(limit).offset(offset)
    ).all()
    return list(rows), total


def office_absences(session: Session, office: str, *, until_after: datetime) -> list[Absence]:
    """The office's absences not yet over at `until_after` (cancelled ones left out)."""
    return list(
        session.scalars(
            select(Absence)
            .where(
                Absence.office == office,
                Absence.cancelled.is_(False),
                Absence.ends_at > until_after,
            )
            .order_by(Absence.starts_at, Absence.id)
        )
    )


def absence_status(absence: Absence, now: datetime) -> AbsenceStatus:
    if absence.cancelled:
        return AbsenceStatus.CANCELLED
    if now < absence.starts_at:
        return AbsenceStatus.SCHEDULED
    return AbsenceStatus.ACTIVE if now < absence.ends_at else AbsenceStatus.ENDED


def moved_counts(session: Session, absence_ids: list[int]) -> dict[int, int]:
    if not absence_ids:
        return {}
    rows = session.execute(
        select(AbsenceTask.absence_id, func.count())
        .where(AbsenceTask.absence_id.in_(absence_ids))
        .group_by(AbsenceTask.absence_id)
    )
    return {absence_id: count for absence_id, count in rows}


def absence_dict(absence: Absence, now: datetime, moved: int = 0) -> dict[str, Any]:
    return {
        "id": absence.id,
        "user": absence.username,
        "office": absence.office,
        "starts_at": absence.starts_at,
        "ends_at": absence.ends_at,
        "cover": absence.cover,
        "reason_category": absence.reason_category,
        "status": absence_status(absence, now),
        "moved_tasks": moved,
        "created_by": absence.created_by,
        "created_at": absence.created_at,
        "ended_by": absence.ended_by,
    }


def _check_request(session: Session, worker: Staff, request: AbsenceRequest, now: datetime) -> None:
    if request.reason_category not in REASON_CATEGORIES:
        choices = ", ".join(REASON_CATEGORIES)
        raise Invalid(f"reason_category must be one of {choices}", field="reason_category")
    for field, moment in (("starts_at", request.starts_at), ("ends_at", request.ends_at)):
        if not EARLIEST <= moment < LATEST:
            years = f"{EARLIEST.year} to {LATEST.year - 1}"
            raise Invalid(f"{field} must fall in the years {years}", field=field)
    if request.ends_at <= request.starts_at:
        raise Invalid("ends_at must be after starts_at", field="ends_at")
    if request.ends_at <= now:
        raise Invalid("the absence is already over; ends_at must be in the future", field="ends_at")
    if request.cover is not None:
        _check_cover(session, worker, request.cover)
    clash = session.scalar(
        select(Absence)
        .where(
            Absence.username == worker.username,
            Absence.cancelled.is_(False),
            Absence.starts_at < request.ends_at,
            Absence.ends_at > request.starts_at,
        )
        .limit(1)
    )
    if clash is not None:
        raise Conflict(
            f"{worker.username} is already away from {clash.starts_at.isoformat()} "
            f"to {clash.ends_at.isoformat()} (absence {clash.id})"
        )


def _check_cover(session: Session, worker: Staff, cover: str) -> None:
    """The cover works in the same office and shares a queue with the absent worker."""
    if cover == worker.username:
        raise Invalid("a worker cannot cover their own absence", field="cover")
    staff = load_staff(session, cover)
    if staff is None or not staff.active:
        raise Invalid(f"no active user {cover!r}", field="cover")
    if staff.office != worker.office:
        raise Invalid(
            f"{cover} works in office {staff.office!r}, not {worker.office!r}", field="cover"
        )
    if not policy.may_cover(worker.roles, staff.roles):
        queues = ", ".join(sorted(policy.cover_queues(worker.roles)))
        raise Invalid(f"{cover} does not work {worker.username}'s queues ({queues})", field="cover")


def _get(session: Session, username: str, absence_id: int) -> Absence:
    absence = session.get(Absence, absence_id)
    if absence is None or absence.username != username:
        raise NotFound(f"absence {absence_id} of {username!r} not found")
    return absence


def _audit(
    session: Session, absence: Absence, action: str, actor: str, now: datetime, **extra: Any
) -> None:
    record(
        session,
        at=now,
        actor=actor,
        action=action,
        absence_id=absence.id,
        user=absence.username,
        starts_at=absence.starts_at.isoformat(),
        ends_at=absence.ends_at.isoformat(),
        cover=absence.cover,
        reason_category=absence.reason_category,
        **extra,
    )
