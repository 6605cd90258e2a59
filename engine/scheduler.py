"""APScheduler wiring: a background job that runs `timers.tick` every second."""

from __future__ import annotations

from apscheduler.schedulers.background import BackgroundScheduler

from engine import timers
from engine.services import Services


def start_scheduler(svc: Services) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_job(
        timers.tick,
        "interval",
        args=[svc],
        seconds=svc.settings.scheduler_interval_seconds,
        id="fire-due-timers",
        max_instances=1,
        coalesce=True,
    )
    scheduler.start()
    return scheduler
