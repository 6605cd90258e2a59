"""Scenario 6, timers: 10,000 due timers fired by 1, 2 and 4 `caseway worker --once`
processes on PostgreSQL (and 50,000 by 2 workers in the full run), timers per second, and the
proof that each timer fired exactly once.

The instances (tests/fixtures/wait_then_act.bpmn: a timer, then a user task) are started
through the commands layer with a clock a day in the past, so every timer is due (500 real
ones, then copied: each copy gets fresh ids for the instance and every task in its state, so it
is an instance of its own, not a second handle on the first); each run
then works on a fresh copy of that database (CREATE DATABASE … TEMPLATE).

    .venv/bin/python -m bench timers            # 10,000 timers × 1/2/4 workers, 50,000 × 2
    QUICK=1 .venv/bin/python -m bench timers    # 2,000 timers × 1/2/4 workers
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import create_engine, func, insert, select, text
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
from engine.casework.sync import pack_state, unpack_state
from engine.casework.timers import BATCH_SIZE
from engine.clock import FakeClock
from engine.config import REPO_ROOT, Settings
from engine.definitions.compile import SourceFile
from engine.identity.users import Principal
from engine.services import Services
from engine.store.models import AuditEvent, Base, HumanTask, Timer

FIXTURE = REPO_ROOT / "tests" / "fixtures" / "wait_then_act.bpmn"
DESIGNER = Principal("bench", "bench", frozenset({"designer"}))
STARTER = Principal("bench", "bench", frozenset({"caseworker"}))
WORKERS = (1, 2, 4)
REAL_INSTANCES = 500
TARGET_TIMERS, TARGET_S = 10_000, 60.0  # with 2 workers: ≥ 167/s
LARGE_TIMERS, LARGE_S = 50_000, 300.0  # full run only
MIN_SPEEDUP_2, MIN_RATIO_4 = 1.6, 0.95  # 2 vs 1 worker; 4 vs 2 ("no slower", 5 % noise)


def timer_count() -> int:
    return 2_000 if QUICK else TARGET_TIMERS


def seed(count: int, suffix: str = "_timers_seed") -> str:
    """A database with `count` instances waiting on a timer that is already due."""
    url = fresh_postgres(postgres_url(suffix))
    clock = FakeClock(datetime.now(UTC) - timedelta(days=1))
    svc = Services.build(Settings(database_url=url, scheduler_enabled=False), clock=clock)
    real = min(count, REAL_INSTANCES)
    try:
        deploy_files(svc, DESIGNER, [SourceFile(FIXTURE.name, FIXTURE.read_bytes())])
        for n in range(real):
            start_instance(
                svc, STARTER, StartRequest("wait_then_act", f"B-{n}", {"wait_for": "PT1H"})
            )
    finally:
        svc.engine.dispose()
    if count > real:
        if count % real:
            raise ValueError(f"the timer count must be a multiple of {real}")
        copy_instances(url, count // real - 1)
    return url


UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def copy_instances(url: str, copies: int) -> None:
    """Each waiting instance `copies` more times, with fresh ids (instance, tasks, timers) and
    no case (like a scheduled instance), in bulk: seeding 50,000 through the commands layer
    would take longer than the benchmark itself."""
    engine = create_engine(url)
    instances, timer_rows = Base.metadata.tables["process_instance"], Base.metadata.tables["timer"]
    with engine.begin() as conn:
        originals = [dict(r._mapping) for r in conn.execute(select(instances))]
        timers_of: dict[str, list[dict[str, Any]]] = {}
        for row in conn.execute(select(timer_rows)):
            timers_of.setdefault(row.instance_id, []).append(dict(row._mapping))
        for n in range(1, copies + 1):
            new_instances, new_timers = [], []
            for original in originals:
                state = unpack_state(original["state"])
                fresh = {old: str(uuid.uuid4()) for old in set(UUID.findall(state))}
                fresh.setdefault(original["id"], str(uuid.uuid4()))
                new_id = fresh[original["id"]]
                new_instances.append(
                    {
                        **original,
                        "id": new_id,
                        "business_key": f"{original['business_key']}-{n}",
                        "case_id": None,
                        "state": pack_state(_renamed(state, fresh)),
                    }
                )
                new_timers += [
                    {**t, "id": fresh.get(t["id"], str(uuid.uuid4())), "instance_id": new_id}
                    for t in timers_of.get(original["id"], [])
                ]
            conn.execute(insert(instances), new_instances)
            conn.execute(insert(timer_rows), new_timers)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()


def _renamed(state: str, fresh: dict[str, str]) -> str:
    return UUID.sub(lambda m: fresh[m.group(0)], state)


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
    load_before = os.getloadavg()[0]
    try:
        elapsed = run_workers(url, workers)
        found = verify(svc, count)
    finally:
        svc.engine.dispose()
        drop_postgres(url)
    load = {"start": load_before, "end": os.getloadavg()[0]}
    return {"workers": workers, "timers": count, "wall_s": elapsed, "load": load, **found}


def run() -> Scenario:
    count = timer_count()
    started = time.perf_counter()
    seed_url = seed(count)
    seed_s = time.perf_counter() - started
    try:
        results = [measure(seed_url, workers, count) for workers in WORKERS]
    finally:
        drop_postgres(seed_url)
    if not QUICK:
        large_url = seed(LARGE_TIMERS, "_timers_seed_large")
        try:
            results.append(measure(large_url, 2, LARGE_TIMERS))
        finally:
            drop_postgres(large_url)
    rows = [
        [
            r["workers"],
            f"{r['timers']:,}",
            f"{r['wall_s']:.1f}",
            f"{r['timers'] / r['wall_s']:.0f}",
            f"{r['window_rates']['steady_per_s']:.0f}",
            f"{r['window_rates']['window_median_per_s']:.0f}",
            f"{r['window_rates']['window_p5_per_s']:.0f}",
            "yes" if r["exactly_once"] else "NO",
            f"{r['load']['start']:.1f} → {r['load']['end']:.1f}",
        ]
        for r in results
    ]
    return Scenario(
        name="timers",
        title="6. Timers: due timers fired per second by `caseway worker --once` (PostgreSQL)",
        database="PostgreSQL (loopback), a fresh copy of the seeded database per run",
        sample=(
            f"{count:,} due timers per worker count"
            + ("" if QUICK else f", plus {LARGE_TIMERS:,} with 2 workers")
            + "; one run each; per-second windows between the first and last firing give the "
            "median and the slowest 5 %"
        ),
        header=[
            "workers",
            "timers",
            "wall s",
            "/s wall (incl. start-up)",
            "/s steady",
            "/s window p50",
            "/s window p5",
            "each fired once",
            "load avg",
        ],
        rows=rows,
        targets=targets(results),
        notes=[
            f"seeding {count:,} instances took {seed_s:.0f} s "
            f"({min(count, REAL_INSTANCES)} through commands.start_instance, the rest cloned)",
            f"cores: {os.cpu_count()}; each worker claims up to "
            f"{BATCH_SIZE} instances per statement and fires each in its own savepoint",
        ],
        data={"results": results, "seed_s": seed_s},
    )


def targets(results: list[dict[str, Any]]) -> list[Target]:
    by_workers = {r["workers"]: r for r in results if r["timers"] == results[0]["timers"]}
    steady = {w: r["window_rates"]["steady_per_s"] for w, r in by_workers.items()}
    exact = all(r["exactly_once"] for r in results)
    two = by_workers[2]
    found = [
        Target(
            "every timer fired exactly once (audit events, timer rows, user tasks)",
            "yes" if exact else "NO: see latest.json",
            exact,
        ),
        _within(two, TARGET_TIMERS, TARGET_S),
        Target(
            f"2 workers ≥ {MIN_SPEEDUP_2}× one worker (steady rate)",
            f"{steady[2] / steady[1]:.2f}× ({steady[2]:.0f} vs {steady[1]:.0f}/s)",
            steady[2] >= MIN_SPEEDUP_2 * steady[1],
        ),
        Target(
            f"4 workers no slower than 2 (≥ {MIN_RATIO_4}×, steady rate; {os.cpu_count()} cores)",
            f"{steady[4] / steady[2]:.2f}× ({steady[4]:.0f} vs {steady[2]:.0f}/s)",
            steady[4] >= MIN_RATIO_4 * steady[2],
        ),
    ]
    large = [r for r in results if r["timers"] == LARGE_TIMERS]
    if large:
        found.append(_within(large[0], LARGE_TIMERS, LARGE_S))
    else:
        found.append(
            Target(f"{LARGE_TIMERS:,} timers ≤ {LARGE_S:.0f} s, 2 workers", "full run only", None)
        )
    return found


def _within(result: dict[str, Any], timers: int, limit_s: float) -> Target:
    """Met when `timers` fired within `limit_s` (wall, start-up included) and exactly once; a
    smaller (QUICK) run is judged by its rate against the rate the target needs."""
    what = f"{timers:,} due timers fired in ≤ {limit_s:.0f} s with 2 workers, each once"
    rate = result["timers"] / result["wall_s"]
    if result["timers"] == timers:
        measured = f"{result['wall_s']:.1f} s ({rate:.0f}/s)"
        return Target(what, measured, result["wall_s"] <= limit_s and result["exactly_once"])
    needed = timers / limit_s
    measured = f"QUICK: {result['timers']:,} at {rate:.0f}/s (needs ≥ {needed:.0f}/s)"
    return Target(what, measured, rate >= needed and result["exactly_once"])
