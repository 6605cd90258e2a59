"""Timers fired per second with 1, 2 and 4 `caseway worker` processes on PostgreSQL, and the
proof that each timer fired exactly once.

    .venv/bin/python -m bench.timers            # 2,000 timers per run, 3 runs per worker count
    QUICK=1 .venv/bin/python -m bench.timers    # 300 timers, 1 run
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bench.common import QUICK, environment, fresh_postgres, print_table, summarize, write_result
from engine.clock import FakeClock
from engine.commands import StartRequest, deploy_files, start_instance
from engine.config import REPO_ROOT, Settings
from engine.definitions import SourceFile
from engine.services import Services
from engine.store.models import AuditEvent, Timer
from engine.users import Principal

FIXTURE = REPO_ROOT / "tests" / "fixtures" / "wait_then_act.bpmn"
DESIGNER = Principal("bench", "bench", frozenset({"designer"}))
STARTER = Principal("bench", "bench", frozenset({"caseworker"}))


def prepare(url: str, count: int) -> Services:
    clock = FakeClock(datetime.now(UTC) - timedelta(days=1))
    svc = Services.build(Settings(database_url=url, scheduler_enabled=False), clock=clock)
    deploy_files(svc, DESIGNER, [SourceFile(FIXTURE.name, FIXTURE.read_bytes())])
    for n in range(count):
        start_instance(svc, STARTER, StartRequest("wait_then_act", f"B-{n}", {"wait_for": "PT1H"}))
    return svc


def run_workers(url: str, workers: int) -> float:
    env = {**os.environ, "DATABASE_URL": url}
    started = time.perf_counter()
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "engine.cli", "worker", "--once"],
            env=env,
            stdout=subprocess.DEVNULL,
        )
        for _ in range(workers)
    ]
    for proc in procs:
        if proc.wait(timeout=1800) != 0:
            raise SystemExit(f"a worker exited with {proc.returncode}")
    return time.perf_counter() - started


def verify(svc: Services, count: int) -> bool:
    with svc.sessions() as session:
        per_instance = session.execute(
            select(AuditEvent.instance_id, func.count())
            .where(AuditEvent.action == "timer.fire")
            .group_by(AuditEvent.instance_id)
        ).all()
        left = session.scalar(select(func.count()).select_from(Timer))
    return len(per_instance) == count and all(c == 1 for _, c in per_instance) and left == 0


def main() -> None:
    count = 300 if QUICK else 2000
    repeats = 1 if QUICK else 3
    rows, results = [], []
    for workers in (1, 2, 4):
        rates, exact = [], True
        for _ in range(repeats):
            url = fresh_postgres()
            svc = prepare(url, count)
            elapsed = run_workers(url, workers)
            exact = exact and verify(svc, count)
            svc.engine.dispose()
            rates.append(count / elapsed)
        stats = summarize(rates)
        results.append(
            {"workers": workers, "timers": count, "rate_per_s": stats, "exactly_once": exact}
        )
        rows.append(
            [
                workers,
                count,
                repeats,
                f"{stats['median']:.0f}",
                f"{stats['p95']:.0f}",
                "yes" if exact else "NO",
            ]
        )
    print_table(
        "Timers fired per second (PostgreSQL, `caseway worker --once` processes; includes "
        "process start-up)",
        ["workers", "timers", "runs", "median/s", "p95/s", "each fired once"],
        rows,
    )
    write_result("timers", {"environment": environment(), "results": results})


if __name__ == "__main__":
    main()
