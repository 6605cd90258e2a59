"""The database restarts under load: the API answers 503 meanwhile and recovers on its own.

The shared PostgreSQL on 127.0.0.1:5432 is never touched: the test makes a private cluster
(initdb as the `postgres` user into a temporary directory, its own port and socket directory),
runs `caseway serve` against it with clients starting cases, completing tasks and reading the
inbox, stops the database with `pg_ctl -m immediate` (a crash, as far as PostgreSQL knows), and
starts it again. Never skipped: without the PostgreSQL binaries it fails.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from engine.app import create_app
from engine.config import Settings
from engine.services import Services
from engine.store.migrate import upgrade
from engine.store.models import HumanTask, ProcessInstance
from tests.api.helpers import FIXTURES
from tests.ops.servers import CasewayServer, bearer, caseway_cli, free_port, seed

pytestmark = [pytest.mark.ops, pytest.mark.slow]

HERE = Path(__file__).resolve().parent
OUTAGE_SECONDS = 3.0
ANSWER_WITHIN = 10.0  # seconds: while the database is down every request is answered by then
RECOVER_WITHIN = 30.0


class PrivatePostgres:
    """A throw-away PostgreSQL cluster owned by the `postgres` user (initdb refuses root)."""

    def __init__(self) -> None:
        self.bindir = _postgres_bindir()
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="caseway-pg-"))
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/caseway"
        if os.geteuid() == 0:
            account = pwd.getpwnam("postgres")
            os.chown(self.dir, account.pw_uid, account.pw_gid)
        self._run("initdb", "-D", str(self.dir), "-A", "trust", "-U", "postgres", "--no-sync")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1"
        log = str(self.dir / "log")
        self._run("pg_ctl", "-D", str(self.dir), "-o", options, "-l", log, "-w", "start")

    def crash(self) -> None:
        """`pg_ctl stop -m immediate`: every backend quits at once; recovery runs at start."""
        self._run("pg_ctl", "-D", str(self.dir), "-m", "immediate", "-w", "stop")

    def remove(self) -> None:
        subprocess.run(
            self._command("pg_ctl", "-D", str(self.dir), "-m", "immediate", "stop"),
            capture_output=True,
            check=False,
        )
        shutil.rmtree(self.dir, ignore_errors=True)

    def _command(self, tool: str, *args: str) -> list[str]:
        command = [str(Path(self.bindir) / tool), *args]
        return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command

    def _run(self, tool: str, *args: str) -> None:
        done = subprocess.run(self._command(tool, *args), capture_output=True, text=True)
        assert done.returncode == 0, f"{tool} {args}: {done.stdout}{done.stderr}"


def _postgres_bindir() -> str:
    found = shutil.which("pg_config")
    if found:
        bindir = subprocess.run([found, "--bindir"], capture_output=True, text=True).stdout
        if (Path(bindir.strip()) / "initdb").exists():
            return bindir.strip()
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    assert candidates, "PostgreSQL server binaries (initdb, pg_ctl) are needed for this test"
    return str(Path(candidates[-1]).parent)


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    cluster = PrivatePostgres()
    try:
        cluster.start()
        admin = create_engine(cluster.url.replace("/caseway", "/postgres"))
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("CREATE DATABASE caseway")
        admin.dispose()
        yield cluster
    finally:
        cluster.remove()


@dataclass
class Load:
    """Client threads that start cases, complete their first task and read the inbox."""

    base: str
    tokens: dict[str, str]
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    started: dict[str, str] = field(default_factory=dict)  # business key → instance id
    completed: set[str] = field(default_factory=set)
    statuses: Counter[int] = field(default_factory=Counter)
    slowest_refusal: float = 0.0
    problems: list[str] = field(default_factory=list)

    def run(self) -> list[threading.Thread]:
        threads = [
            threading.Thread(target=self._guarded, args=(self._casework, user, n), daemon=True)
            for n, user in enumerate(["casey", "cole"])
        ]
        threads.append(
            threading.Thread(target=self._guarded, args=(self._inbox, "sam", 0), daemon=True)
        )
        for thread in threads:
            thread.start()
        return threads

    def successes(self) -> int:
        with self.lock:
            return len(self.started) + len(self.completed)

    def _guarded(self, work: Any, user: str, n: int) -> None:
        try:
            work(requests.Session(), self.tokens[user], n)
        except Exception as exc:  # reported by the test, not lost in a thread
            self.problems.append(f"{user}: {exc!r}")

    def _casework(self, http: requests.Session, token: str, n: int) -> None:
        count = 0
        while not self.stop.is_set():
            key = f"load-{n}-{count}"
            body = {
                "process_id": "deadline_burst",
                "business_key": key,
                "data": {"review_for": "PT1H", "remind_after": "PT1H"},
            }
            case = self._until_done(http, token, "/api/instances", body, f"start-{key}")
            with self.lock:
                self.started[key] = case["id"]
            (task,) = [t for t in case["tasks"] if t["status"] == "open"]
            path = f"/api/tasks/{task['id']}/complete"
            self._until_done(http, token, path, {"data": {}}, f"done-{task['id']}")
            with self.lock:
                self.completed.add(task["id"])
            count += 1

    def _inbox(self, http: requests.Session, token: str, _n: int) -> None:
        while not self.stop.is_set():
            self._answer(http.get, f"{self.base}/api/tasks?limit=20", bearer(token))

    def _until_done(
        self, http: requests.Session, token: str, path: str, body: dict, key: str
    ) -> Any:
        """The same request with the same key until it succeeds (a 503 may hide a commit)."""
        headers = bearer(token, **{"Idempotency-Key": key})
        began = time.monotonic()
        while time.monotonic() - began < RECOVER_WITHIN + 30:
            answer = self._answer(http.post, self.base + path, headers, body)
            if answer is not None and answer.status_code < 300:
                return answer.json()
            time.sleep(0.1)  # the database is down: the server said so; ask again shortly
        raise AssertionError(f"{path} never succeeded")

    def _answer(
        self, send: Any, url: str, headers: dict[str, str], body: Any = None
    ) -> requests.Response | None:
        began = time.monotonic()
        try:
            answer = send(url, json=body, headers=headers, timeout=ANSWER_WITHIN)
        except requests.RequestException as exc:
            self.problems.append(f"no answer from {url}: {exc!r}")
            return None
        took = time.monotonic() - began
        with self.lock:
            self.statuses[answer.status_code] += 1
            if answer.status_code == 503:
                self.slowest_refusal = max(self.slowest_refusal, took)
                if "Retry-After" not in answer.headers:
                    self.problems.append(f"503 without Retry-After from {url}")
                if answer.headers.get("Content-Type") != "application/problem+json":
                    self.problems.append(f"503 that is not problem+json from {url}")
            elif answer.status_code >= 300:
                self.problems.append(f"{answer.status_code} from {url}: {answer.text[:300]}")
        return answer


def test_the_service_rides_out_a_database_restart(tmp_path: Path) -> None:
    with private_postgres() as cluster:
        _outage_and_recovery(cluster, tmp_path)


def _outage_and_recovery(cluster: PrivatePostgres, tmp_path: Path) -> None:
    upgrade(cluster.url)
    tokens = seed(
        cluster.url,
        [HERE / "deadline_burst.bpmn", FIXTURES / "wait_then_act.bpmn"],
        {
            "casey": ("sudbury", ["caseworker"]),
            "cole": ("sudbury", ["caseworker"]),
            "sam": ("sudbury", ["supervisor"]),
        },
    )
    server = CasewayServer(cluster.url, tmp_path / "serve.log")
    load = Load(server.base, tokens)
    server.start()
    try:
        server.wait_ready()
        threads = load.run()
        waiting = [_start_waiting_case(server, tokens["casey"], f"TIMER-{n}") for n in range(3)]
        _poll(lambda: load.successes() >= 20, 30, "no load before the outage")
        before = dict(load.started), set(load.completed)

        cluster.crash()
        down_at = time.monotonic()
        refused = _while_down(server, tokens["sam"], down_at)
        cluster.start()
        up_at = time.monotonic()

        _poll(lambda: _tasks_answer(server, tokens["sam"]) == 200, RECOVER_WITHIN, "no recovery")
        recovered = time.monotonic() - up_at
        after_recovery = load.successes()
        _poll(lambda: load.successes() >= after_recovery + 10, 30, "no load after recovery")
        waiting.append(_start_waiting_case(server, tokens["casey"], "TIMER-after"))
        _poll(lambda: _acts(cluster.url, waiting) == len(waiting), 30, "timers did not fire")
        assert requests.get(f"{server.base}/readyz", timeout=ANSWER_WITHIN).status_code == 200
        load.stop.set()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        load.stop.set()
        server.stop()

    assert load.problems == [], load.problems
    assert set(load.statuses) <= {200, 201, 503}, load.statuses
    _assert_nothing_lost(cluster.url, *before)
    _assert_nothing_lost(cluster.url, load.started, load.completed)
    checked = caseway_cli(cluster.url, "check")
    assert checked.returncode == 0 and "all agree" in checked.stdout, checked.stdout
    print(
        f"database down {up_at - down_at:.1f} s: {refused} probes and "
        f"{load.statuses[503]} client requests answered 503 (slowest "
        f"{max(load.slowest_refusal, 0):.2f} s); requests succeeded again "
        f"{recovered:.2f} s after the database accepted connections; "
        f"{len(load.started)} cases started, {len(load.completed)} tasks completed, "
        f"{len(waiting)} timers fired"
    )


def _while_down(server: CasewayServer, token: str, down_at: float) -> int:
    """Probe the API and readiness for OUTAGE_SECONDS: each must answer 503 promptly."""
    probes = 0
    while time.monotonic() - down_at < OUTAGE_SECONDS or probes < 3:
        began = time.monotonic()
        tasks = requests.get(f"{server.base}/api/tasks", headers=bearer(token), timeout=10)
        ready = requests.get(f"{server.base}/readyz", timeout=ANSWER_WITHIN)
        assert time.monotonic() - began < ANSWER_WITHIN * 2
        assert tasks.status_code == 503, tasks.text
        assert tasks.headers["Content-Type"] == "application/problem+json"
        assert int(tasks.headers["Retry-After"]) > 0
        assert tasks.json()["status"] == 503
        assert ready.status_code == 503 and ready.json()["status"] == "not ready"
        assert ready.json()["checks"]["database"].startswith("unreachable")
        probes += 1
        time.sleep(0.05)  # polling a real outage
    return probes


def _start_waiting_case(server: CasewayServer, token: str, key: str) -> str:
    body = {"process_id": "wait_then_act", "business_key": key, "data": {"wait_for": "PT2S"}}
    answer = requests.post(
        f"{server.base}/api/instances", json=body, headers=bearer(token), timeout=ANSWER_WITHIN
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def _tasks_answer(server: CasewayServer, token: str) -> int:
    answer = requests.get(f"{server.base}/api/tasks", headers=bearer(token), timeout=10)
    return answer.status_code


def _acts(url: str, instance_ids: list[str]) -> int:
    """How many of these cases reached their task after the timer (it fired)."""
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            return (
                session.scalar(
                    select(func.count())
                    .select_from(HumanTask)
                    .where(HumanTask.instance_id.in_(instance_ids), HumanTask.task_name == "act")
                )
                or 0
            )
    finally:
        engine.dispose()


def _poll(condition: Any, within: float, message: str) -> None:
    began = time.monotonic()
    while time.monotonic() - began < within:
        if condition():
            return
        time.sleep(0.1)  # polling real processes
    raise AssertionError(f"{message} within {within} s")


def _assert_nothing_lost(url: str, started: dict[str, str], completed: set[str]) -> None:
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            cases = dict(
                session.execute(select(ProcessInstance.business_key, ProcessInstance.id)).all()
            )
            keys = Counter(session.scalars(select(ProcessInstance.business_key)))
            done = set(session.scalars(select(HumanTask.id).where(HumanTask.status == "completed")))
    finally:
        engine.dispose()
    assert all(cases.get(key) == instance_id for key, instance_id in started.items())
    assert all(count == 1 for count in keys.values())  # retried starts made one case each
    assert completed <= done


def test_an_unreachable_database_is_a_503_not_a_500(tmp_path: Path) -> None:
    port = free_port()  # nothing listens there
    svc = Services.build(
        Settings(database_url=f"postgresql+psycopg://postgres@127.0.0.1:{port}/none")
    )
    client = create_app(services=svc).test_client()

    began = time.monotonic()
    answer = client.get("/api/tasks", headers=bearer("cw_anything"))
    took = time.monotonic() - began
    svc.engine.dispose()

    assert answer.status_code == 503
    assert answer.mimetype == "application/problem+json"
    assert answer.headers["Retry-After"] == "5"
    assert answer.json["title"] == "Service unavailable"
    assert took < ANSWER_WITHIN
