"""Scenario 3, throughput: full five-task instances per second, start to end, on PostgreSQL.

1, 4 and 16 concurrent clients (threads of this process, each with its own keep-alive
connection) run instances back to back for a fixed time against `caseway serve` (werkzeug's
threaded server) and, when installed (the `bench` extra), gunicorn with gthread workers.
Each instance is 16 requests: start, then per user task find + claim + complete.

    .venv/bin/python -m bench throughput
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bench.common import QUICK, Scenario, Target, fresh_postgres, postgres_url, summarize
from bench.driver import new_samples, run_instance
from bench.seed import FIVE_TASKS, deploy, services, staff
from bench.serving import Client, Server, gunicorn_available
from engine.store.models import ProcessInstance

CLIENTS = (1, 4, 16)
TARGET_PER_S = 25.0
TARGET_CPU_MS = 50.0  # server CPU per five-task instance, gunicorn with 4 clients


@dataclass(frozen=True)
class Plan:
    seconds: float
    repeats: int
    warmup_s: float


def plan() -> Plan:
    return Plan(seconds=2.0, repeats=1, warmup_s=1.0) if QUICK else Plan(10.0, 3, 2.0)


@dataclass
class Tally:
    instances: int = 0
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    elapsed: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


def client_loop(port: int, tokens: dict[str, str], tag: str, deadline: float, tally: Tally) -> None:
    client = Client(port, tokens)
    n = 0
    try:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                run_instance(client, f"{tag}-{n}", new_samples())
            except Exception as exc:  # count it and go on: a benchmark reports, it doesn't stop
                with tally.lock:
                    tally.errors.append(f"{type(exc).__name__}: {exc}"[:300])
                client.close()
                client = Client(port, tokens)
                continue
            finally:
                n += 1
            with tally.lock:
                tally.instances += 1
                tally.latencies.append(time.perf_counter() - started)
    finally:
        client.close()


def one_run(port: int, tokens: dict[str, str], clients: int, seconds: float, tag: str) -> Tally:
    tally = Tally()
    deadline = time.perf_counter() + seconds
    threads = [
        threading.Thread(target=client_loop, args=(port, tokens, f"{tag}-c{c}", deadline, tally))
        for c in range(clients)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    tally.elapsed = time.perf_counter() - started
    return tally


def measure_clients(
    server: Server, tokens: dict[str, str], clients: int, size: Plan
) -> dict[str, Any]:
    rates, latencies, errors = [], [], []
    cpu_before, done = server.cpu_seconds(), 0
    for r in range(size.repeats):
        tally = one_run(server.port, tokens, clients, size.seconds, f"{server.kind}-{clients}-{r}")
        rates.append(tally.instances / tally.elapsed)
        latencies.extend(tally.latencies)
        errors.extend(tally.errors)
        done += tally.instances
    cpu_ms = (server.cpu_seconds() - cpu_before) * 1000
    return {
        "instances_per_s": summarize(rates),
        "instance_latency_s": summarize(latencies),
        "server_cpu_ms_per_instance": cpu_ms / max(1, done),
        "errors": len(errors),
        "first_errors": errors[:3],
    }


def measure_server(kind: str, size: Plan) -> dict[str, Any]:
    url = fresh_postgres(postgres_url("_throughput"))
    svc = services(url)
    try:
        deploy(svc, FIVE_TASKS)
        tokens = staff(svc)
    finally:
        svc.engine.dispose()
    results: dict[str, Any] = {}
    with Server(url, kind=kind) as server:
        one_run(server.port, tokens, 4, size.warmup_s, f"{kind}-warm")
        for clients in CLIENTS:
            results[str(clients)] = measure_clients(server, tokens, clients, size)
        results["server"] = server.describe()
        results["server_memory_kib"] = server.memory_kib()
    results["unfinished_instances"] = _unfinished(url)
    return results


def _unfinished(url: str) -> int:
    svc = services(url)
    try:
        with Session(svc.engine) as session:
            return int(
                session.scalar(
                    select(func.count())
                    .select_from(ProcessInstance)
                    .where(ProcessInstance.status != "completed")
                )
                or 0
            )
    finally:
        svc.engine.dispose()


def run() -> Scenario:
    size = plan()
    kinds = ["werkzeug"] + (["gunicorn"] if gunicorn_available() and not QUICK else [])
    data = {kind: measure_server(kind, size) for kind in kinds}
    rows = []
    for kind in kinds:
        for clients in CLIENTS:
            found = data[kind][str(clients)]
            rate, latency = found["instances_per_s"], found["instance_latency_s"]
            rows.append(
                [
                    data[kind]["server"],
                    clients,
                    f"{rate['median']:.1f}",
                    f"{rate['p95']:.1f}",
                    f"{latency['median'] * 1000:.0f}",
                    f"{latency['p95'] * 1000:.0f}",
                    f"{found['server_cpu_ms_per_instance']:.0f}",
                    found["errors"],
                ]
            )
    best = max(data[k]["4"]["instances_per_s"]["median"] for k in kinds)
    werkzeug = data["werkzeug"]["4"]["instances_per_s"]["median"]
    targets = [
        Target(
            f"≥ {TARGET_PER_S:.0f} instances/s with 4 clients (caseway serve)",
            f"{werkzeug:.1f}/s",
            werkzeug >= TARGET_PER_S,
        )
    ]
    if len(kinds) > 1:
        targets.append(
            Target(
                f"≥ {TARGET_PER_S:.0f} instances/s with 4 clients (best server)",
                f"{best:.1f}/s",
                best >= TARGET_PER_S,
            )
        )
    if "gunicorn" in kinds:
        cpu = data["gunicorn"]["4"]["server_cpu_ms_per_instance"]
        targets.append(
            Target(
                f"server CPU ≤ {TARGET_CPU_MS:.0f} ms per instance (gunicorn, 4 clients)",
                f"{cpu:.0f} ms",
                cpu <= TARGET_CPU_MS,
            )
        )
    else:
        targets.append(
            Target(
                f"server CPU ≤ {TARGET_CPU_MS:.0f} ms per instance (gunicorn, 4 clients)",
                "gunicorn runs in the full run only",
                None,
            )
        )
    unfinished = {k: data[k]["unfinished_instances"] for k in kinds}
    return Scenario(
        name="throughput",
        title="3. Throughput: five-task instances per second, start to end (PostgreSQL)",
        database="PostgreSQL (loopback), fresh database per server",
        sample=(
            f"{size.repeats} run(s) of {size.seconds:.0f} s per client count after a "
            f"{size.warmup_s:.0f} s warm-up; rate median/p95 over runs, latency over instances"
        ),
        header=[
            "server",
            "clients",
            "inst/s p50",
            "inst/s p95",
            "inst ms p50",
            "inst ms p95",
            "server CPU ms/inst",
            "errors",
        ],
        rows=rows,
        targets=targets,
        notes=[
            "each instance = 16 requests (start; per task: find, claim, complete); clients are "
            "threads in the benchmark process, which shares the 2 cores with server and database",
            f"instances left unfinished after the runs: {unfinished} (0 = every started "
            "instance ran to its end)",
        ],
        data=data,
    )
