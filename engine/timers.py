"""Fire due timers: find instances with a due timer row, lock each, run it, save it.

On PostgreSQL the instance row is taken with FOR UPDATE SKIP LOCKED inside the firing
transaction, so several workers never fire the same timer twice; a worker that dies mid-fire
rolls back and the timer is simply still due for the next one.
"""

from __future__ import annotations

import logging

from sqlalchemy import func, select

from engine.audit import record
from engine.runtime import RunContext
from engine.services import Services
from engine.store.db import transaction
from engine.store.models import Definition, ProcessInstance, Timer
from engine.sync import apply_outcome, unpack_state

log = logging.getLogger(__name__)


def due_instances(svc: Services, limit: int = 100) -> list[str]:
    """Instances with a due timer, earliest due first."""
    now = svc.clock.now()
    with svc.sessions() as session:
        rows = session.execute(
            select(Timer.instance_id, func.min(Timer.due_at).label("first_due"))
            .where(Timer.due_at <= now)
            .group_by(Timer.instance_id)
            .order_by("first_due")
            .limit(limit)
        ).all()
    return [row.instance_id for row in rows]


def fire_instance(svc: Services, instance_id: str, *, actor: str = "scheduler") -> bool:
    """Fire the instance's due timers in one transaction; False if another worker has it."""
    now = svc.clock.now()
    with transaction(svc.sessions) as session:
        instance = session.scalar(
            select(ProcessInstance)
            .where(ProcessInstance.id == instance_id)
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        )
        if instance is None:
            return False
        due = session.scalars(
            select(Timer).where(Timer.instance_id == instance_id, Timer.due_at <= now)
        ).all()
        if not due:
            return False
        definition = session.get_one(Definition, instance.definition_id)
        outcome = svc.runtime.fire_timers(
            svc.specs.get(definition.id, definition.spec_json),
            unpack_state(instance.state),
            RunContext(instance.id, instance.business_key),
        )
        for timer in due:
            record(
                session,
                at=now,
                actor=actor,
                action="timer.fire",
                instance_id=instance_id,
                task_id=timer.id,
                task_name=timer.task_name,
                due_at=timer.due_at.isoformat(),
            )
        apply_outcome(session, instance, outcome, actor=actor, now=now)
        return True


def tick(svc: Services, batch: int = 100) -> int:
    """One scheduler pass: fire everything due now; returns how many instances moved."""
    fired = 0
    for instance_id in due_instances(svc, batch):
        try:
            if fire_instance(svc, instance_id):
                fired += 1
        except Exception:  # one broken instance must not stop the others; it stays due
            log.exception("firing timers of instance %s failed", instance_id)
    return fired
