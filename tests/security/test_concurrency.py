"""Twenty clients claiming and completing overlapping tasks at once: no lost update, no 500,
every conflict answered 409."""

from __future__ import annotations

import random
import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from engine.identity.users import add_user, issue_token
from engine.store.db import transaction
from engine.store.models import HumanTask
from tests.api.helpers import FIXTURES, start, upload

CLIENTS = 20
ATTEMPTS = 12
CASES = 6


@pytest.mark.slow
def test_twenty_clients_overlapping_work_loses_nothing(api, svc):
    with transaction(svc.sessions) as session:
        tokens = []
        for n in range(CLIENTS):
            name = f"worker{n}"
            add_user(session, name, office="sudbury", roles=["caseworker"], now=svc.clock.now())
            tokens.append(issue_token(session, name, now=svc.clock.now(), ttl=timedelta(days=1)))
    upload(api.as_("dana"), FIXTURES / "loop_review.bpmn")
    cases = [
        start(api.as_("casey"), "loop_review", f"CASE-{n}", {"count": 0, "limit": 10_000}).json[
            "id"
        ]
        for n in range(CASES)
    ]
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    barrier = threading.Barrier(CLIENTS)

    def client(token: str, seed: int) -> None:
        rng = random.Random(seed)
        http = api.client.application.test_client()
        headers = {"Authorization": f"Bearer {token}"}
        barrier.wait()
        for _ in range(ATTEMPTS):
            inbox = http.get("/api/tasks?limit=50", headers=headers).json["items"]
            if not inbox:
                continue
            task = rng.choice(inbox)
            answers = [http.post(f"/api/tasks/{task['id']}/claim", headers=headers).status_code]
            if answers[0] == 200:
                done = http.post(
                    f"/api/tasks/{task['id']}/complete", json={"data": {}}, headers=headers
                )
                answers.append(done.status_code)
            with lock:
                statuses.update(answers)

    threads = [threading.Thread(target=client, args=(t, n)) for n, t in enumerate(tokens)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert set(statuses) <= {200, 409}, statuses
    assert statuses[200] > 0 and statuses[409] > 0, statuses
    with svc.sessions() as session:
        completed = dict(
            session.execute(
                select(HumanTask.instance_id, func.count())
                .where(HumanTask.status == "completed")
                .group_by(HumanTask.instance_id)
            ).all()
        )
        still_open = session.scalar(
            select(func.count()).select_from(HumanTask).where(HumanTask.status == "open")
        )
    for case_id in cases:
        data = api.as_("sam").get(f"/api/instances/{case_id}").json["data"]
        assert data["count"] == completed.get(case_id, 0)  # every completion applied once
    assert still_open == CASES  # each loop has exactly one open review again
