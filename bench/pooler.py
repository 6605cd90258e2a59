"""Ops check: Caseway behind PgBouncer in transaction mode (docs/deployment.md).

Needs a running PgBouncer (`pool_mode = transaction`, `ignore_startup_parameters = options`)
in front of the bench PostgreSQL, named by CASEWAY_BENCH_PGBOUNCER_URL, e.g.
postgresql+psycopg://postgres@127.0.0.1:6432/caseway_bench_pooler; skipped without it.
It checks, through the pooler, with CASEWAY_DB_TRANSACTION_POOLER=1:

- the session settings: `lock_timeout` and `idle_in_transaction_session_timeout` set on the
  database (ALTER DATABASE … SET; ALTER ROLE works the same) are in force on every pooled
  session, since startup options are not passed on;
- a command on a case whose row another session holds gives up after `lock_timeout` (409);
- due timers fired by 2 `caseway worker --once` processes through the pooler: FOR UPDATE
  SKIP LOCKED holds within one transaction, so each fires exactly once;
- 4 clients on gunicorn through the pooler: five-task instances run to their end, no error.

    CASEWAY_BENCH_PGBOUNCER_URL=… .venv/bin/python -m bench pooler
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.common import QUICK, Scenario, Target, drop_postgres, fresh_postgres, postgres_url
from bench.seed import FIVE_TASKS, deploy, staff
from bench.serving import Server
from bench.throughput import one_run
from bench.timers import seed as seed_timers
from bench.timers import verify
from engine.config import Settings
from engine.services import Services

POOLER_URL = os.environ.get("CASEWAY_BENCH_PGBOUNCER_URL", "")
LOCK_TIMEOUT_MS = 2000


def _through_pooler(direct_url: str) -> str:
    pooled = make_url(POOLER_URL).set(database=make_url(direct_url).database)
    return pooled.render_as_string(hide_password=False)


def _env(url: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": url, "CASEWAY_DB_TRANSACTION_POOLER": "1"}


def _settings_check(pooled: str) -> dict[str, Any]:
    engine = create_engine(pooled, connect_args={"prepare_threshold": None})
    seen = set()
    with engine.connect() as conn:
        for _ in range(20):  # several transactions: possibly several server sessions
            seen.add(
                (
                    conn.scalar(text("SHOW lock_timeout")),
                    conn.scalar(text("SHOW idle_in_transaction_session_timeout")),
                )
            )
            conn.commit()
    engine.dispose()
    return {"settings_seen": sorted(seen)}


def _lock_timeout_check(direct: str, pooled: str) -> dict[str, Any]:
    """Hold an instance's row directly; a command through the pooler must give up (409)."""
    svc = Services.build(Settings(database_url=pooled, db_transaction_pooler=True))
    holder = create_engine(direct)
    try:
        with holder.connect() as conn:
            instance_id = conn.scalar(text("SELECT id FROM process_instance LIMIT 1"))
            conn.execute(
                text("SELECT id FROM process_instance WHERE id = :id FOR UPDATE"),
                {"id": instance_id},
            )
            started = time.perf_counter()
            try:
                with svc.sessions() as session, session.begin():
                    session.execute(
                        text("SELECT id FROM process_instance WHERE id = :id FOR UPDATE"),
                        {"id": instance_id},
                    )
                outcome = "acquired (lock_timeout not in force)"
            except Exception as exc:  # the expected path: lock_timeout cancelled the wait
                sqlstate = getattr(getattr(exc, "orig", None), "sqlstate", None)
                outcome = f"refused with SQLSTATE {sqlstate}"
            waited = time.perf_counter() - started
            conn.rollback()
    finally:
        holder.dispose()
        svc.engine.dispose()
    return {"outcome": outcome, "waited_s": waited}


def _timers_check(seed_url: str, count: int) -> dict[str, Any]:
    pooled = _through_pooler(seed_url)
    started = time.perf_counter()
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "engine.cli.main", "worker", "--once"],
            env=_env(pooled),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for _ in range(2)
    ]
    codes = [p.wait(timeout=1800) for p in procs]
    elapsed = time.perf_counter() - started
    svc = Services.build(Settings(database_url=seed_url, scheduler_enabled=False))
    try:
        found = verify(svc, count)
    finally:
        svc.engine.dispose()
    return {"exit_codes": codes, "seconds": elapsed, "per_s": count / elapsed, **found}


def _http_check(url: str, tokens: dict[str, str]) -> dict[str, Any]:
    pooled = _through_pooler(url)
    os.environ["CASEWAY_DB_TRANSACTION_POOLER"] = "1"
    try:
        with Server(pooled, kind="gunicorn", gunicorn_workers=2, gunicorn_threads=4) as server:
            tally = one_run(server.port, tokens, 4, 3.0 if QUICK else 10.0, "pooler")
    finally:
        del os.environ["CASEWAY_DB_TRANSACTION_POOLER"]
    return {
        "instances": tally.instances,
        "per_s": tally.instances / tally.elapsed,
        "errors": len(tally.errors),
        "first_errors": tally.errors[:3],
    }


def run() -> Scenario:
    if not POOLER_URL:
        return Scenario(
            name="pooler",
            title="PgBouncer (transaction mode) check",
            database="none: CASEWAY_BENCH_PGBOUNCER_URL is not set",
            sample="skipped",
            header=["check", "result"],
            rows=[],
            targets=[Target("works behind PgBouncer", "not run", None)],
        )
    count = 1_000 if QUICK else 5_000
    url = seed_timers(count, "_pooler")
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    name = make_url(url).database
    with admin.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{name}" SET lock_timeout = {LOCK_TIMEOUT_MS}'))
        conn.execute(
            text(f'ALTER DATABASE "{name}" SET idle_in_transaction_session_timeout = 60000')
        )
    admin.dispose()
    http_url = fresh_postgres(postgres_url("_pooler_http"))
    try:
        pooled = _through_pooler(url)
        settings = _settings_check(pooled)
        lock = _lock_timeout_check(url, pooled)
        timers = _timers_check(url, count)
        svc = Services.build(Settings(database_url=http_url, scheduler_enabled=False))
        try:
            deploy(svc, FIVE_TASKS)
            tokens = staff(svc)
        finally:
            svc.engine.dispose()
        http = _http_check(http_url, tokens)
    finally:
        drop_postgres(url)
        drop_postgres(http_url)
    settings_ok = settings["settings_seen"] == [(f"{LOCK_TIMEOUT_MS // 1000}s", "1min")]
    lock_ok = lock["outcome"].endswith("55P03")
    timers_ok = bool(timers["exactly_once"]) and timers["exit_codes"] == [0, 0]
    http_ok = http["errors"] == 0 and http["instances"] > 0
    rows = [
        ["session settings on every pooled session", str(settings["settings_seen"])],
        ["lock wait through the pooler", f"{lock['outcome']} after {lock['waited_s']:.1f} s"],
        [
            f"{count:,} timers, 2 workers through the pooler",
            f"exactly once: {timers['exactly_once']}; {timers['per_s']:.0f}/s",
        ],
        [
            "4 clients, gunicorn through the pooler",
            f"{http['instances']} instances, {http['per_s']:.1f}/s, {http['errors']} errors",
        ],
    ]
    return Scenario(
        name="pooler",
        title="PgBouncer (transaction mode) check",
        database=f"PostgreSQL through PgBouncer ({make_url(POOLER_URL).port})",
        sample=f"{count:,} timers; one HTTP run",
        header=["check", "result"],
        rows=rows,
        targets=[
            Target("timeouts set on the database hold on pooled sessions", rows[0][1], settings_ok),
            Target("lock_timeout ends a lock wait (55P03)", rows[1][1], lock_ok),
            Target("SKIP LOCKED claims fire each timer exactly once", rows[2][1], timers_ok),
            Target("HTTP through the pooler without errors", rows[3][1], http_ok),
        ],
        data={"settings": settings, "lock": lock, "timers": timers, "http": http},
    )
