"""APScheduler wiring: a background job that runs `timers.tick` every second."""

from __future__ import annotations

from apscheduler.schedulers.background import BackgroundScheduler

from engine import timers
from engine.services import Services


def scheduler_pass(svc: Services) -> int:
    """One pass; records a heartbeat for /readyz and counts firings for /metrics."""
    svc.heartbeat = svc.clock.now()
    fired = timers.tick(svc)
    if svc.metrics is not None:
        svc.metrics.timers_fired.inc(fired)
    return fired


def start_scheduler(svc: Services) -> BackgroundScheduler:
    svc.heartbeat = svc.clock.now()
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_job(
        scheduler_pass,
        "interval",
        args=[svc],
        seconds=svc.settings.scheduler_interval_seconds,
        id="fire-due-timers",
        max_instances=1,
        coalesce=True,
    )
    scheduler.start()
    return scheduler
