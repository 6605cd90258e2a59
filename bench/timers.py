"""Scenario 6, timers: 10,000 due timers fired by 1, 2 and 4 `caseway worker --once`
processes on PostgreSQL, timers per second, and the proof that each timer fired exactly once.

The instances (tests/fixtures/wait_then_act.bpmn: a timer, then a user task) are started once
through the commands layer with a clock a day in the past, so every timer is due; each worker
count then runs on a fresh copy of that database (CREATE DATABASE … TEMPLATE).

    .venv/bin/python -m bench timers            # 10,000 timers
    QUICK=1 .venv/bin/python -m bench timers    # 200 timers
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bench.common import (
    QUICK,
    Scenario,
    Target,
    drop_postgres,
    fresh_postgres,
    percentile,
    postgres_url,
    scratch_dir,
)
from engine.casework.commands import StartRequest, deploy_files, start_instance
from engine.clock import FakeClock
from engine.config import REPO_ROOT, Settings
from engine.definitions.compile import SourceFile
from engine.identity.users import Principal
from engine.services import Services
from engine.store.models import AuditEvent, HumanTask, Timer

FIXTURE = REPO_ROOT / "tests" / "fixtures" / "wait_then_act.bpmn"
DESIGNER = Principal("bench", "bench", frozenset({"designer"}))
STARTER = Principal("bench", "bench", frozenset({"caseworker"}))
WORKERS = (1, 2, 4)


def timer_count() -> int:
    return 200 if QUICK else 10_000


def seed(count: int) -> str:
    """A database with `count` instances waiting on a timer that is already due."""
    url = fresh_postgres(postgres_url("_timers_seed"))
    clock = FakeClock(datetime.now(UTC) - timedelta(days=1))
    svc = Services.build(Settings(database_url=url, scheduler_enabled=False), clock=clock)
    try:
        deploy_files(svc, DESIGNER, [SourceFile(FIXTURE.name, FIXTURE.read_bytes())])
        for n in range(count):
            start_instance(
                svc, STARTER, StartRequest("wait_then_act", f"B-{n}", {"wait_for": "PT1H"})
            )
    finally:
        svc.engine.dispose()
    return url


def run_workers(url: str, workers: int) -> float:
    env = {**os.environ, "DATABASE_URL": url}
    log_path = scratch_dir() / f"timers-{workers}-workers.log"
    started = time.perf_counter()
    with log_path.open("wb") as log:
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "engine.cli.main", "worker", "--once"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            for _ in range(workers)
        ]
        for proc in procs:
            if proc.wait(timeout=1800) != 0:
                raise RuntimeError(f"a worker exited with {proc.returncode}; see {log_path}")
    return time.perf_counter() - started


def verify(svc: Services, count: int) -> dict[str, Any]:
    """Exactly once: one timer.fire audit event per instance, no timer left, one task each."""
    with svc.sessions() as session:
        per_instance = session.execute(
            select(AuditEvent.instance_id, func.count())
            .where(AuditEvent.action == "timer.fire")
            .group_by(AuditEvent.instance_id)
        ).all()
        left = session.scalar(select(func.count()).select_from(Timer)) or 0
        tasks = session.scalar(select(func.count()).select_from(HumanTask)) or 0
        fired_at = sorted(
            session.scalars(select(AuditEvent.at).where(AuditEvent.action == "timer.fire"))
        )
    fired_twice = sum(1 for _, c in per_instance if c > 1)
    exact = len(per_instance) == count and fired_twice == 0 and left == 0 and tasks == count
    return {
        "instances_fired": len(per_instance),
        "fired_more_than_once": fired_twice,
        "timers_left": int(left),
        "user_tasks_created": int(tasks),
        "exactly_once": exact,
        "window_rates": window_rates(fired_at),
    }


def window_rates(fired_at: list[datetime]) -> dict[str, float]:
    """Firings per second: overall between the first and last firing, and per 1 s window."""
    if len(fired_at) < 2:
        return {"steady_per_s": 0.0, "window_median_per_s": 0.0, "window_p5_per_s": 0.0}
    first = fired_at[0]
    span = (fired_at[-1] - first).total_seconds()
    buckets: dict[int, int] = {}
    for moment in fired_at:
        second = int((moment - first).total_seconds())
        buckets[second] = buckets.get(second, 0) + 1
    full = sorted(v for k, v in buckets.items() if 0 < k < int(span))  # drop partial seconds
    full = full or sorted(buckets.values())
    return {
        "steady_per_s": (len(fired_at) - 1) / span if span > 0 else 0.0,
        "window_median_per_s": float(statistics.median(full)),
        "window_p5_per_s": float(percentile([float(v) for v in full], 0.05)),
    }


def measure(seed_url: str, workers: int, count: int) -> dict[str, Any]:
    template = str(make_url(seed_url).database)
    url = fresh_postgres(postgres_url(f"_timers_w{workers}"), template=template)
    svc = Services.build(Settings(database_url=url, scheduler_enabled=False))
    try:
        elapsed = run_workers(url, workers)
        found = verify(svc, count)
    finally:
        svc.engine.dispose()
        drop_postgres(url)
    return {"workers": workers, "timers": count, "wall_s": elapsed, **found}


def run() -> Scenario:
    count = timer_count()
    started = time.perf_counter()
    seed_url = seed(count)
    seed_s = time.perf_counter() - started
    try:
        results = [measure(seed_url, workers, count) for workers in WORKERS]
    finally:
        drop_postgres(seed_url)
    rows = [
        [
            r["workers"],
            f"{r['timers']:,}",
            f"{r['timers'] / r['wall_s']:.0f}",
            f"{r['window_rates']['steady_per_s']:.0f}",
            f"{r['window_rates']['window_median_per_s']:.0f}",
            f"{r['window_rates']['window_p5_per_s']:.0f}",
            "yes" if r["exactly_once"] else "NO",
        ]
        for r in results
    ]
    exact = all(r["exactly_once"] for r in results)
    return Scenario(
        name="timers",
        title="6. Timers: due timers fired per second by `caseway worker --once` (PostgreSQL)",
        database="PostgreSQL (loopback), a fresh copy of the seeded database per worker count",
        sample=(
            f"{count:,} due timers, one run per worker count; per-second windows between the "
            "first and last firing give the median and the slowest 5 %"
        ),
        header=[
            "workers",
            "timers",
            "/s wall (incl. start-up)",
            "/s steady",
            "/s window p50",
            "/s window p5",
            "each fired once",
        ],
        rows=rows,
        targets=[
            Target(
                "every timer fired exactly once (audit events, timer rows, user tasks)",
                "yes" if exact else "NO: see latest.json",
                exact,
            )
        ],
        notes=[
            f"seeding {count:,} instances through commands.start_instance took {seed_s:.0f} s",
            "wall rate includes each worker process's start-up (~1 s of imports on this machine)",
        ],
        data={"results": results, "seed_s": seed_s},
    )
