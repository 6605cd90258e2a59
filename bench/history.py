"""Scenario 4, history growth: one looping instance (tests/fixtures/loop_review.bpmn: a user
task, a script, an XOR back), completing its next task again and again through the commands
layer (lock → load → run → save → commit, in this process). Latency of the completions right
after 10, 100, 1,000 and 5,000 completed tasks; the stored state size at each point.

    .venv/bin/python -m bench history
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import func, select

from bench.common import (
    QUICK,
    Scenario,
    Target,
    fresh_postgres,
    fresh_sqlite,
    ms,
    postgres_url,
    scratch_dir,
    summarize,
)
from bench.seed import LOOP_REVIEW, deploy, principal, services, staff
from engine.casework import commands
from engine.services import Services
from engine.store.models import HumanTask, ProcessInstance

DATABASES = {"sqlite": "SQLite (file, WAL)", "postgresql": "PostgreSQL (loopback)"}
WINDOW = 20 if QUICK else 50  # completions measured after each checkpoint


def checkpoints() -> list[int]:
    return [10, 100, 1000] if QUICK else [10, 100, 1000, 5000]


def open_task(svc: Services, instance_id: str) -> str | None:
    with svc.sessions() as session:
        return session.scalar(
            select(HumanTask.id).where(
                HumanTask.instance_id == instance_id, HumanTask.status == "open"
            )
        )


def state_size(svc: Services, instance_id: str) -> dict[str, int]:
    with svc.sessions() as session:
        blob = session.scalar(
            select(ProcessInstance.state).where(ProcessInstance.id == instance_id)
        )
        rows = session.scalar(
            select(func.count()).select_from(HumanTask).where(HumanTask.instance_id == instance_id)
        )
    return {"state_bytes_zlib": len(blob or b""), "human_task_rows": int(rows or 0)}


def loop(svc: Services, marks: list[int]) -> dict[str, Any]:
    worker = principal("bench_cw")
    request = commands.StartRequest("loop_review", "LOOP-1", {"count": 0, "limit": 10**9})
    instance_id = commands.start_instance(svc, worker, request)
    latencies: list[float] = []
    sizes: dict[str, dict[str, int]] = {}
    total = marks[-1] + WINDOW
    stalled_at = None
    for done in range(total):
        if done in marks:
            sizes[str(done)] = state_size(svc, instance_id)
        task_id = open_task(svc, instance_id)
        if task_id is None:
            stalled_at = done
            break
        started = time.perf_counter()
        commands.complete_task(svc, worker, task_id, {"note": f"pass {done}"})
        latencies.append(time.perf_counter() - started)
    windows = {str(m): summarize(latencies[m : m + WINDOW]) for m in marks}
    return {
        "windows": windows,
        "sizes": sizes,
        "completed": len(latencies),
        "stalled_at": stalled_at,
    }


def measure(name: str, url: str, marks: list[int]) -> dict[str, Any]:
    svc = services(url)
    try:
        deploy(svc, LOOP_REVIEW)
        staff(svc)
        return loop(svc, marks)
    finally:
        svc.engine.dispose()


def run() -> Scenario:
    marks = checkpoints()
    urls = {"postgresql": fresh_postgres(postgres_url("_history"))}
    if not QUICK:  # QUICK measures the production database only
        urls = {"sqlite": fresh_sqlite(scratch_dir() / "history.sqlite3"), **urls}
    data = {name: measure(name, url, marks) for name, url in urls.items()}
    rows, targets = [], []
    for name in urls:
        found = data[name]
        for mark in marks:
            stats = found["windows"][str(mark)]
            size = found["sizes"].get(str(mark), {})
            rows.append(
                [
                    name,
                    f"{mark:,}",
                    int(stats["n"]),
                    ms(stats["median"]),
                    ms(stats["p95"]),
                    f"{size.get('state_bytes_zlib', 0):,}",
                    f"{size.get('human_task_rows', 0):,}",
                ]
            )
        targets += _targets(name, found)
    return Scenario(
        name="history",
        title="4. History growth: completing the next task of one looping instance",
        database=" and ".join(DATABASES[name] for name in urls),
        sample=f"the {WINDOW} completions after each checkpoint, one instance per database",
        header=[
            "database",
            "after completed",
            "n",
            "p50 ms",
            "p95 ms",
            "state bytes (zlib)",
            "human_task rows",
        ],
        rows=rows,
        targets=targets,
        notes=[
            "commands.complete_task in-process (includes the due-timer check, lock, load, run, "
            "prune, save, commit); 1 user task + 1 script + 1 gateway per iteration"
        ],
        data=data,
    )


def _targets(name: str, found: dict[str, Any]) -> list[Target]:
    total = found["completed"]
    stalled = found["stalled_at"]
    first = found["windows"]["10"]["median"]
    at_1000 = found["windows"]["1000"]["median"]
    ratio = at_1000 / first
    return [
        Target(
            f"never stalls ({name})",
            f"{total:,} completions" + (f", stalled at {stalled}" if stalled is not None else ""),
            stalled is None,
        ),
        Target(
            f"p50 at 1,000 within 2× of p50 at 10 ({name})",
            f"{ratio:.2f}× ({at_1000 * 1000:.2f} vs {first * 1000:.2f} ms)",
            ratio <= 2.0,
        ),
    ]
