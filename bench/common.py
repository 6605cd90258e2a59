"""Shared benchmark plumbing: environment facts, a scratch PostgreSQL database, result files."""

from __future__ import annotations

import json
import os
import platform
import statistics
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

RESULTS = Path(__file__).resolve().parent / "results"
BENCH_POSTGRES_URL = os.environ.get(
    "CASEWAY_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/caseway_bench"
)
QUICK = os.environ.get("QUICK") == "1"


def environment() -> dict[str, Any]:
    """Machine, versions and database, stated with every result."""
    import SpiffWorkflow  # type: ignore[import-untyped]
    import sqlalchemy

    versions = {
        "python": platform.python_version(),
        "spiffworkflow": getattr(SpiffWorkflow, "__version__", "3.2.0"),
        "sqlalchemy": sqlalchemy.__version__,
    }
    try:
        engine = create_engine(BENCH_POSTGRES_URL.rsplit("/", 1)[0] + "/postgres")
        with engine.connect() as conn:
            versions["postgresql"] = conn.scalar(text("SHOW server_version"))
        engine.dispose()
    except Exception as exc:  # the bench still runs SQLite scenarios without PostgreSQL
        versions["postgresql"] = f"unavailable ({type(exc).__name__})"
    return {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()}",
        "versions": versions,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": QUICK,
    }


def fresh_postgres(url: str = BENCH_POSTGRES_URL) -> str:
    """Create (or empty) the scratch database and migrate it; returns its URL."""
    from engine.store.migrate import upgrade

    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()
    upgrade(url)
    return url


def summarize(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return {
        "n": len(samples),
        "median": statistics.median(ordered),
        "p95": p95,
        "min": ordered[0],
        "max": ordered[-1],
    }


def write_result(name: str, payload: dict[str, Any]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2, default=str))
    return path


def print_table(title: str, header: list[str], rows: list[list[Any]]) -> None:
    widths = [max(len(str(x)) for x in [h, *[r[i] for r in rows]]) for i, h in enumerate(header)]
    print(f"\n{title}")
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    for row in rows:
        print("  ".join(str(x).ljust(w) for x, w in zip(row, widths, strict=True)))
