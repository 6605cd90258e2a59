"""Scenario 5, inbox at scale: the inbox query (engine/casework/queues.py `inbox`) and the overdue
views (the overdue inbox and the service-standards report, engine/supervision/reports.py)
with 10k, 100k and 1M open tasks on PostgreSQL, and their EXPLAIN (ANALYZE, BUFFERS) plans.

Rows are bulk-loaded with COPY straight into process_instance and human_task (no workflow
runs): 20 offices, 4 queues, 30 % of tasks claimed by one of 50 users, 90 % with a due date
between 30 days ago and 60 days ahead, plus half as many completed tasks again (last 90 days).
Each size adds rows to the previous one; VACUUM ANALYZE runs after each load.

    .venv/bin/python -m bench inbox
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, event, text
from sqlalchemy.orm import Session

from bench.common import QUICK, Scenario, Target, fresh_postgres, ms, postgres_url, summarize
from bench.seed import FIVE_TASKS, deploy, services
from engine.casework import queues
from engine.identity.users import Principal
from engine.store.db import make_engine
from engine.supervision import reports

NOW = datetime(2027, 1, 4, 14, 0, tzinfo=UTC)
OFFICES = [f"office{n:02d}" for n in range(1, 21)]
QUEUES = ["intake_worker", "caseworker", "supervisor", "employment_counsellor"]
QUEUE_WEIGHTS = [2.0, 5.0, 1.5, 1.5]
USERS = ["bench_cw", *[f"user{n:02d}" for n in range(1, 50)]]
CASEWORKER = Principal("bench_cw", "office01", frozenset({"caseworker"}))
SUPERVISOR = Principal("bench_sup", "office01", frozenset({"supervisor"}))
TARGET_MS = 50.0
CHUNK = 50_000
STATE = b"x\x9c\x03\x00\x00\x00\x00\x01"  # zlib of b"": the inbox never reads state
INSTANCE_COLUMNS = (
    "id, definition_id, process_id, version, business_key, office, status, state, data_json, "
    "lock_version, started_by, created_at, updated_at"
)
TASK_COLUMNS = (
    "id, instance_id, process_id, business_key, office, task_name, title, queue, assignee, "
    "status, created_at, due_at, claimed_at, claimed_by, completed_at, completed_by"
)
Query = Callable[[Session], object]


def sizes() -> list[int]:
    return [10_000, 100_000] if QUICK else [10_000, 100_000, 1_000_000]


def queries() -> dict[str, Query]:
    since = NOW - timedelta(days=28)
    return {
        "inbox: my queues + mine, page of 50": lambda s: queues.inbox(
            s, CASEWORKER, queues.InboxFilter()
        ),
        "inbox: assignee=me": lambda s: queues.inbox(s, CASEWORKER, queues.InboxFilter(mine=True)),
        "overdue inbox (supervisor, office)": lambda s: queues.inbox(
            s, SUPERVISOR, queues.InboxFilter(overdue_at=NOW)
        ),
        "service-standards report (supervisor, office)": lambda s: reports.service_standards(
            s, SUPERVISOR, now=NOW, since=since, until=NOW
        ),
    }


# -- loading ------------------------------------------------------------------------------------


def load(engine: Engine, definition_id: int, start: int, stop: int) -> float:
    """COPY instances and tasks numbered [start, stop); returns seconds spent."""
    started = time.perf_counter()
    raw = engine.raw_connection()
    try:
        conn: Any = raw.driver_connection
        for low in range(start, stop, CHUNK):
            high = min(stop, low + CHUNK)
            rng = random.Random(low)
            _copy(conn, "process_instance", INSTANCE_COLUMNS, _instances(definition_id, low, high))
            _copy(conn, "human_task", TASK_COLUMNS, _tasks(rng, low, high))
            conn.commit()
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(text("VACUUM ANALYZE process_instance"))
            c.execute(text("VACUUM ANALYZE human_task"))
    finally:
        raw.close()
    return time.perf_counter() - started


def _copy(conn: Any, table: str, columns: str, rows: Iterator[tuple[Any, ...]]) -> None:
    with conn.cursor() as cur, cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _instance_id(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


def _instances(definition_id: int, low: int, high: int) -> Iterator[tuple[Any, ...]]:
    for n in range(low, high):
        created = NOW - timedelta(minutes=n % 129_600)
        office = OFFICES[n % len(OFFICES)]
        yield (
            _instance_id(n), definition_id, "five_tasks", 1, f"BK-{n}", office, "waiting",
            STATE, "{}", 1, "loader", created, created,
        )  # fmt: skip


def _tasks(rng: random.Random, low: int, high: int) -> Iterator[tuple[Any, ...]]:
    count = high - low
    queue_picks = rng.choices(QUEUES, QUEUE_WEIGHTS, k=count)
    for i, n in enumerate(range(low, high)):
        yield _open_task(rng, n, queue_picks[i])
        if n % 2 == 0:  # half as many completed tasks, earlier steps of the same cases
            yield _completed_task(rng, n)


def _open_task(rng: random.Random, n: int, queue: str) -> tuple[Any, ...]:
    office = OFFICES[n % len(OFFICES)]
    created = NOW - timedelta(minutes=rng.randrange(129_600))
    due = NOW + timedelta(minutes=rng.randrange(-43_200, 86_400)) if rng.random() < 0.9 else None
    assignee = rng.choice(USERS) if rng.random() < 0.3 else None
    claimed = created + timedelta(minutes=5) if assignee else None
    return (
        f"10000000-0000-4000-8000-{n:012d}", _instance_id(n), "five_tasks", f"BK-{n}", office,
        "plan_support", "Plan the support", queue, assignee, "open", created, due, claimed,
        assignee, None, None,
    )  # fmt: skip


def _completed_task(rng: random.Random, n: int) -> tuple[Any, ...]:
    office = OFFICES[n % len(OFFICES)]
    done = NOW - timedelta(minutes=rng.randrange(129_600))
    created = done - timedelta(minutes=rng.randrange(10, 20_000))
    due = created + timedelta(days=4)
    user = rng.choice(USERS)
    return (
        f"20000000-0000-4000-8000-{n:012d}", _instance_id(n), "five_tasks", f"BK-{n}", office,
        "record_intake", "Record the intake", "intake_worker", user, "completed", created, due,
        created, user, done, user,
    )  # fmt: skip


# -- measuring ----------------------------------------------------------------------------------


def time_query(engine: Engine, query: Query, repeats: int, budget_s: float) -> list[float]:
    samples: list[float] = []
    deadline = time.perf_counter() + budget_s
    with Session(engine) as session:
        for _ in range(3):  # warm-up: plan cache, buffers
            query(session)
            session.rollback()
        while len(samples) < repeats and (len(samples) < 5 or time.perf_counter() < deadline):
            started = time.perf_counter()
            query(session)
            samples.append(time.perf_counter() - started)
            session.rollback()
    return samples


def explain(engine: Engine, query: Query) -> list[dict[str, Any]]:
    """EXPLAIN (ANALYZE, BUFFERS) of every statement the query sends, with its parameters."""
    sent: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, params: Any, *args: Any) -> None:
        sent.append((statement, params))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        with Session(engine) as session:
            query(session)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    plans = []
    with engine.connect() as conn:
        for statement, params in sent:
            rows = conn.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", params)
            plan = "\n".join(str(r[0]) for r in rows)
            plans.append({"statement": statement, "plan": plan, **plan_summary(plan)})
    return plans


def plan_summary(plan: str) -> dict[str, Any]:
    scans = re.findall(
        r"((?:Parallel )?(?:Index Only Scan|Index Scan|Bitmap Index Scan|Seq Scan)"
        r"(?: Backward)?(?: using| on) \w+)",
        plan,
    )
    execution = re.search(r"Execution Time: ([\d.]+) ms", plan)
    buffers = re.search(r"Buffers: (shared [^\n]*)", plan)
    return {
        "scans": sorted(set(scans)),
        "execution_ms": float(execution.group(1)) if execution else None,
        "buffers": buffers.group(1).strip() if buffers else "",
        "uses_index": bool(scans) and not any(s.startswith("Seq Scan") for s in scans),
    }


def measure_size(engine: Engine, size: int) -> dict[str, Any]:
    repeats = 20 if QUICK else 50
    budget = 5.0 if QUICK else 15.0
    found: dict[str, Any] = {}
    for name, query in queries().items():
        samples = time_query(engine, query, repeats, budget)
        found[name] = {"latency_s": summarize(samples), "plans": explain(engine, query)}
    return found


def run() -> Scenario:
    url = fresh_postgres(postgres_url("_inbox"))
    svc = services(url)
    deploy(svc, FIVE_TASKS)
    svc.engine.dispose()
    engine = make_engine(url)
    data: dict[str, Any] = {}
    loaded = 0
    try:
        for size in sizes():
            seconds = load(engine, 1, loaded, size)
            loaded = size
            data[str(size)] = {"load_s": seconds, "queries": measure_size(engine, size)}
            data[str(size)]["table_bytes"] = _table_bytes(engine)
    finally:
        engine.dispose()
    return Scenario(
        name="inbox",
        title="5. Inbox and overdue views at scale (PostgreSQL, bulk-loaded rows)",
        database="PostgreSQL (loopback), shared_buffers as configured, warm cache",
        sample=(
            f"{20 if QUICK else 50} calls per query and size (fewer when a call is slow) "
            "after 3 warm-up calls; open tasks plus half as many completed tasks"
        ),
        header=["open tasks", "query", "n", "p50 ms", "p95 ms", "plan (scans; execution)"],
        rows=_rows(data),
        targets=_targets(data),
        notes=_notes(data),
        data=data,
    )


def _table_bytes(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t: int(conn.scalar(text(f"SELECT pg_total_relation_size('{t}')")) or 0)
            for t in ("human_task", "process_instance")
        }


def _rows(data: dict[str, Any]) -> list[list[Any]]:
    rows = []
    for size, found in data.items():
        for name, result in found["queries"].items():
            stats = result["latency_s"]
            rows.append(
                [
                    f"{int(size):,}",
                    name,
                    int(stats["n"]),
                    ms(stats["median"]),
                    ms(stats["p95"]),
                    _plan_text(result["plans"]),
                ]
            )
    return rows


def _plan_text(plans: list[dict[str, Any]]) -> str:
    scans = sorted({_short(scan) for plan in plans for scan in plan["scans"]})
    executed = " + ".join(f"{plan['execution_ms']:.1f}" for plan in plans)
    return f"{', '.join(scans) or 'no table scan'}; {executed} ms in PostgreSQL"


def _short(scan: str) -> str:
    for long, short in (
        ("Bitmap Index Scan on ", "bitmap "),
        ("Index Only Scan using ", "index-only "),
        ("Index Scan Backward using ", "index "),
        ("Index Scan using ", "index "),
        ("Seq Scan on ", "SEQ SCAN "),
    ):
        if long in scan:
            return scan.replace("Parallel ", "").replace(long, short)
    return scan


def _targets(data: dict[str, Any]) -> list[Target]:
    largest = max(data, key=int)
    targets = []
    for name, result in data[largest]["queries"].items():
        p95 = result["latency_s"]["p95"] * 1000
        label = f"{name}: p95 ≤ {TARGET_MS:.0f} ms at {int(largest):,} open tasks"
        if int(largest) < 1_000_000:
            label += " (QUICK stops below 1M)"
        targets.append(Target(label, f"{p95:.1f} ms", p95 <= TARGET_MS))
    uses_index = all(
        plan["uses_index"] for r in data[largest]["queries"].values() for plan in r["plans"]
    )
    targets.append(
        Target("every statement's plan uses indexes (no Seq Scan)", str(uses_index), uses_index)
    )
    return targets


def _notes(data: dict[str, Any]) -> list[str]:
    notes = []
    for size, found in data.items():
        tables = ", ".join(f"{t} {b / 1e6:.0f} MB" for t, b in found["table_bytes"].items())
        notes.append(f"{int(size):,}: loaded in {found['load_s']:.1f} s; {tables}")
    notes.append("full EXPLAIN (ANALYZE, BUFFERS) text of every statement: latest.json → inbox")
    return notes
