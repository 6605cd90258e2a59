"""Scenario: scale-out. N app servers and M timer workers against one PostgreSQL.

Each app server is its own gunicorn (one gthread worker × 8 threads: one Python process, so
two servers are two processes and the rise from one to two shows what a second machine would
add); the 4 clients balance on their side (client i talks to server i mod N). Meanwhile M
`caseway worker` processes fire a backlog of due timers (the timers scenario's seed). Reported:
five-task instances/s and timers/s over the same window, the core count, and the load average.

    .venv/bin/python -m bench scale
    QUICK=1 .venv/bin/python -m bench scale
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.engine import make_url

from bench.common import (
    QUICK,
    Scenario,
    Target,
    drop_postgres,
    fresh_postgres,
    postgres_url,
    scratch_dir,
    summarize,
)
from bench.seed import FIVE_TASKS, deploy, services, staff
from bench.serving import Server, gunicorn_available
from bench.throughput import Tally, client_loop
from bench.timers import seed as seed_timers
from engine.store.db import transaction
from engine.store.models import AuditEvent, ProcessInstance

CLIENTS = 4
READY = "worker running"
LAYOUTS = ((1, 1), (2, 1), (2, 2))  # (app servers, timer workers)
MIN_SPEEDUP = 1.5  # 2 servers vs 1, on a machine with ≥ 4 cores


def sizes() -> tuple[int, float, int]:
    """(due timers seeded, seconds per run, runs)."""
    return (2_000, 4.0, 1) if QUICK else (10_000, 10.0, 3)


def seed(timers: int) -> tuple[str, dict[str, str]]:
    url = seed_timers(timers, "_scale_seed")
    svc = services(url)
    try:
        with transaction(svc.sessions) as session:  # their tasks stay out of the clients' inbox
            session.execute(
                update(ProcessInstance)
                .where(ProcessInstance.process_id == "wait_then_act")
                .values(office="timers")
            )
        deploy(svc, FIVE_TASKS)
        tokens = staff(svc)
    finally:
        svc.engine.dispose()
    return url, tokens


def start_workers(url: str, count: int) -> list[subprocess.Popen[bytes]]:
    """`count` workers, returned once each has said it is running."""
    env = {**os.environ, "DATABASE_URL": url, "PYTHONUNBUFFERED": "1"}
    logs = [scratch_dir() / f"scale-worker-{n}.log" for n in range(count)]
    procs = []
    for path in logs:
        with path.open("wb") as log:
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "engine.cli.main", "worker"],
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
    deadline = time.monotonic() + 120
    while not all(READY in path.read_text() for path in logs):
        if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
            stop(procs)
            raise RuntimeError(f"a timer worker did not start; see {logs}")
        time.sleep(0.1)
    return procs


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        proc.send_signal(signal.SIGINT)
    for proc in procs:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def fired_between(url: str, start: datetime, end: datetime) -> int:
    svc = services(url)
    try:
        with svc.sessions() as session:
            return int(
                session.scalar(
                    select(func.count())
                    .select_from(AuditEvent)
                    .where(
                        AuditEvent.action == "timer.fire",
                        AuditEvent.at >= start,
                        AuditEvent.at < end,
                    )
                )
                or 0
            )
    finally:
        svc.engine.dispose()


def measure(seed_url: str, tokens: dict[str, str], servers: int, workers: int) -> dict[str, Any]:
    timers, seconds, runs = sizes()
    template = str(make_url(seed_url).database)
    url = fresh_postgres(postgres_url(f"_scale_{servers}_{workers}"), template=template)
    apps = [
        Server(url, kind="gunicorn", gunicorn_workers=1, gunicorn_threads=8, scheduler=False)
        for _ in range(servers)
    ]
    rates, timer_rates, cpu_ms, errors = [], [], [], 0
    first_errors: list[str] = []
    load_before = os.getloadavg()[0]
    try:
        for app in apps:
            app.__enter__()
        ports = [app.port for app in apps]
        procs = start_workers(url, workers)
        try:
            _clients(ports, tokens, 1.0, "warm")
            for r in range(runs):
                cpu_before = sum(app.cpu_seconds() for app in apps)
                start = datetime.now(UTC)
                tally = _clients(ports, tokens, seconds, f"r{r}")
                end = datetime.now(UTC)
                rates.append(tally.instances / tally.elapsed)
                cpu = (sum(app.cpu_seconds() for app in apps) - cpu_before) * 1000
                cpu_ms.append(cpu / max(1, tally.instances))
                timer_rates.append(fired_between(url, start, end) / tally.elapsed)
                errors += len(tally.errors)
                first_errors += tally.errors[: 3 - len(first_errors)]
        finally:
            stop(procs)
    finally:
        for app in apps:
            app.stop()
        drop_postgres(url)
    return {
        "servers": servers,
        "workers": workers,
        "instances_per_s": summarize(rates),
        "timers_per_s": summarize(timer_rates),
        "server_cpu_ms_per_instance": summarize(cpu_ms),
        "errors": errors,
        "first_errors": first_errors,
        "load": {"start": load_before, "end": os.getloadavg()[0]},
    }


def _clients(ports: list[int], tokens: dict[str, str], seconds: float, tag: str) -> Tally:
    tally = Tally()
    deadline = time.perf_counter() + seconds
    threads = [
        threading.Thread(
            target=client_loop,
            args=(ports[c % len(ports)], tokens, f"{tag}-c{c}", deadline, tally),
        )
        for c in range(CLIENTS)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    tally.elapsed = time.perf_counter() - started
    return tally


def run() -> Scenario:
    if not gunicorn_available():
        raise RuntimeError("gunicorn is not installed: `make bench` installs the bench extra")
    timers, seconds, runs = sizes()
    seed_url, tokens = seed(timers)
    try:
        results = [measure(seed_url, tokens, s, w) for s, w in LAYOUTS]
    finally:
        drop_postgres(seed_url)
    rows = [
        [
            r["servers"],
            r["workers"],
            f"{r['instances_per_s']['median']:.1f}",
            f"{r['instances_per_s']['p95']:.1f}",
            f"{r['timers_per_s']['median']:.0f}",
            f"{r['server_cpu_ms_per_instance']['median']:.0f}",
            r["errors"],
            f"{r['load']['start']:.1f} → {r['load']['end']:.1f}",
        ]
        for r in results
    ]
    one = results[0]["instances_per_s"]["median"]
    two = results[1]["instances_per_s"]["median"]
    cores = os.cpu_count() or 1
    speedup = two / one if one else 0.0
    return Scenario(
        name="scale",
        title="Scale-out: N gunicorn app servers + M timer workers, one PostgreSQL",
        database="PostgreSQL (loopback), a fresh copy of the seeded database per layout",
        sample=(
            f"{CLIENTS} clients balancing over the servers, {runs} run(s) of {seconds:.0f} s per "
            f"layout after 1 s of warm-up, with {timers:,} timers due at the start"
        ),
        header=[
            "app servers",
            "timer workers",
            "inst/s p50",
            "inst/s p95",
            "timers/s p50",
            "server CPU ms/inst",
            "errors",
            "load avg",
        ],
        rows=rows,
        targets=[
            Target(
                f"2 app servers ≥ {MIN_SPEEDUP}× one ({cores} cores; judged on ≥ 4 cores)",
                f"{speedup:.2f}× ({two:.1f} vs {one:.1f}/s)",
                speedup >= MIN_SPEEDUP if cores >= 4 else None,
            )
        ],
        notes=[
            f"cores: {cores}. Servers, workers, PostgreSQL and the clients share them: on 2 cores "
            "a second app server adds a process but no CPU, so the rise measures contention, "
            "not what a second machine adds",
        ],
        data={"results": results, "cores": cores},
    )
