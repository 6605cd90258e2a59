"""Load: simulated staff working their inboxes against a production-like server, for minutes.

`--users` people (default 50: intake workers who start cases, caseworkers and supervisors, in
two offices) each loop over realistic inbox work for `--duration` seconds (default 300), with
think time drawn from a seeded RNG: my tasks, queue pages, the overdue filter, open a task,
claim, complete it with valid data for its form (bench/load_tasks.py), start new cases (intake
workers), the team view, the queue summary and the service-standards report (supervisors).

The server is gunicorn (gthread workers; `caseway serve` when gunicorn is not installed) plus
one `caseway worker` process (the timer scheduler) on loopback, against a fresh PostgreSQL
database that is dropped afterwards. The database holds the shipped workflows/, the staff with
their API tokens and a backlog of cases at various steps, so that queues are not empty at the
start. Each simulated user is a thread of this process with its own keep-alive connection.

A claim answered 409 (someone else was quicker) is expected in a shared queue and is counted
apart; every other non-2xx answer, and every timeout or connection error, is an error. Target:
no errors.

    .venv/bin/python -m bench.load                          # 50 users, 300 s
    .venv/bin/python -m bench.load --users 5 --duration 10  # a short run
    QUICK=1 .venv/bin/python -m bench.load                  # 50 users, 20 s
    .venv/bin/python -m bench load                          # as a scenario of the suite

Writes bench/results/load.json (every number, the environment, the first errors) and
bench/results/load.md (the table in Markdown). Exit status 1 when there were errors.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from bench import load_tasks
from bench.common import (
    BENCH_POSTGRES_URL,
    QUICK,
    RESULTS,
    Scenario,
    Target,
    environment,
    percentile,
    print_scenario,
    scratch_dir,
    write_result,
)
from bench.seed import deploy, services
from bench.serving import HOST, Server, gunicorn_available
from engine.casework import commands
from engine.config import REPO_ROOT
from engine.identity.users import Principal, add_user, issue_token
from engine.services import Services
from engine.store.db import transaction
from engine.store.models import AuditEvent, HumanTask, ProcessInstance

WORKFLOWS = REPO_ROOT / "workflows"
OFFICES = ("sudbury", "ottawa")
INTAKE, CASEWORKER, SUPERVISOR = "intake_worker", "caseworker", "supervisor"
SHORT = {INTAKE: "intake", CASEWORKER: "cw", SUPERVISOR: "sup"}
CLAIM = "task: claim"
# Every operation a simulated user performs, in the order of the report.
OPERATIONS = (
    "inbox: my tasks",
    "inbox: queue page",
    "inbox: overdue",
    "task: open",
    CLAIM,
    "task: complete",
    "case: start",
    "supervisor: team",
    "supervisor: queues",
    "supervisor: service standards",
)
LOG_PROBLEM = re.compile(r'Traceback|\[ERROR\]|\[CRITICAL\]|"level": "(error|critical)"')


@dataclass(frozen=True)
class Options:
    users: int = 50
    duration_s: float = 300.0
    seed: int = 8
    think_scale: float = 1.0  # multiplies every think time
    workers: int = 3  # gunicorn worker processes
    threads: int = 6  # gthread threads per worker
    backlog: int = 60  # cases per office created (and advanced) before the run
    timeout_s: float = 30.0  # a request slower than this is an error
    postgres_url: str = BENCH_POSTGRES_URL  # the server, and the prefix of the database name
    database_suffix: str = ""  # default: _load<pid>


def quick_options() -> Options:
    return Options(duration_s=20.0, backlog=10) if QUICK else Options()


# -- the staff --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    username: str
    office: str
    role: str

    def principal(self) -> Principal:
        return Principal(self.username, self.office, frozenset({self.role}))


def roster(users: int) -> list[Person]:
    """`users` people in two offices: about a quarter intake workers, an eighth supervisors
    (at least one of each where the office has three people), the rest caseworkers."""
    people: list[Person] = []
    for index, office in enumerate(OFFICES):
        size = users // len(OFFICES) + (1 if index < users % len(OFFICES) else 0)
        supervisors = max(1 if size >= 3 else 0, round(size * 0.12))
        intake = max(1 if size >= 1 else 0, round(size * 0.24))
        counts = {INTAKE: intake, CASEWORKER: size - intake - supervisors, SUPERVISOR: supervisors}
        for role, count in counts.items():
            people += [Person(f"{office}_{SHORT[role]}{n:02d}", office, role) for n in range(count)]
    return people


# -- the database -----------------------------------------------------------------------------


@contextmanager
def scratch_database(options: Options) -> Iterator[str]:
    """A new, migrated database `<prefix><suffix>` on the options' server; dropped on exit."""
    from engine.store.migrate import upgrade

    base = make_url(options.postgres_url)
    name = f"{base.database}{options.database_suffix or f'_load{os.getpid()}'}"
    url = base.set(database=name).render_as_string(hide_password=False)
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            upgrade(url)
            yield url
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def prepare(url: str, people: list[Person], options: Options) -> dict[str, str]:
    """Deploy workflows/, create the staff and the backlog; returns username → API token."""
    svc = services(url)
    try:
        deploy(svc, *sorted(WORKFLOWS.glob("*.bpmn")), *sorted(WORKFLOWS.glob("*.dmn")))
        now = svc.clock.now()
        tokens: dict[str, str] = {}
        with transaction(svc.sessions) as session:
            for person in people:
                add_user(
                    session, person.username, office=person.office, roles=[person.role], now=now
                )
            session.flush()
            for person in people:
                tokens[person.username] = issue_token(
                    session, person.username, now=now, ttl=timedelta(days=1)
                )
        make_backlog(svc, people, options.backlog, random.Random(f"{options.seed}-backlog"))
        return tokens
    finally:
        svc.engine.dispose()


def make_backlog(svc: Services, people: list[Person], per_office: int, rng: random.Random) -> None:
    """Start `per_office` intake cases per office and take each 1–6 steps along, in-process."""
    today = date.today()
    for office in OFFICES:
        staff = [p for p in people if p.office == office]
        starters = [p for p in staff if p.role == INTAKE]
        if not starters:
            continue
        for n in range(per_office):
            key = f"BL-{office}-{n:04d}"
            request = commands.StartRequest("intake", key, {"channel": "in_person"})
            commands.start_instance(svc, rng.choice(starters).principal(), request)
            for _ in range(rng.randint(1, 6)):
                if not _advance(svc, key, staff, rng, today):
                    break


def _advance(svc: Services, key: str, staff: list[Person], rng: random.Random, today: date) -> bool:
    """Complete the case's oldest open task as someone who may; False when none can be."""
    with svc.sessions() as session:
        task = session.scalars(
            select(HumanTask)
            .where(
                HumanTask.office == staff[0].office,
                HumanTask.business_key == key,
                HumanTask.status == "open",
            )
            .order_by(HumanTask.created_at, HumanTask.id)
        ).first()
        if task is None or not load_tasks.known(task.task_name):
            return False
        task_id, name, queue, assignee = task.id, task.task_name, task.queue, task.assignee
    by_name = {p.username: p for p in staff}
    workers = [p for p in staff if p.role == queue]
    who = by_name.get(assignee or "") or (rng.choice(workers) if workers else None)
    if who is None:
        return False
    commands.complete_task(svc, who.principal(), task_id, load_tasks.payload(name, rng, today))
    return True


def database_facts(url: str) -> dict[str, Any]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            instances = dict(
                conn.execute(
                    select(ProcessInstance.status, func.count()).group_by(ProcessInstance.status)
                ).all()
            )
            tasks = dict(
                conn.execute(
                    select(HumanTask.status, func.count()).group_by(HumanTask.status)
                ).all()
            )
            fired = conn.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "timer.fire")
            )
            settings = {
                name: str(conn.scalar(text(f"SHOW {name}")))
                for name in (
                    "server_version",
                    "max_connections",
                    "shared_buffers",
                    "synchronous_commit",
                )
            }
    finally:
        engine.dispose()
    return {
        "instances_by_status": instances,
        "tasks_by_status": tasks,
        "timers_fired": fired,
        "postgresql_settings": settings,
    }


# -- recording --------------------------------------------------------------------------------


@dataclass
class OpStats:
    latencies: list[float] = field(default_factory=list)
    ok: int = 0
    conflicts: int = 0
    errors: int = 0

    @property
    def requests(self) -> int:
        return self.ok + self.conflicts + self.errors


class Recorder:
    """Thread-safe tallies: per operation, plus counters and the first error messages."""

    def __init__(self) -> None:
        self.ops: dict[str, OpStats] = defaultdict(OpStats)
        self.counters: Counter[str] = Counter()
        self.first_errors: list[str] = []
        self.elapsed_s = 0.0
        self._lock = threading.Lock()

    def answer(self, op: str, outcome: str, elapsed: float | None, detail: str = "") -> None:
        with self._lock:
            stats = self.ops[op]
            if elapsed is not None:
                stats.latencies.append(elapsed)
            if outcome == "ok":
                stats.ok += 1
            elif outcome == "conflict":
                stats.conflicts += 1
            else:
                stats.errors += 1
                if len(self.first_errors) < 20:
                    self.first_errors.append(f"{op}: {detail}"[:400])

    def count(self, what: str, n: int = 1) -> None:
        with self._lock:
            self.counters[what] += n


class Stopped(Exception):
    """The run is over: the simulated user stops before its next request."""


class Browser:
    """One simulated user's keep-alive connection; every call is timed and classified."""

    def __init__(self, port: int, token: str, timeout: float, recorder: Recorder) -> None:
        self.port, self.timeout, self.recorder = port, timeout, recorder
        self.headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        self.conn = http.client.HTTPConnection(HOST, port, timeout=timeout)

    def close(self) -> None:
        self.conn.close()

    def call(self, op: str, method: str, path: str, body: Any = None) -> tuple[str, Any]:
        """→ ("ok" | "conflict" | "error", decoded JSON body or None)."""
        headers, payload = dict(self.headers), None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        started = time.perf_counter()
        try:
            self.conn.request(method, path, body=payload, headers=headers)
            response = self.conn.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException) as exc:  # timeouts and connection errors
            self.conn.close()  # the next request opens a new connection
            self.recorder.answer(op, "error", None, f"{method} {path}: {type(exc).__name__} {exc}")
            return "error", None
        elapsed = time.perf_counter() - started
        status = response.status
        try:
            decoded = json.loads(raw) if raw else None
        except ValueError:
            self.recorder.answer(op, "error", elapsed, f"{method} {path}: {status}, not JSON")
            return "error", None
        if 200 <= status < 300:
            outcome = "ok"
        elif status == 409 and op == CLAIM:
            outcome = "conflict"
        else:
            outcome = "error"
        self.recorder.answer(op, outcome, elapsed, f"{method} {path}: {status} {decoded}")
        return outcome, decoded


class SimulatedUser:
    """One member of staff looping over their inbox work until the run stops."""

    def __init__(
        self,
        person: Person,
        browser: Browser,
        options: Options,
        recorder: Recorder,
        stop: threading.Event,
    ) -> None:
        self.person, self.browser, self.options = person, browser, options
        self.recorder, self.stop = recorder, stop
        self.rng = random.Random(f"{options.seed}-{person.username}")
        self.started_cases = 0
        self.today = date.today()

    def run(self) -> None:
        try:
            self.pause(0.0, min(10.0, self.options.duration_s / 6))  # ramp up
            while True:
                self.step()
        except Stopped:
            pass
        finally:
            self.browser.close()

    # plumbing

    def pause(self, low: float, high: float) -> None:
        """Think for a while; raise Stopped when the run ends meanwhile."""
        if self.stop.wait(self.rng.uniform(low, high) * self.options.think_scale):
            raise Stopped

    def call(self, op: str, method: str, path: str, body: Any = None) -> tuple[bool, Any]:
        if self.stop.is_set():
            raise Stopped
        outcome, decoded = self.browser.call(op, method, path, body)
        return outcome == "ok", decoded

    # behaviour

    def step(self) -> None:
        role = self.person.role
        if role == INTAKE and self.rng.random() < 0.35:
            self.start_case()
        elif role == SUPERVISOR and self.rng.random() < 0.5:
            self.supervise()
        else:
            self.work_inbox(role)

    def start_case(self) -> None:
        self.pause(1.0, 3.0)  # the applicant at the counter or on the phone
        self.started_cases += 1
        key = f"LD-{self.person.username}-{self.started_cases:04d}"
        channel = self.rng.choice(["in_person", "phone"])
        body = {"process_id": "intake", "business_key": key, "data": {"channel": channel}}
        ok, case = self.call("case: start", "POST", "/api/instances", body)
        if not ok:
            return
        self.recorder.count("cases started")
        opened = [
            t for t in case["tasks"] if t["status"] == "open" and load_tasks.known(t["task_name"])
        ]
        if opened:  # record the application now, with the applicant: no time to read first
            self.work_task(opened[0], read=(0.0, 0.2))
        else:
            self.recorder.count("cases started without a task to record")

    def work_inbox(self, queue: str) -> None:
        ok, mine = self.call("inbox: my tasks", "GET", "/api/tasks?assignee=me&limit=20")
        if not ok:
            self.pause(2.0, 5.0)
            return
        own = [t for t in mine["items"] if load_tasks.known(t["task_name"])]
        if own:  # routed to me (continuity of care) or claimed earlier: soonest due first
            self.pause(0.5, 2.0)
            self.work_task(own[0])
            return
        offset = 0 if self.rng.random() < 0.8 else 20
        ok, page = self.call(
            "inbox: queue page", "GET", f"/api/tasks?queue={queue}&limit=20&offset={offset}"
        )
        if self.rng.random() < 0.2:
            self.call("inbox: overdue", "GET", "/api/tasks?overdue=true&limit=20")
        free = [
            t
            for t in (page["items"] if ok else [])
            if t["assignee"] is None and load_tasks.known(t["task_name"])
        ]
        if not free:
            self.recorder.count("inbox visits with nothing to take")
            self.pause(3.0, 8.0)
            return
        self.pause(0.5, 2.0)  # reading the list
        self.work_task(self.rng.choice(free[:5]))

    def work_task(self, item: dict[str, Any], read: tuple[float, float] = (1.0, 3.0)) -> None:
        task_id, name = item["id"], item["task_name"]
        ok, task = self.call("task: open", "GET", f"/api/tasks/{task_id}")
        if not ok:
            self.pause(1.0, 3.0)
            return
        if task["status"] != "open" or task["assignee"] not in (None, self.person.username):
            self.recorder.count("tasks opened after someone else took them")
            self.pause(0.5, 1.5)
            return
        if task["form"]["key"] != load_tasks.form_key(name):
            self.recorder.count(f"form mismatch: {name} uses {task['form']['key']}")
            self.pause(0.5, 1.5)
            return
        self.pause(*read)  # reading the case
        if task["assignee"] is None:  # take it before filling the form
            claimed, _ = self.call(CLAIM, "POST", f"/api/tasks/{task_id}/claim")
            if not claimed:
                self.pause(0.5, 1.5)  # someone was quicker: back to the inbox
                return
        self.pause(3.0, 10.0)  # filling the form
        data = load_tasks.payload(name, self.rng, self.today)
        done, _ = self.call(
            "task: complete", "POST", f"/api/tasks/{task_id}/complete", {"data": data}
        )
        if done:
            self.recorder.count("tasks completed")
            self.recorder.count(f"completed: {name}")
        self.pause(1.0, 3.0)

    def supervise(self) -> None:
        view = self.rng.random()
        if view < 0.5:
            self.call("supervisor: team", "GET", "/api/team")
        elif view < 0.75:
            self.call("supervisor: queues", "GET", "/api/queues")
        else:
            self.call("supervisor: service standards", "GET", "/api/reports/service-standards")
        self.pause(3.0, 8.0)  # reading it


def drive(port: int, people: list[Person], tokens: dict[str, str], options: Options) -> Recorder:
    """Run every simulated user for the options' duration; returns what they recorded."""
    recorder, stop = Recorder(), threading.Event()
    users = [
        SimulatedUser(
            person,
            Browser(port, tokens[person.username], options.timeout_s, recorder),
            options,
            recorder,
            stop,
        )
        for person in people
    ]
    threads = [threading.Thread(target=u.run, name=u.person.username) for u in users]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    stop.wait(options.duration_s)
    stop.set()
    for thread in threads:
        thread.join()
    recorder.elapsed_s = time.perf_counter() - started
    return recorder


# -- the run ----------------------------------------------------------------------------------


@dataclass
class Outcome:
    options: Options
    people: list[Person]
    recorder: Recorder
    server: str
    server_cpu_s: float
    server_memory_kib: dict[str, int]
    log_problems: list[str]
    database: dict[str, Any]

    @property
    def elapsed_s(self) -> float:
        return self.recorder.elapsed_s

    @property
    def requests(self) -> int:
        return sum(s.requests for s in self.recorder.ops.values())

    @property
    def errors(self) -> int:
        return sum(s.errors for s in self.recorder.ops.values())

    @property
    def conflicts(self) -> int:
        return sum(s.conflicts for s in self.recorder.ops.values())

    def count(self, op: str) -> int:
        return self.recorder.ops[op].requests if op in self.recorder.ops else 0


@contextmanager
def scheduler_worker(url: str) -> Iterator[Path]:
    """`caseway worker` (the timer scheduler) as a subprocess; yields its log file."""
    beside = Path(sys.executable).parent / "caseway"
    command = [str(beside)] if beside.exists() else [sys.executable, "-m", "engine.cli.main"]
    log_path = scratch_dir() / f"worker-{os.getpid()}.log"
    env = {**os.environ, "DATABASE_URL": url, "PYTHONUNBUFFERED": "1"}
    with log_path.open("wb") as log:
        proc = subprocess.Popen([*command, "worker"], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield log_path
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)


def log_problems(*paths: Path) -> list[str]:
    found: list[str] = []
    for path in paths:
        if path.exists():
            lines = path.read_text(errors="replace").splitlines()
            found += [f"{path.name}: {line[:300]}" for line in lines if LOG_PROBLEM.search(line)]
    return found


def execute(options: Options) -> Outcome:
    """Set up, run the simulated users against the server, tear down."""
    people = roster(options.users)
    with scratch_database(options) as url:
        tokens = prepare(url, people, options)
        kind = "gunicorn" if gunicorn_available() else "werkzeug"
        server = Server(
            url,
            kind=kind,
            gunicorn_workers=options.workers,
            gunicorn_threads=options.threads,
            scheduler=False,
        )
        with server, scheduler_worker(url) as worker_log:
            cpu_before = server.cpu_seconds()
            recorder = drive(server.port, people, tokens, options)
            cpu = server.cpu_seconds() - cpu_before
            memory = server.memory_kib()
        facts = database_facts(url)
    if kind == "gunicorn":
        described = (
            f"gunicorn {_version('gunicorn')} gthread, {options.workers} workers × "
            f"{options.threads} threads"
        )
    else:
        described = "caseway serve (werkzeug threaded; gunicorn is not installed)"
    return Outcome(
        options=options,
        people=people,
        recorder=recorder,
        server=f"{described} + 1 `caseway worker` (timer scheduler), loopback",
        server_cpu_s=cpu,
        server_memory_kib=memory,
        log_problems=log_problems(server.log_path, worker_log),
        database=facts,
    )


def _version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "?"


# -- the report -------------------------------------------------------------------------------


def op_summary(stats: OpStats) -> dict[str, Any]:
    ordered = sorted(stats.latencies)
    pick = (lambda f: percentile(ordered, f) * 1000) if ordered else (lambda f: float("nan"))
    return {
        "requests": stats.requests,
        "ok": stats.ok,
        "errors": stats.errors,
        "conflicts": stats.conflicts,
        "p50_ms": pick(0.50),
        "p95_ms": pick(0.95),
        "p99_ms": pick(0.99),
        "max_ms": ordered[-1] * 1000 if ordered else float("nan"),
        "mean_ms": sum(ordered) / len(ordered) * 1000 if ordered else float("nan"),
    }


def _all(recorder: Recorder) -> OpStats:
    total = OpStats()
    for stats in recorder.ops.values():
        total.latencies += stats.latencies
        total.ok += stats.ok
        total.conflicts += stats.conflicts
        total.errors += stats.errors
    return total


def scenario(outcome: Outcome) -> Scenario:
    rec, opts = outcome.recorder, outcome.options
    summaries = {op: op_summary(rec.ops[op]) for op in OPERATIONS if op in rec.ops}
    summaries["all requests"] = op_summary(_all(rec))
    rows = [
        [
            op,
            s["requests"],
            s["errors"],
            s["conflicts"],
            f"{s['p50_ms']:.1f}",
            f"{s['p95_ms']:.1f}",
            f"{s['p99_ms']:.1f}",
            f"{s['max_ms']:.0f}",
        ]
        for op, s in summaries.items()
    ]
    elapsed = outcome.elapsed_s
    requests, errors = outcome.requests, outcome.errors
    completed, started = rec.counters["tasks completed"], rec.counters["cases started"]
    roles = Counter(p.role for p in outcome.people)
    pg = outcome.database["postgresql_settings"]
    error_rate = errors / requests if requests else 0.0
    notes = [
        f"throughput: {requests} requests in {elapsed:.0f} s = "
        f"{requests / elapsed:.1f} requests/s; "
        f"{completed} tasks completed ({completed / elapsed * 60:.0f}/min), {started} cases "
        f"started; error rate {error_rate:.2%}; {outcome.conflicts} claim conflicts (409, "
        "expected in a shared queue)",
        f"staff: {len(outcome.people)} users in {len(OFFICES)} offices: "
        + ", ".join(f"{n} {role}" for role, n in sorted(roles.items()))
        + f"; think time × {opts.think_scale} (seed {opts.seed}); {opts.backlog} backlog cases "
        "per office before the run",
        f"server: {outcome.server}; server CPU {outcome.server_cpu_s:.0f} s "
        f"({outcome.server_cpu_s / elapsed:.2f} cores), RSS "
        f"{outcome.server_memory_kib['rss_kib'] / 1024:.0f} MiB (all workers)",
        f"PostgreSQL {pg['server_version']} on 127.0.0.1 (max_connections "
        f"{pg['max_connections']}, shared_buffers {pg['shared_buffers']}, synchronous_commit "
        f"{pg['synchronous_commit']}); timers fired during setup and run: "
        f"{outcome.database['timers_fired']}",
        f"server and scheduler logs: {len(outcome.log_problems)} error lines",
        "latencies are wall time at the client (a thread of the load process, on the same "
        "cores as server and database), over every answered request including 409s",
    ]
    notes += [f"error: {e}" for e in rec.first_errors[:5]]
    notes += [f"log: {line}" for line in outcome.log_problems[:5]]
    return Scenario(
        name="load",
        title=f"9. Load: {len(outcome.people)} staff working their inboxes (PostgreSQL)",
        database="PostgreSQL (loopback), fresh database, dropped afterwards",
        sample=(
            f"{opts.users} simulated users for {opts.duration_s:.0f} s (closed loop, think time)"
        ),
        header=[
            "operation",
            "requests",
            "errors",
            "409 conflicts",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "max ms",
        ],
        rows=rows,
        targets=[
            Target(
                "error rate 0 (non-2xx other than claim 409s, timeouts, connection errors)",
                f"{errors} errors in {requests} requests",
                errors == 0,
            )
        ],
        notes=notes,
        data={
            "options": asdict(opts),
            "operations": summaries,
            "requests_per_s": requests / elapsed,
            "tasks_completed_per_min": completed / elapsed * 60,
            "error_rate": error_rate,
            "counters": dict(rec.counters),
            "first_errors": rec.first_errors,
            "log_problems": outcome.log_problems[:50],
            "server": outcome.server,
            "server_cpu_s": outcome.server_cpu_s,
            "server_memory_kib": outcome.server_memory_kib,
            "database": outcome.database,
            "staff": {role: n for role, n in roles.items()},
        },
    )


def run(options: Options | None = None) -> Scenario:
    """The scenario of `python -m bench`: 50 users for 300 s (QUICK: 20 s)."""
    return scenario(execute(options or quick_options()))


def main(argv: list[str]) -> int:
    from bench.markdown import render

    base = quick_options()
    parser = argparse.ArgumentParser(
        prog="python -m bench.load", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--users", type=int, default=base.users)
    parser.add_argument("--duration", type=float, default=base.duration_s, help="seconds")
    parser.add_argument("--seed", type=int, default=base.seed)
    parser.add_argument("--think-scale", type=float, default=base.think_scale)
    parser.add_argument("--workers", type=int, default=base.workers, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=base.threads, help="threads per worker")
    parser.add_argument("--backlog", type=int, default=base.backlog, help="cases per office")
    args = parser.parse_args(argv)
    options = Options(
        users=args.users,
        duration_s=args.duration,
        seed=args.seed,
        think_scale=args.think_scale,
        workers=args.workers,
        threads=args.threads,
        backlog=args.backlog,
    )
    problems = load_tasks.check_payloads(samples=20)
    if problems:
        print("form payloads no longer match forms/:", *problems, sep="\n  ")
        return 2
    print(f"Load: {options.users} users for {options.duration_s:.0f} s …", flush=True)
    started, load_before = time.perf_counter(), os.getloadavg()[0]
    result = run(options)
    payload = result.as_dict()
    payload["seconds"] = round(time.perf_counter() - started, 1)
    payload["load_average_1m"] = {"start": load_before, "end": os.getloadavg()[0]}
    print_scenario(result)
    load = payload["load_average_1m"]
    print(f"   ({payload['seconds']} s; load average {load['start']:.1f} → {load['end']:.1f})")
    path = write_result("load", payload)
    report = {"environment": environment(), "seconds": payload["seconds"], "scenarios": [payload]}
    (RESULTS / "load.md").write_text(render(report))
    print(f"\nwrote {path} and load.md")
    return 1 if result.data["operations"]["all requests"]["errors"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
