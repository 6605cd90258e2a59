"""The scheduler's share of supervision: start absences whose start time has come.

Each absence starts in its own transaction, claimed with FOR UPDATE … SKIP LOCKED on PostgreSQL,
so several workers never move the same absent worker's tasks twice.
"""

from __future__ import annotations

from sqlalchemy import select

from engine.services import Services
from engine.store.db import transaction
from engine.store.models import Absence
from engine.supervision.absences import begin_absence

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
                begin_absence(session, absence, actor=SCHEDULER_ACTOR, now=now)
                started += 1
            else:
                absence.applied_at = now
    return started
