"""The scheduler's share of supervision: start absences whose start time has come, and move
work that still lands on someone away.

Each absence is handled in its own transaction, claimed with FOR UPDATE … SKIP LOCKED on
PostgreSQL, so several workers never move the same absent worker's tasks twice.
"""

from __future__ import annotations

from sqlalchemy import select

from engine.services import Services
from engine.statuses import TaskStatus
from engine.store.db import transaction
from engine.store.models import Absence, HumanTask
from engine.supervision.absences import begin_absence, left_behind, send_stragglers_away
from engine.supervision.people import lock_people

SCHEDULER_ACTOR = "scheduler"


def apply_started_absences(svc: Services, *, limit: int = 1_000) -> int:
    """Move the tasks of every worker whose absence has begun; returns how many absences began.

    An absence that was over before any worker saw it start is marked applied, moving nothing.
    """
    started = 0
    for _ in range(limit):
        now = svc.clock.now()
        with transaction(svc.sessions) as session:
            absence = session.scalar(
                select(Absence)
                .where(
                    Absence.applied_at.is_(None),
                    Absence.cancelled.is_(False),
                    Absence.starts_at <= now,
                )
                .order_by(Absence.starts_at, Absence.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
            if absence is None:
                return started
            if absence.ends_at > now:
                lock_people(session, _people(absence))
                begin_absence(session, absence, actor=SCHEDULER_ACTOR, now=now)
                started += 1
            else:
                absence.applied_at = now
    return started


def reroute_from_absent(svc: Services) -> int:
    """Move tasks that still sit with someone away although nobody chose that (see
    absences.send_stragglers_away); returns how many moved. Usually one indexed read finding
    nothing: routing and recording an absence are serialized, this only catches what slips
    through (a command that started routing before a cover changed, say)."""
    now = svc.clock.now()
    with svc.readers() as session:
        absence_ids = session.scalars(
            select(Absence.id)
            .join(HumanTask, HumanTask.assignee == Absence.username)
            .where(
                Absence.cancelled.is_(False),
                Absence.applied_at.is_not(None),
                Absence.starts_at <= now,
                Absence.ends_at > now,
                HumanTask.status == TaskStatus.OPEN,
                left_behind(Absence),
            )
            .distinct()
        ).all()
    moved = 0
    for absence_id in sorted(absence_ids):
        with transaction(svc.sessions) as session:
            absence = session.scalar(
                select(Absence).where(Absence.id == absence_id).with_for_update(skip_locked=True)
            )
            if absence is None or absence.cancelled or not absence.ends_at > now:
                continue  # another worker has it, or it ended meanwhile
            lock_people(session, _people(absence))
            moved += send_stragglers_away(session, absence, actor=SCHEDULER_ACTOR, now=now)
    return moved


def _people(absence: Absence) -> list[str]:
    return [absence.username, *([absence.cover] if absence.cover else [])]
