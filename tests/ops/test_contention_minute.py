"""Twenty clients fight over the same tasks of a real server on PostgreSQL for a whole minute.

Each client loops: read the inbox, pick a task others are likely to pick too, claim it, then
complete it or release it; now and then complete without claiming, or complete a task that
someone else holds. Every answer must be 200 or a conflict (409; 403 for a task someone else
holds), never a 500, and afterwards the books must balance: each case's loop counter equals the
completions recorded for it, each completion is audited exactly once, and `caseway check`
finds every case's rows in agreement with its stored state.

The run lasts CASEWAY_CONTENTION_SECONDS (default 60, as issue #8 asks); it is a real-time
load, not a sleep: the clients are busy the whole time.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from engine.config import Settings
from engine.services import Services
from engine.store.models import AuditEvent, HumanTask
from tests.conftest import POSTGRES_URL
from tests.ops.servers import CasewayServer, bearer, caseway_cli, scratch_database, seed

pytestmark = [pytest.mark.ops, pytest.mark.slow]

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
CLIENTS = 20
CASES = 16
SECONDS = float(os.environ.get("CASEWAY_CONTENTION_SECONDS", "60"))
MIN_COMPLETIONS = 20  # one per client


def test_twenty_clients_for_a_minute_lose_no_update(tmp_path: Path) -> None:
    users = {f"worker{n:02d}": ("sudbury", ["caseworker"]) for n in range(CLIENTS)}
    users |= {"dana": ("sudbury", ["designer"]), "sam": ("sudbury", ["supervisor"])}
    with scratch_database(POSTGRES_URL, "caseway_contention") as url:
        tokens = seed(url, [FIXTURES / "loop_review.bpmn"], users)
        server = CasewayServer(url, tmp_path / "serve.log")
        server.start()
        try:
            server.wait_ready()
            cases = [_start(server, tokens["sam"], n) for n in range(CASES)]
            statuses, actions = _contend(server, [tokens[f"worker{n:02d}"] for n in range(CLIENTS)])
            counters = {
                case: requests.get(
                    f"{server.base}/api/instances/{case}", headers=bearer(tokens["sam"]), timeout=30
                ).json()["data"]["count"]
                for case in cases
            }
        finally:
            server.stop()
        assert "Traceback" not in server.log_path.read_text(errors="replace"), server.log_tail()
        _assert_books_balance(url, cases, counters, statuses, actions)


def _start(server: CasewayServer, token: str, n: int) -> str:
    answer = requests.post(
        f"{server.base}/api/instances",
        json={
            "process_id": "loop_review",
            "business_key": f"CASE-{n}",
            "data": {"count": 0, "limit": 1_000_000},
        },
        headers=bearer(token),
        timeout=30,
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def _contend(server: CasewayServer, tokens: list[str]) -> tuple[Counter[int], Counter[str]]:
    statuses: Counter[int] = Counter()
    actions: Counter[str] = Counter()
    lock = threading.Lock()
    barrier = threading.Barrier(len(tokens))
    failures: list[str] = []

    def client(token: str, seed_value: int) -> None:
        rng = random.Random(seed_value)
        http = requests.Session()
        http.headers.update(bearer(token))
        barrier.wait()
        deadline = time.monotonic() + SECONDS
        while time.monotonic() < deadline:
            inbox = http.get(f"{server.base}/api/tasks?limit=10", timeout=30)
            seen = [("inbox", inbox.status_code)]
            items = inbox.json()["items"] if inbox.status_code == 200 else []
            if items:
                free = [item for item in items if item["assignee"] is None]
                pool = free[:3] if free and rng.random() < 0.8 else items[:3]
                task = f"{server.base}/api/tasks/{rng.choice(pool)['id']}"
                roll = rng.random()
                if roll < 0.15:  # complete without claiming (claims on the way)
                    done = http.post(f"{task}/complete", json={"data": {}}, timeout=30)
                    seen.append(("complete", done.status_code))
                else:
                    claim = http.post(f"{task}/claim", timeout=30)
                    seen.append(("claim", claim.status_code))
                    if claim.status_code == 200 and roll < 0.3:
                        seen.append(
                            ("unclaim", http.post(f"{task}/unclaim", timeout=30).status_code)
                        )
                    elif claim.status_code == 200:
                        done = http.post(f"{task}/complete", json={"data": {}}, timeout=30)
                        seen.append(("complete", done.status_code))
            with lock:
                for action, status in seen:
                    statuses[status] += 1
                    if status == 200:
                        actions[action] += 1
                    elif status not in (403, 409):
                        failures.append(f"{action}: {status}")

    threads = [threading.Thread(target=client, args=(t, n)) for n, t in enumerate(tokens)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures[:10]
    print(f"answers by status {dict(statuses)}; successful actions {dict(actions)}")
    return statuses, actions


def _assert_books_balance(
    url: str,
    cases: list[str],
    counters: dict[str, int],
    statuses: Counter[int],
    actions: Counter[str],
) -> None:
    assert statuses[409] > 0, statuses  # the clients really did collide
    # Enough work to mean something, however busy the machine (a count, not a speed).
    assert actions["complete"] >= MIN_COMPLETIONS and actions["unclaim"] > 0, actions
    svc = Services.build(Settings(database_url=url, scheduler_enabled=False))
    try:
        with svc.sessions() as session:
            completed = dict(
                session.execute(
                    select(HumanTask.instance_id, func.count())
                    .where(HumanTask.status == "completed")
                    .group_by(HumanTask.instance_id)
                ).all()
            )
            audited = session.execute(
                select(AuditEvent.task_id, func.count())
                .where(AuditEvent.action == "task.complete")
                .group_by(AuditEvent.task_id)
            ).all()
            still_open = session.scalar(
                select(func.count()).select_from(HumanTask).where(HumanTask.status == "open")
            )
    finally:
        svc.engine.dispose()
    assert sum(completed.values()) == actions["complete"]  # every 200 applied, nothing else
    assert {case: completed.get(case, 0) for case in cases} == counters  # applied once each
    assert all(count == 1 for _, count in audited) and len(audited) == actions["complete"]
    assert still_open == len(cases)  # each loop has exactly one open review again
    check = caseway_cli(url, "check")
    assert check.returncode == 0, check.stdout + check.stderr
