"""Scenario 7, footprint: bytes of database per completed intake-style instance, and the
server's peak RSS with 100k instances stored.

The workflow is workflows/discretionary_benefit.bpmn (the intake workflow is not in the tree
yet): record the request, a script applies the approval threshold, a supervisor approves half
of them (amount above the threshold), a service task queues the client's notice. Instances run
to completion through the commands layer; the database grows by the measured amount. To reach
100k stored instances the completed ones are then cloned in SQL (new ids, same rows), and
`caseway serve` is started on that database and exercised over HTTP.

    .venv/bin/python -m bench footprint
"""

from __future__ import annotations

import math
import sqlite3
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, String, Table, create_engine, select, text

from bench.common import (
    QUICK,
    Scenario,
    Target,
    fresh_postgres,
    fresh_sqlite,
    postgres_url,
    scratch_dir,
)
from bench.seed import DISCRETIONARY_BENEFIT, deploy, principal, services, staff
from bench.serving import Client, Server
from engine.casework import commands
from engine.services import Services
from engine.store.models import Base, HumanTask

WORKER_FOR_TASK = {"record_request": "bench_cw", "approve_request": "bench_sup"}
# How a cloned row's key columns change (g = copy number): ids stay unique, links consistent.
REMAP = "(md5({col} || ':' || g)::uuid)::text"
SUFFIX = "{col} || '-' || g"


def plan() -> dict[str, int]:
    if QUICK:
        return {"postgresql": 50, "sqlite": 50, "stored": 10_000, "http_instances": 5}
    return {"postgresql": 500, "sqlite": 300, "stored": 100_000, "http_instances": 50}


# -- running real instances ---------------------------------------------------------------------


def request_data(n: int) -> dict[str, Any]:
    amount = 400 if n % 2 else 100  # the threshold is 250: every other case needs approval
    return {"client_name": f"Client {n}", "purpose": "dental", "amount": amount}


def run_case(svc: Services, n: int) -> None:
    request = commands.StartRequest("discretionary_benefit", f"F-{n}", {})
    instance_id = commands.start_instance(svc, principal("bench_cw"), request)
    while (task := _open_task(svc, instance_id)) is not None:
        task_id, name = task
        data = request_data(n) if name == "record_request" else {"approved": True}
        commands.complete_task(svc, principal(WORKER_FOR_TASK[name]), task_id, data)


def _open_task(svc: Services, instance_id: str) -> tuple[str, str] | None:
    with svc.sessions() as session:
        row = session.execute(
            select(HumanTask.id, HumanTask.task_name).where(
                HumanTask.instance_id == instance_id, HumanTask.status == "open"
            )
        ).first()
    return (row[0], row[1]) if row else None


def grow(url: str, count: int, size_of: Any) -> dict[str, Any]:
    svc = services(url)
    try:
        deploy(svc, DISCRETIONARY_BENEFIT)
        tokens = staff(svc)
        before = size_of(svc.engine)
        started = time.perf_counter()
        for n in range(count):
            run_case(svc, n)
        seconds = time.perf_counter() - started
        after = size_of(svc.engine)
    finally:
        svc.engine.dispose()
    per_table = {t: after["tables"].get(t, 0) - before["tables"].get(t, 0) for t in after["tables"]}
    return {
        "instances": count,
        "seconds": seconds,
        "bytes_per_instance": (after["total"] - before["total"]) / count,
        "table_bytes_per_instance": {t: b / count for t, b in per_table.items() if b},
        "tokens": tokens,
    }


def postgres_size(engine: Engine) -> dict[str, Any]:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
        tables = {
            t.name: int(conn.scalar(text(f"SELECT pg_total_relation_size('{t.name}')")) or 0)
            for t in Base.metadata.sorted_tables
        }
    return {"total": sum(tables.values()), "tables": tables}


def sqlite_size(engine: Engine) -> dict[str, Any]:
    path = Path(str(engine.url.database))
    engine.dispose()  # close pooled connections so the checkpoint can truncate the WAL
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        try:
            rows = conn.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name").fetchall()
        except sqlite3.OperationalError:  # SQLite built without the dbstat table
            rows = []
    finally:
        conn.close()
    tables = {str(name): int(size) for name, size in rows}
    return {"total": path.stat().st_size, "tables": tables}


# -- cloning to the stored count ----------------------------------------------------------------


def clone(url: str, originals: int, stored: int) -> dict[str, Any]:
    """Copy every case row (instances and every table keyed by instance or business key)."""
    copies = max(0, math.ceil(stored / originals) - 1)
    engine = create_engine(url)
    started = time.perf_counter()
    skipped: list[str] = []
    with engine.begin() as conn:
        for table in Base.metadata.sorted_tables:
            statement = _clone_sql(table, copies)
            if statement is None:
                continue
            try:
                with conn.begin_nested():
                    conn.execute(text(statement))
            except Exception as exc:  # a table the migrations don't have yet, a constraint
                skipped.append(f"{table.name}: {type(exc).__name__}")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    return {"seconds": time.perf_counter() - started, "skipped_tables": skipped}


def _clone_sql(table: Table, copies: int) -> str | None:
    names = {c.name for c in table.columns}
    if table.name != "process_instance" and not names & {"instance_id", "business_key"}:
        return None
    columns, values = [], []
    for column in table.columns:
        name = column.name
        if name == "id" and not isinstance(column.type, String):
            continue  # autoincrement key
        if name == "id" or name == "task_id" or name.endswith("instance_id"):
            values.append(REMAP.format(col=name))
        elif name == "business_key":
            values.append(SUFFIX.format(col=name))
        else:
            values.append(name)
        columns.append(name)
    where = "WHERE instance_id IS NOT NULL" if "instance_id" in names else ""
    return (
        f"INSERT INTO {table.name} ({', '.join(columns)}) SELECT {', '.join(values)} "
        f"FROM {table.name} CROSS JOIN generate_series(1, {copies}) AS g {where}"
    )


def stored_count(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        found = int(conn.scalar(text("SELECT count(*) FROM process_instance")) or 0)
    engine.dispose()
    return found


# -- the server with everything stored ------------------------------------------------------------


def exercise(url: str, tokens: dict[str, str], cases: int) -> dict[str, Any]:
    with Server(url) as server:
        at_start = server.memory_kib()
        client = Client(server.port, tokens)
        try:
            for n in range(cases):
                _http_case(client, n)
            for offset in range(0, 500, 50):
                client.call("GET", f"/api/instances?limit=50&offset={offset}", "bench_sup")
                client.call("GET", f"/api/tasks?limit=50&offset={offset}", "bench_sup")
                client.call("GET", f"/api/tasks?limit=50&offset={offset}", "bench_cw")
            _, report_s = client.call("GET", "/api/reports/service-standards", "bench_sup")
            _, list_s = client.call("GET", "/api/instances?limit=50", "bench_sup")
        finally:
            client.close()
        after = server.memory_kib()
    return {
        "server": server.describe(),
        "rss_at_start_kib": at_start["rss_kib"],
        "peak_rss_kib": after["peak_rss_kib"],
        "rss_after_kib": after["rss_kib"],
        "report_call_s": report_s,
        "instance_list_call_s": list_s,
    }


def _http_case(client: Client, n: int) -> None:
    body = {"process_id": "discretionary_benefit", "business_key": f"H-{n}", "data": {}}
    created, _ = client.call("POST", "/api/instances", "bench_cw", body)
    for _ in range(2):
        page, _ = client.call("GET", f"/api/tasks?instance_id={created['id']}", "bench_sup")
        if not page["items"]:
            return
        task = page["items"][0]
        data = request_data(n) if task["task_name"] == "record_request" else {"approved": True}
        user = WORKER_FOR_TASK[task["task_name"]]
        client.call("POST", f"/api/tasks/{task['id']}/complete", user, {"data": data})


def run() -> Scenario:
    sizes = plan()
    pg_url = fresh_postgres(postgres_url("_footprint"))
    lite_url = fresh_sqlite(scratch_dir() / "footprint.sqlite3")
    pg = grow(pg_url, sizes["postgresql"], postgres_size)
    lite = grow(lite_url, sizes["sqlite"], sqlite_size)
    cloned = clone(pg_url, sizes["postgresql"], sizes["stored"])
    stored = stored_count(pg_url)
    engine = create_engine(pg_url)
    db_bytes = postgres_size(engine)["total"]
    engine.dispose()
    server = exercise(pg_url, pg.pop("tokens"), sizes["http_instances"])
    lite.pop("tokens")
    data = {"postgresql": pg, "sqlite": lite, "stored": stored, "database_bytes": db_bytes}
    data.update({"clone": cloned, "server": server})
    return Scenario(
        name="footprint",
        title="7. Footprint: database bytes per completed instance, server memory",
        database="PostgreSQL (loopback) and SQLite (file, WAL)",
        sample=(
            f"{sizes['postgresql']} (PostgreSQL) and {sizes['sqlite']} (SQLite) completed "
            f"discretionary_benefit instances; server with {stored:,} stored instances"
        ),
        header=["measure", "value"],
        rows=_rows(data),
        targets=[
            Target(
                "report peak RSS after 100k stored instances (no numeric target)",
                f"{server['peak_rss_kib'] / 1024:.0f} MiB with {stored:,} stored",
                None if stored < 100_000 else True,
            )
        ],
        notes=[
            "workflow: workflows/discretionary_benefit.bpmn (no intake workflow in the tree); "
            "half the cases need the supervisor's approval, so 2.5 human tasks per case on "
            "average",
            f"cloning took {cloned['seconds']:.0f} s; tables not cloned: "
            f"{', '.join(cloned['skipped_tables']) or 'none'}",
            f"the server ({server['server']}) ran {sizes['http_instances']} more cases over "
            "HTTP, 10 pages of instances and inboxes, and the service-standards report",
        ],
        data=data,
    )


def _rows(data: dict[str, Any]) -> list[list[Any]]:
    pg, lite, server = data["postgresql"], data["sqlite"], data["server"]
    top = sorted(pg["table_bytes_per_instance"].items(), key=lambda kv: -kv[1])[:5]
    rows: list[list[Any]] = [
        [
            "PostgreSQL bytes per completed instance (tables + indexes)",
            f"{pg['bytes_per_instance']:,.0f}",
        ],
        ["SQLite bytes per completed instance (file)", f"{lite['bytes_per_instance']:,.0f}"],
    ]
    rows += [[f"  PostgreSQL {table}", f"{size:,.0f}"] for table, size in top]
    rows += [
        ["stored instances (PostgreSQL, after cloning)", f"{data['stored']:,}"],
        ["database size", f"{data['database_bytes'] / 2**20:,.0f} MiB"],
        ["server RSS right after start", f"{server['rss_at_start_kib'] / 1024:.0f} MiB"],
        ["server peak RSS after the exercise", f"{server['peak_rss_kib'] / 1024:.0f} MiB"],
        ["GET /api/instances (page 1)", f"{server['instance_list_call_s'] * 1e3:.0f} ms"],
        ["GET /api/reports/service-standards", f"{server['report_call_s'] * 1000:.0f} ms"],
    ]  # fmt: skip
    return rows
