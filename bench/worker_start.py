"""Scenario: how soon a `caseway worker` is ready, on SQLite and PostgreSQL.

Ready is the worker's "timer and outbox worker running" line: settings read, engine built,
scheduler started with its first timer pass due at once. Measured from `Popen` (interpreter
start included), repeated; the worker is then stopped with SIGINT. The imports that cost most
are listed from one `python -X importtime` run.

    .venv/bin/python -m bench worker_start
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from bench.common import (
    QUICK,
    Scenario,
    Target,
    drop_postgres,
    fresh_postgres,
    fresh_sqlite,
    postgres_url,
    scratch_dir,
    summarize,
)

READY_LINE = "worker running"
TARGET_S = 1.5


def time_to_ready(url: str) -> float:
    env = {**os.environ, "DATABASE_URL": url}
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "engine.cli.main", "worker"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if READY_LINE in line:
                return time.perf_counter() - started
        raise RuntimeError(f"the worker exited ({proc.wait()}) before it was ready")
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def heaviest_imports(url: str, top: int = 8) -> list[dict[str, Any]]:
    """Cumulative import time of the worker's top-level imports (one run, `-X importtime`)."""
    found = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "engine.cli.main", "worker", "--once"],
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        check=True,
    )
    rows: list[dict[str, Any]] = []
    for line in found.stderr.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) != 3 or not parts[1].strip().isdigit():
            continue
        name = parts[2]
        if len(name) - len(name.lstrip()) <= 1:  # top level: imported by the worker itself
            rows.append({"module": name.strip(), "cumulative_ms": int(parts[1]) / 1000})
    return sorted(rows, key=lambda r: -r["cumulative_ms"])[:top]


def run() -> Scenario:
    repeats = 3 if QUICK else 9
    urls = {
        "SQLite": fresh_sqlite(scratch_dir() / "worker-start.sqlite3"),
        "PostgreSQL": fresh_postgres(postgres_url("_worker_start")),
    }
    data: dict[str, Any] = {}
    rows = []
    try:
        for name, url in urls.items():
            time_to_ready(url)  # warm the file cache once
            load_before = os.getloadavg()[0]
            samples = [time_to_ready(url) for _ in range(repeats)]
            stats = summarize(samples)
            load = {"start": load_before, "end": os.getloadavg()[0]}
            data[name] = {"samples_s": samples, **stats, "load": load}
            rows.append(
                [
                    name,
                    f"{stats['median']:.2f}",
                    f"{stats['p95']:.2f}",
                    f"{load['start']:.1f} → {load['end']:.1f}",
                ]
            )
        data["imports"] = heaviest_imports(urls["SQLite"])
    finally:
        drop_postgres(urls["PostgreSQL"])
    worst = max(data[name]["median"] for name in urls)
    return Scenario(
        name="worker_start",
        title="Worker start-up: `caseway worker` until ready (first timer pass starting)",
        database="SQLite and PostgreSQL, migrated, empty",
        sample=f"{repeats} starts per database after one warm-up; median and p95",
        header=["database", "ready s p50", "ready s p95", "load avg"],
        rows=rows,
        targets=[Target(f"worker ready ≤ {TARGET_S} s (p50)", f"{worst:.2f} s", worst <= TARGET_S)],
        notes=[
            "heaviest imports (cumulative ms, one run): "
            + ", ".join(f"{i['module']} {i['cumulative_ms']:.0f}" for i in data["imports"]),
        ],
        data=data,
    )
