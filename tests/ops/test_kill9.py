"""kill -9 the server in a burst of completions and timer firings (PostgreSQL; never skipped).

Client threads start cases and complete their tasks, each request with an Idempotency-Key,
while deadlines a few seconds out fire. The server is killed mid-burst and started again; every
client then sends again, with the same key, each request whose answer it never saw. Afterwards
every completion a client asked for is applied exactly once, and every case's task and timer
rows agree with its stored state (`caseway check`).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from engine.store.models import AuditEvent, HumanTask, IdempotencyKey, ProcessInstance
from tests.conftest import POSTGRES_URL
from tests.ops.servers import CasewayServer, bearer, caseway_cli, scratch_database, seed

pytestmark = [pytest.mark.ops, pytest.mark.slow]

HERE = Path(__file__).resolve().parent
CLIENTS = {"casey": 4, "cole": 4}  # user → client threads
CASES_PER_CLIENT = 8
KILLS = 2  # each after another KILL_AFTER_COMPLETIONS answered completions,
KILL_AFTER_COMPLETIONS = 40
KILL_AFTER_TIMER_FIRINGS = 4  # and once this many timers fired
MAX_SENDS = 30  # per request: a client gives up (and the test fails) after this many tries


@dataclass
class Intent:
    """One state-changing request a client means to make, with its key."""

    path: str
    body: dict[str, Any]
    key: str
    unseen: int = 0  # answers lost (connection dropped) before one arrived
    status: int | None = None
    replayed: bool = False
    answer: Any = None


@dataclass
class Burst:
    """What the clients share: the server's state and everything they asked for."""

    base: str
    ready: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    intents: list[Intent] = field(default_factory=list)
    completions_seen: int = 0
    errors: list[str] = field(default_factory=list)


class Client(threading.Thread):
    def __init__(self, burst: Burst, name: str, username: str, token: str) -> None:
        super().__init__(name=name, daemon=True)
        self.burst, self.username, self.token = burst, username, token
        self.http = requests.Session()

    def run(self) -> None:
        try:
            cases = [self._start(n) for n in range(CASES_PER_CLIENT)]
            for case_id in cases:
                self._work(case_id)
        except Exception as exc:  # reported by the test, not lost in a thread
            self.burst.errors.append(f"{self.name}: {exc!r}")

    def _start(self, n: int) -> str:
        # Every third case's review escalates 1 s after it starts, racing its completion.
        body = {
            "process_id": "deadline_burst",
            "business_key": f"{self.name}-{n}",
            "data": {"review_for": "PT1S" if n % 3 == 0 else "PT1H", "remind_after": "PT1S"},
        }
        intent = self._send(Intent("/api/instances", body, key=f"start-{self.name}-{n}"))
        assert intent.status == 201, intent.answer
        return str(intent.answer["id"])

    def _work(self, case_id: str) -> None:
        """Complete whatever the case waits for until it is finished."""
        for _ in range(10):
            case = self._get(f"/api/instances/{case_id}")
            waiting = [t for t in case["tasks"] if t["status"] == "open"]
            if case["status"] == "completed" and not waiting:
                return
            for task in waiting:
                path = f"/api/tasks/{task['id']}/complete"
                intent = self._send(Intent(path, {"data": {}}, key=f"done-{task['id']}"))
                assert intent.status in (200, 409), (intent.status, intent.answer)
                if intent.status == 200:
                    self._completion_seen()
        raise AssertionError(f"case {case_id} did not finish")

    def _completion_seen(self) -> None:
        with self.burst.lock:
            self.burst.completions_seen += 1

    def _send(self, intent: Intent) -> Intent:
        """POST until an answer arrives; after a lost answer, the same request with the same key
        once the server is back."""
        with self.burst.lock:
            self.burst.intents.append(intent)
        headers = bearer(self.token, **{"Idempotency-Key": intent.key})
        for _ in range(MAX_SENDS):
            try:
                answer = self.http.post(
                    self.burst.base + intent.path, json=intent.body, headers=headers, timeout=30
                )
            except requests.RequestException:
                intent.unseen += 1
                self._wait_for_server()
                continue
            intent.status = answer.status_code
            intent.replayed = answer.headers.get("Idempotent-Replayed") == "true"
            intent.answer = answer.json()
            return intent
        raise AssertionError(f"no answer to {intent.path} after {MAX_SENDS} tries")

    def _get(self, path: str) -> Any:
        for _ in range(MAX_SENDS):
            try:
                answer = self.http.get(
                    self.burst.base + path, headers=bearer(self.token), timeout=30
                )
            except requests.RequestException:
                self._wait_for_server()
                continue
            assert answer.status_code == 200, answer.text
            return answer.json()
        raise AssertionError(f"no answer to GET {path}")

    def _wait_for_server(self) -> None:
        self.http.close()  # its pooled connections went with the old process
        self.http = requests.Session()
        assert self.burst.ready.wait(timeout=60), "the server did not come back"


def test_kill_9_mid_burst_loses_and_repeats_nothing(tmp_path: Path) -> None:
    with scratch_database(POSTGRES_URL, "caseway_kill9") as url:
        tokens = seed(
            url,
            [HERE / "deadline_burst.bpmn"],
            {user: ("sudbury", ["caseworker"]) for user in CLIENTS},
        )
        server = CasewayServer(url, tmp_path / "serve.log")
        try:
            numbers = _burst_with_kills(server, tokens)
        finally:
            server.stop()
        fired = _assert_everything_applied_once(url, numbers["intents"], numbers["killed"])
        checked = caseway_cli(url, "check")
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert "all agree" in checked.stdout
        print(f"{numbers['summary']}; timers fired: {fired}")


def _burst_with_kills(server: CasewayServer, tokens: dict[str, str]) -> dict[str, Any]:
    server.start()
    server.wait_ready()
    burst = Burst(server.base)
    burst.ready.set()
    clients = [
        Client(burst, f"{user}{n}", user, tokens[user])
        for user, count in CLIENTS.items()
        for n in range(count)
    ]
    began = time.monotonic()
    for client in clients:
        client.start()
    kills, restarts = [], []
    for round_ in range(1, KILLS + 1):
        _wait_for_the_burst(burst, server, round_ * KILL_AFTER_COMPLETIONS)
        burst.ready.clear()
        server.kill()
        kills.append((datetime.now(UTC), time.monotonic() - began, burst.completions_seen))
        server.start()
        restarts.append(server.wait_ready())
        burst.ready.set()
    for client in clients:
        client.join(timeout=120)
    assert not any(c.is_alive() for c in clients), "a client is stuck"
    assert burst.errors == [], burst.errors
    retried = [i for i in burst.intents if i.unseen]
    completions = [i for i in burst.intents if i.path.endswith("/complete")]
    summary = (
        "kill -9 at "
        + ", ".join(f"{at:.1f} s ({seen} completions answered)" for _, at, seen in kills)
        + f"; ready again in {', '.join(f'{r:.1f} s' for r in restarts)}; "
        f"{len(burst.intents) - len(completions)} starts and {len(completions)} completions "
        f"asked for ({sum(i.status == 200 for i in completions)} applied, "
        f"{sum(i.status == 409 for i in completions)} refused as escalated); "
        f"{len(retried)} requests sent again after a kill "
        f"({sum(i.replayed for i in retried)} had been applied before it: replayed)"
    )
    assert retried, "no kill caught a request in flight; " + summary
    return {"intents": burst.intents, "summary": summary, "killed": kills[0][0]}


def _wait_for_the_burst(burst: Burst, server: CasewayServer, completions: int) -> None:
    """Until enough completions were answered and timers fired, with clients still busy."""
    engine = create_engine(server.database_url)
    began = time.monotonic()
    try:
        while time.monotonic() - began < 60:
            with engine.connect() as conn:
                fired = conn.scalar(
                    select(func.count())
                    .select_from(AuditEvent)
                    .where(AuditEvent.action == "timer.fire")
                )
            if burst.completions_seen >= completions and fired >= KILL_AFTER_TIMER_FIRINGS:
                return
            time.sleep(0.05)  # polling real processes
    finally:
        engine.dispose()
    raise AssertionError(f"no burst: {burst.errors}\n{server.log_tail()}")


def _assert_everything_applied_once(url: str, intents: list[Intent], killed: datetime) -> str:
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            completes = Counter(
                session.scalars(
                    select(AuditEvent.task_id).where(AuditEvent.action == "task.complete")
                )
            )
            fired = session.execute(
                select(AuditEvent.task_id, AuditEvent.at).where(AuditEvent.action == "timer.fire")
            ).all()
            tasks = {t.id: t for t in session.scalars(select(HumanTask))}
            per_key = Counter(session.scalars(select(ProcessInstance.business_key)))
            statuses = Counter(session.scalars(select(ProcessInstance.status)))
            unanswered = session.scalar(
                select(func.count())
                .select_from(IdempotencyKey)
                .where(IdempotencyKey.status_code.is_(None))
            )
    finally:
        engine.dispose()
    starts = [i for i in intents if i.path == "/api/instances"]
    assert all(count == 1 for count in per_key.values()) and len(per_key) == len(starts)
    assert statuses == {"completed": len(starts)}
    for intent in intents:
        if not intent.path.endswith("/complete"):
            continue
        task_id = intent.path.split("/")[3]
        if intent.status == 200:
            assert completes[task_id] == 1, intent
            assert tasks[task_id].status == "completed", intent
            assert intent.answer["status"] == "completed", intent
        else:
            assert completes[task_id] == 0 and tasks[task_id].closed_reason == "escalated"
    completed_rows = {t for t, row in tasks.items() if row.status == "completed"}
    assert completed_rows == set(completes)  # none completed without its one audit entry
    assert all(count == 1 for count in completes.values())
    assert all(count == 1 for count in Counter(t for t, _ in fired).values())  # each once
    assert unanswered == 0  # every answer lost in the crash was rendered again and kept
    return f"{len(fired)} ({sum(at < killed for _, at in fired)} before the kill)"
