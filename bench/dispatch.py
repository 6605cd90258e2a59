"""Scenario: outbox dispatch throughput — email notices sent per second to a local SMTP server
(aiosmtpd in this process) by 1 and 2 `caseway worker --once` processes on PostgreSQL, and the
proof that each notice reached the server exactly once (distinct Message-IDs).

Notices are queued through a real `notify` step (tests/delivery/notify.bpmn), so each send
renders its template in the client's language and reads the client from the instance.

    .venv/bin/python -m bench dispatch            # 2,000 notices
    QUICK=1 .venv/bin/python -m bench dispatch    # 300 notices
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections import Counter
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bench.common import (
    QUICK,
    Scenario,
    Target,
    drop_postgres,
    fresh_postgres,
    postgres_url,
    scratch_dir,
)
from engine.casework.commands import StartRequest, deploy_files, start_instance
from engine.config import REPO_ROOT, Settings
from engine.definitions.compile import SourceFile
from engine.identity.users import Principal
from engine.services import Services
from engine.store.models import OutboxEntry

NOTIFY = REPO_ROOT / "tests" / "delivery" / "notify.bpmn"
DESIGNER = Principal("bench", "bench", frozenset({"designer"}))
STARTER = Principal("bench", "bench", frozenset({"caseworker"}))
WORKERS = (1, 2)
TARGET_PER_S = 100


class Sink:
    def __init__(self) -> None:
        self.message_ids: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        for line in envelope.content.decode("utf-8", "replace").splitlines():
            if line.lower().startswith("message-id:"):
                self.message_ids.append(line.split(":", 1)[1].strip())
                break
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def notice_count() -> int:
    return 300 if QUICK else 2_000


def seed(count: int) -> str:
    url = fresh_postgres(postgres_url("_dispatch_seed"))
    svc = Services.build(Settings(database_url=url, scheduler_enabled=False))
    try:
        deploy_files(svc, DESIGNER, [SourceFile(NOTIFY.name, NOTIFY.read_bytes())])
        for n in range(count):
            client = {
                "name": f"Client {n}",
                "email": f"client{n}@example.org",
                "preferred_language": "fr" if n % 3 == 0 else "en",
            }
            data = {
                "channel": "email",
                "notice": "discretionary_benefit",
                "notice_data": {"approved": n % 2 == 0, "amount": 100 + n, "purpose": "dental"},
                "client": client,
            }
            start_instance(svc, STARTER, StartRequest("notify_test", f"D-{n}", data))
    finally:
        svc.engine.dispose()
    return url


def run_workers(url: str, workers: int, smtp_port: int) -> float:
    env = {**os.environ, "DATABASE_URL": url, "CASEWAY_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}"}
    log_path = scratch_dir() / f"dispatch-{workers}-workers.log"
    started = time.perf_counter()
    with log_path.open("wb") as log:
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "engine.cli.main", "worker", "--once"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            for _ in range(workers)
        ]
        for proc in procs:
            if proc.wait(timeout=1800) != 0:
                raise RuntimeError(f"a worker exited with {proc.returncode}; see {log_path}")
    return time.perf_counter() - started


def measure(seed_url: str, workers: int, count: int, port: int, sink: Sink) -> dict[str, Any]:
    template = str(make_url(seed_url).database)
    url = fresh_postgres(postgres_url(f"_dispatch_w{workers}"), template=template)
    sink.message_ids.clear()
    svc = Services.build(Settings(database_url=url, scheduler_enabled=False))
    try:
        wall = run_workers(url, workers, port)
        with svc.sessions() as session:
            sent = session.scalar(select(func.count()).where(OutboxEntry.status == "sent")) or 0
            first, last = session.execute(
                select(func.min(OutboxEntry.sent_at), func.max(OutboxEntry.sent_at))
            ).one()
    finally:
        svc.engine.dispose()
        drop_postgres(url)
    received = Counter(sink.message_ids)
    span = (last - first).total_seconds() if first and last else 0.0
    return {
        "workers": workers,
        "notices": count,
        "sent": int(sent),
        "wall_s": wall,
        "steady_per_s": (sent - 1) / span if span > 0 else 0.0,
        "distinct_received": len(received),
        "duplicates": sum(n - 1 for n in received.values()),
    }


def run() -> Scenario:
    count = notice_count()
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    started = time.perf_counter()
    seed_url = seed(count)
    seed_s = time.perf_counter() - started
    try:
        results = [measure(seed_url, w, count, port, sink) for w in WORKERS]
    finally:
        drop_postgres(seed_url)
        controller.stop()
    rows = [
        [
            r["workers"],
            f"{r['notices']:,}",
            f"{r['sent']:,}",
            f"{r['sent'] / r['wall_s']:.0f}",
            f"{r['steady_per_s']:.0f}",
            "yes" if r["distinct_received"] == count and r["duplicates"] == 0 else "NO",
        ]
        for r in results
    ]
    best = max(r["steady_per_s"] for r in results)
    once = all(r["distinct_received"] == count and r["duplicates"] == 0 for r in results)
    for row in rows:
        print("   ", row, flush=True)
    return Scenario(
        name="dispatch",
        title="Outbox dispatch: email notices per second to a local SMTP server (PostgreSQL)",
        database="PostgreSQL (loopback), a fresh copy of the seeded database per worker count",
        sample=f"{count:,} templated notices (one in three French), one run per worker count",
        header=["workers", "notices", "sent", "/s wall (incl. start-up)", "/s steady", "once"],
        rows=rows,
        targets=[
            Target(f"≥ {TARGET_PER_S} messages/s", f"{best:.0f}/s steady", best >= TARGET_PER_S),
            Target("each notice received exactly once", "yes" if once else "NO", once),
        ],
        notes=[
            f"seeding {count:,} notify steps through commands.start_instance took {seed_s:.0f} s",
            "the SMTP server runs in the benchmark process (aiosmtpd), on loopback",
        ],
        data={"results": results, "seed_s": seed_s},
    )
