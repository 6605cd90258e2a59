"""The scheduler's work: fire every due timer, earliest first, until nothing is due.

Each step is the command `commands.fire_next_due`: one transaction that claims the instance with
the earliest due timer (FOR UPDATE … SKIP LOCKED on PostgreSQL) and fires it. Several workers
therefore take different instances, and a worker that dies mid-fire rolls back, leaving the
timer due for the next one.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from engine.casework.commands import fire_due_timers, fire_next_due
from engine.services import Services
from engine.store.models import Timer
from engine.supervision.jobs import apply_started_absences, reroute_from_absent

log = logging.getLogger(__name__)


def tick(svc: Services, limit: int = 100_000) -> int:
    """Fire everything due now; returns how many instance firings happened."""
    _start_absences(svc)
    fired = 0
    for _ in range(limit):
        try:
            claimed = fire_next_due(svc)
        except Exception:  # one broken instance must not stop the others
            log.exception("firing the next due timer failed")
            return fired + _fire_one_by_one(svc)
        if claimed is None:
            break
        fired += int(claimed[1])
    return fired


def _fire_one_by_one(svc: Services) -> int:
    """Fallback after a failure: fire each due instance separately, skipping the broken one."""
    now = svc.clock.now()
    with svc.readers() as session:
        due = session.scalars(
            select(Timer.instance_id).where(Timer.due_at <= now).order_by(Timer.due_at)
        ).all()
    fired = 0
    for instance_id in dict.fromkeys(due):
        try:
            fired += int(fire_due_timers(svc, instance_id))
        except Exception:
            log.exception("firing timers of instance %s failed", instance_id)
    return fired


def _start_absences(svc: Services) -> None:
    """Absences recorded ahead start here, and work still landing on someone away moves on;
    a failure must not stop the timers."""
    try:
        apply_started_absences(svc)
        reroute_from_absent(svc)
    except Exception:
        log.exception("starting absences failed")
