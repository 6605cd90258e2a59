"""APScheduler wiring: a background job that runs `timers.tick` every second."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler

from engine import idempotency
from engine.casework import timers
from engine.delivery.dispatcher import Dispatcher
from engine.delivery.wiring import build_dispatcher
from engine.services import Services

log = logging.getLogger(__name__)


def scheduler_pass(svc: Services) -> int:
    """One pass; records a heartbeat for /readyz and counts firings for /metrics."""
    svc.heartbeat = svc.clock.now()
    fired = timers.tick(svc)
    if svc.metrics is not None:
        svc.metrics.timers_fired.inc(fired)
    _prune_idempotency_keys(svc)
    return fired


def _prune_idempotency_keys(svc: Services) -> None:
    """Keys older than a day go (an indexed delete, usually of nothing); never stops timers."""
    try:
        idempotency.prune(svc.sessions, svc.clock.now())
    except Exception:
        log.exception("pruning idempotency keys failed")


def dispatch_pass(dispatcher: Dispatcher) -> int:
    """Drain the outbox (its own job: a slow receiver must not delay the timers)."""
    try:
        return dispatcher.run()
    except Exception:  # the database went away mid-pass: the next pass tries again
        log.exception("dispatching the outbox failed")
        return 0


def start_scheduler(svc: Services) -> BackgroundScheduler:
    svc.heartbeat = svc.clock.now()
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_job(
        dispatch_pass,
        "interval",
        args=[build_dispatcher(svc)],
        seconds=svc.settings.scheduler_interval_seconds,
        id="dispatch-outbox",
        max_instances=1,
        coalesce=True,
    )
    scheduler.add_job(
        scheduler_pass,
        "interval",
        args=[svc],
        seconds=svc.settings.scheduler_interval_seconds,
        id="fire-due-timers",
        max_instances=1,
        coalesce=True,
        next_run_time=datetime.now(UTC),  # the first pass at once, not one interval later
    )
    scheduler.start()
    return scheduler
