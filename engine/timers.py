"""The scheduler's work: find instances with a due timer and fire them, earliest first.

Firing itself is a command (`commands.fire_due_timers`): one transaction that takes the instance
row with FOR UPDATE SKIP LOCKED on PostgreSQL, so several workers never fire a timer twice, and
a worker that dies mid-fire rolls back, leaving the timer due for the next pass.
"""

from __future__ import annotations

import logging

from sqlalchemy import func, select

from engine.commands import fire_due_timers
from engine.services import Services
from engine.store.models import Timer

log = logging.getLogger(__name__)


def due_instances(svc: Services, limit: int = 100) -> list[str]:
    """Instances with a due timer, earliest due first (reads only the indexed timer rows)."""
    now = svc.clock.now()
    with svc.sessions() as session:
        rows = session.execute(
            select(Timer.instance_id, func.min(Timer.due_at).label("first_due"))
            .where(Timer.due_at <= now)
            .group_by(Timer.instance_id)
            .order_by("first_due", Timer.instance_id)
            .limit(limit)
        ).all()
    return [row.instance_id for row in rows]


def tick(svc: Services, batch: int = 100, max_batches: int = 1000) -> int:
    """Fire everything due now, batch after batch; returns how many instances moved."""
    fired = 0
    for _ in range(max_batches):
        due = due_instances(svc, batch)
        moved = 0
        for instance_id in due:
            try:
                if fire_due_timers(svc, instance_id):
                    moved += 1
            except Exception:  # one broken instance must not stop the others; it stays due
                log.exception("firing timers of instance %s failed", instance_id)
        fired += moved
        if len(due) < batch or moved == 0:
            break
    return fired
