"""Shared benchmark plumbing: environment facts, scratch databases, statistics, result files.

Every scenario module exposes `run() -> Scenario`; `python -m bench` runs them in order, prints
their tables and writes bench/results/latest.json. Benchmarks print numbers: they never fail on
speed.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

BENCH_DIR = Path(__file__).resolve().parent
RESULTS = BENCH_DIR / "results"
FIXTURES = BENCH_DIR / "fixtures"
BENCH_POSTGRES_URL = os.environ.get(
    "CASEWAY_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/caseway_bench"
)
QUICK = os.environ.get("QUICK") == "1"


# -- environment ------------------------------------------------------------------------------


def environment() -> dict[str, Any]:
    """Machine, versions and database, stated with every result."""
    import SpiffWorkflow  # type: ignore[import-untyped]
    import sqlalchemy
    import werkzeug

    versions = {
        "python": platform.python_version(),
        "spiffworkflow": getattr(SpiffWorkflow, "__version__", "3.2.0"),
        "sqlalchemy": sqlalchemy.__version__,
        "flask": _dist("flask"),
        "werkzeug": _dist("werkzeug") or getattr(werkzeug, "__version__", "?"),
        "psycopg": _dist("psycopg"),
        "sqlite": _sqlite_version(),
        "postgresql": _postgres_version(),
    }
    return {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {_memory()}, {_cpu_model()}",
        "os": f"{platform.system()} {platform.release()}",
        "versions": versions,
        "load_average_1m": round(os.getloadavg()[0], 2),
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": QUICK,
    }


def _dist(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def _sqlite_version() -> str:
    import sqlite3

    return sqlite3.sqlite_version


def _postgres_version() -> str:
    try:
        engine = create_engine(str(make_url(BENCH_POSTGRES_URL).set(database="postgres")))
        with engine.connect() as conn:
            found = str(conn.scalar(text("SHOW server_version")))
        engine.dispose()
        return found
    except Exception as exc:  # the bench still runs SQLite scenarios without PostgreSQL
        return f"unavailable ({type(exc).__name__})"


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB RAM"
    except OSError:
        pass
    return "RAM unknown"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "cpu unknown"


# -- databases --------------------------------------------------------------------------------


def postgres_url(suffix: str = "") -> str:
    """A scratch database URL: caseway_bench<suffix> on the bench server."""
    target = make_url(BENCH_POSTGRES_URL)
    return target.set(database=f"{target.database}{suffix}").render_as_string(hide_password=False)


def fresh_postgres(url: str = BENCH_POSTGRES_URL, *, template: str | None = None) -> str:
    """Create (or empty) the scratch database and migrate it; returns its URL.

    With `template`, the database is a copy of that (already migrated) database instead.
    """
    from engine.store.migrate import upgrade

    target = make_url(url)
    if not str(target.database).startswith("caseway_bench"):
        raise SystemExit(f"refusing to recreate {target.database}: not a caseway_bench* database")
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        copy = f' TEMPLATE "{template}"' if template else ""
        conn.execute(text(f'CREATE DATABASE "{target.database}"{copy}'))
    admin.dispose()
    if template is None:
        upgrade(url)
    return url


def drop_postgres(url: str) -> None:
    target = make_url(url)
    if not str(target.database).startswith("caseway_bench"):
        return
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
    admin.dispose()


def fresh_sqlite(path: Path) -> str:
    """A new migrated SQLite file at `path` (removed first, with its WAL files)."""
    from engine.store.migrate import upgrade

    path.parent.mkdir(parents=True, exist_ok=True)
    for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    upgrade(url)
    return url


def scratch_dir() -> Path:
    path = RESULTS / "scratch"
    path.mkdir(parents=True, exist_ok=True)
    return path


# -- statistics -------------------------------------------------------------------------------


def summarize(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    if not ordered:
        return {"n": 0, "median": float("nan"), "p95": float("nan"), "min": 0.0, "max": 0.0}
    return {
        "n": len(samples),
        "median": statistics.median(ordered),
        "p95": percentile(ordered, 0.95),
        "min": ordered[0],
        "max": ordered[-1],
    }


def percentile(ordered: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f}"


@contextmanager
def stopwatch(samples: list[float]) -> Iterator[None]:
    """Append the block's wall time in seconds to `samples`."""
    started = time.perf_counter()
    try:
        yield
    finally:
        samples.append(time.perf_counter() - started)


def time_calls(call: Callable[[], object], repeats: int) -> list[float]:
    samples: list[float] = []
    for _ in range(repeats):
        with stopwatch(samples):
            call()
    return samples


# -- results ----------------------------------------------------------------------------------


@dataclass
class Target:
    what: str
    measured: str
    met: bool | None  # None: not measured in this run (say why in `measured`)


@dataclass
class Scenario:
    """What a scenario hands back: a table for people and raw numbers for the JSON."""

    name: str
    title: str
    database: str
    sample: str
    header: list[str]
    rows: list[list[Any]]
    targets: list[Target] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    environment: dict[str, Any] = field(default_factory=environment)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


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


def print_scenario(result: Scenario) -> None:
    print_table(f"== {result.title}", result.header, result.rows)
    print(f"   database: {result.database}; sample: {result.sample}")
    for target in result.targets:
        verdict = {True: "MET", False: "MISSED", None: "n/a"}[target.met]
        print(f"   target [{verdict}] {target.what}: {target.measured}")
    for note in result.notes:
        print(f"   note: {note}", flush=True)
