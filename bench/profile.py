"""Where the server's time goes: py-spy samples `caseway serve` while one client runs
five-task instances, then prints inclusive shares per request route and per engine layer.

    .venv/bin/python -m bench.profile                 # PostgreSQL, 15 s
    .venv/bin/python -m bench.profile sqlite 20       # SQLite, 20 s
    .venv/bin/python -m bench profile                 # both, as a scenario of the full run

Needs py-spy (the `bench` extra) and permission to ptrace the server (root, or
kernel.yama.ptrace_scope=0). Writes bench/results/profile-<db>.txt (collapsed stacks) and
profile-<db>.json (the summary).
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench.common import (
    RESULTS,
    Scenario,
    fresh_postgres,
    fresh_sqlite,
    postgres_url,
    scratch_dir,
)
from bench.driver import new_samples, run_instance
from bench.seed import prepare, services
from bench.serving import Client, Server

# Frames worth naming in the summary: a (label, substring of the collapsed frame) pair each.
# Percentages are inclusive: a sample counts for every label whose frame is on its stack.
LAYERS: list[tuple[str, str]] = [
    ("route POST /api/tasks/{id}/complete", "Complete.post (engine/api/tasks.py"),
    ("route POST /api/tasks/{id}/claim", "Claim.post (engine/api/tasks.py"),
    ("route GET /api/tasks", "Tasks.get (engine/api/tasks.py"),
    ("route POST /api/instances", "Instances.post (engine/api/instances.py"),
    ("auth: bearer token → principal (every route)", "_authenticated (engine/api/auth.py"),
    ("commands.complete_task", "complete_task (engine/casework/commands.py"),
    ("  fire_due_timers (its own transaction)", "fire_due_timers (engine/casework/commands.py"),
    ("  Runtime.complete_task (Spiff + serialize)", "complete_task (engine/runtime/engine.py"),
    ("  apply_outcome (state + index rows)", "apply_outcome (engine/casework/sync.py"),
    ("  closure days (read only for business time)", "(engine/deadlines/closures.py"),
    ("  form validation", "validate_submission (engine/definitions/forms.py"),
    ("response: _task_view re-read (claim, complete)", "_task_view (engine/api/tasks.py"),
    ("SQLAlchemy ORM flush", "_flush (sqlalchemy/orm/session.py"),
    ("SQLAlchemy commit", "commit (sqlalchemy/orm/session.py"),
    ("SQL compile / cache key", "_compile_w_cache (sqlalchemy/sql/elements.py"),
    ("DB statement execute (all)", "do_execute (sqlalchemy/engine/default.py"),
    ("waiting for the database (psycopg wait)", "Connection.wait (psycopg/connection.py"),
    ("pool checkout pre-ping (SELECT 1)", "_do_ping_w_event (sqlalchemy/engine/default.py"),
    ("marshmallow (request/response schemas)", "marshmallow/"),
    ("werkzeug access log", "log_request (werkzeug/serving.py"),
]


def record(db: str, seconds: float) -> tuple[Path, dict[str, Any]]:
    url = _database(db)
    tokens = prepare(url)
    raw = RESULTS / f"profile-{db}.txt"
    with Server(url, scheduler=False) as server:
        client = Client(server.port, tokens)
        for n in range(5):
            run_instance(client, f"W-{n}", new_samples())
        spy = _start_py_spy(server.pid, raw)
        deadline = time.perf_counter() + seconds
        count = 0
        while time.perf_counter() < deadline:
            run_instance(client, f"P-{count}", new_samples())
            count += 1
        spy.send_signal(signal.SIGINT)
        spy.wait(timeout=60)
        client.close()
    summary = summarize_stacks(raw)
    summary.update({"database": db, "seconds": seconds, "instances": count})
    return raw, summary


def _database(db: str) -> str:
    if db == "sqlite":
        return fresh_sqlite(scratch_dir() / "profile.sqlite3")
    return fresh_postgres(postgres_url("_profile"))


def _start_py_spy(pid: int, out: Path) -> subprocess.Popen[bytes]:
    tool = Path(sys.executable).parent / "py-spy"
    exe = str(tool) if tool.exists() else shutil.which("py-spy")
    if exe is None:
        raise RuntimeError("py-spy is not installed: pip install -e '.[bench]'")
    cmd = [exe, "record", "--pid", str(pid), "--rate", "250", "--format", "raw", "-o", str(out)]
    spy = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)  # let it attach
    return spy


def summarize_stacks(raw: Path) -> dict[str, Any]:
    """Inclusive share of request-handling samples per layer, and the top self frames."""
    total = 0
    inclusive: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or "wsgi_app (flask/app.py" not in stack:
            continue  # only threads serving a request
        count = int(count_text)
        total += count
        for label, needle in LAYERS:
            if needle in stack:
                inclusive[label] += count
        leaves[stack.rsplit(";", 1)[-1]] += count
    share = {label: round(100 * inclusive[label] / total, 1) for label, _ in LAYERS if total}
    top = [(frame, round(100 * n / total, 1)) for frame, n in leaves.most_common(15)]
    return {"request_samples": total, "inclusive_percent": share, "top_self_percent": top}


class CountingClient:
    """The driver's client interface over Flask's test client, counting per request type the
    SQL statements, pool checkouts (each pays a pre-ping round trip on PostgreSQL) and commits."""

    def __init__(self, url: str, tokens: dict[str, str]) -> None:
        from sqlalchemy import event

        from engine.app import create_app

        self.svc = services(url)
        self.app = create_app(services=self.svc)
        self.http = self.app.test_client()
        self.tokens = tokens
        self.counts: dict[str, Counter[str]] = {}
        self._now: Counter[str] = Counter()
        event.listen(self.svc.engine, "before_cursor_execute", self._on_statement)
        event.listen(self.svc.engine, "commit", self._on_commit)
        event.listen(self.svc.engine.pool, "checkout", self._on_checkout)

    def _on_statement(self, *args: Any) -> None:
        self._now["statements"] += 1

    def _on_commit(self, *args: Any) -> None:
        self._now["commits"] += 1

    def _on_checkout(self, *args: Any) -> None:
        self._now["checkouts"] += 1

    def call(self, method: str, path: str, user: str, body: Any = None) -> tuple[Any, float]:
        self._now = Counter()
        headers = {"Authorization": f"Bearer {self.tokens[user]}"}
        started = time.perf_counter()
        response = self.http.open(path, method=method, json=body, headers=headers)
        elapsed = time.perf_counter() - started
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.get_json()}")
        key = f"{method} " + re.sub(r"/[0-9a-f-]{36}", "/{id}", path.split("?")[0])
        self.counts.setdefault(key, Counter()).update(self._now | Counter(requests=1))
        return response.get_json(), elapsed

    def close(self) -> None:
        self.svc.engine.dispose()


def count_statements(db: str, instances: int = 5) -> dict[str, dict[str, float]]:
    url = _database(db)
    client = CountingClient(url, prepare(url))
    try:
        for n in range(instances):
            run_instance(client, f"Q-{n}", new_samples())  # type: ignore[arg-type]
    finally:
        client.close()
    return {
        key: {k: c[k] / c["requests"] for k in ("statements", "checkouts", "commits")}
        for key, c in sorted(client.counts.items())
    }


def print_counts(counts: dict[str, dict[str, float]]) -> None:
    print("\nper request (in-process test client): statements / pool checkouts / commits")
    for key, c in counts.items():
        print(f"  {key:40} {c['statements']:5.1f} {c['checkouts']:5.1f} {c['commits']:5.1f}")


def print_summary(summary: dict[str, Any]) -> None:
    print(
        f"\nServer profile ({summary['database']}, {summary['instances']} instances in "
        f"{summary['seconds']:.0f} s, {summary['request_samples']} request samples)"
    )
    for label, percent in summary["inclusive_percent"].items():
        print(f"  {percent:5.1f}%  {label}")
    print("  top self frames:")
    for frame, percent in summary["top_self_percent"]:
        print(f"  {percent:5.1f}%  {frame}")


def profile_database(db: str, seconds: float) -> dict[str, Any]:
    counts = count_statements(db)
    _, summary = record(db, seconds)
    summary["per_request"] = counts
    return summary


def run() -> Scenario:
    """The profile as a scenario of the full run: PostgreSQL and SQLite, 15 s each."""
    seconds = 15.0
    data = {db: profile_database(db, seconds) for db in ("postgresql", "sqlite")}
    rows: list[list[Any]] = []
    for db, summary in data.items():
        for key, c in summary["per_request"].items():
            counts = f"{c['statements']:.0f} / {c['checkouts']:.0f} / {c['commits']:.0f}"
            rows.append([db, f"{key}: SQL statements / pool checkouts / commits", counts])
        for label, percent in summary["inclusive_percent"].items():
            rows.append([db, f"% of request time in {label.strip()}", f"{percent:.1f}"])
    return Scenario(
        name="profile",
        title="8. Profile: where `caseway serve` spends a five-task instance's requests",
        database="PostgreSQL (loopback) and SQLite (file, WAL)",
        sample=(
            f"py-spy at 250 Hz for {seconds:.0f} s per database while one client runs "
            "instances back to back; statement counts from 5 instances via Flask's test client"
        ),
        header=["database", "what", "value"],
        rows=rows,
        notes=[
            "percentages are inclusive shares of the samples of request-handling threads; "
            "collapsed stacks in bench/results/profile-<db>.txt",
            "each pool checkout also sends SQLAlchemy's pre-ping (SELECT 1) on PostgreSQL",
        ],
        data=data,
    )


def main(argv: list[str]) -> int:
    db = argv[0] if argv else "postgresql"
    seconds = float(argv[1]) if len(argv) > 1 else 15.0
    counts = count_statements(db)
    print_counts(counts)
    raw, summary = record(db, seconds)
    summary["per_request"] = counts
    print_summary(summary)
    out = RESULTS / f"profile-{db}.json"
    out.write_text(json.dumps(summary, indent=2))
    print(f"\ncollapsed stacks: {raw}\nsummary: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
