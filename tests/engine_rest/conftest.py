"""Fixtures for the Camunda 7 compatible API: deployed diagrams, worker accounts and tokens."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from engine.identity.users import add_user
from engine.identity.worker_tokens import issue_worker_token
from engine.services import Services
from engine.store.db import transaction
from tests.api.helpers import upload

HERE = Path(__file__).resolve().parent
DIAGRAMS = (HERE / "letters.bpmn", HERE / "zeebe.bpmn", HERE / "reply.bpmn")


@pytest.fixture
def workers(svc: Services, staff: dict[str, str]) -> dict[str, str]:
    """Worker tokens: `letters` (sudbury, topic send-letter), `any` (sudbury, every topic),
    `ottawa` (ottawa, send-letter)."""
    now, ttl = svc.clock.now(), timedelta(days=30)
    with transaction(svc.sessions) as session:
        add_user(session, "letterbot", office="sudbury", roles=["worker"], now=now)
        add_user(session, "ottobot", office="ottawa", roles=["worker"], now=now)
        return {
            "letters": issue_worker_token(session, "letterbot", ["send-letter"], now=now, ttl=ttl),
            "any": issue_worker_token(session, "letterbot", ["*"], now=now, ttl=ttl),
            "ottawa": issue_worker_token(session, "ottobot", ["send-letter"], now=now, ttl=ttl),
        }


@pytest.fixture
def deployed(api: Any) -> None:
    response = upload(api.as_("dana"), *DIAGRAMS)
    assert response.status_code == 201, response.get_json()


class Rest:
    """POSTs to /engine-rest with one token."""

    def __init__(self, client: Any, token: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def post(self, path: str, body: Any = None, **kw: Any) -> Any:
        return self.client.post(f"/engine-rest{path}", json=body, headers=self.headers, **kw)


@pytest.fixture
def rest(app: Any, workers: dict[str, str], deployed: None) -> dict[str, Rest]:
    client = app.test_client()
    return {name: Rest(client, token) for name, token in workers.items()}


def fetch(
    rest: Rest,
    topic: str = "send-letter",
    worker: str = "w1",
    options: dict[str, Any] | None = None,
    **extra: Any,
) -> list[dict[str, Any]]:
    """fetchAndLock one topic (`options`: more of the topic's fields; `extra`: the body's)."""
    body = {
        "workerId": worker,
        "maxTasks": 5,
        "topics": [{"topicName": topic, "lockDuration": 60_000, **(options or {})}],
        **extra,
    }
    response = rest.post("/external-task/fetchAndLock", body)
    assert response.status_code == 200, response.get_json()
    return list(response.get_json())
