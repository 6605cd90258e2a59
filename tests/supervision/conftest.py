"""Supervision fixtures: a deployed casework process (assess → plan in the caseworker lane, then a
supervisor sign-off) and helpers that act as one user."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from engine.store.models import AuditEvent
from tests.api.helpers import FIXTURES, start, upload

CASEWORK = Path(__file__).resolve().parent / "casework.bpmn"
LOOP = FIXTURES / "loop_review.bpmn"


@pytest.fixture
def casework(api: Any) -> None:
    assert upload(api.as_("dana"), CASEWORK, LOOP).status_code == 201


def start_case(api: Any, key: str, process: str = "casework", data: dict | None = None) -> str:
    response = start(api.as_("casey"), process, key, data)
    assert response.status_code == 201, response.json
    return str(response.json["id"])


def open_task(api: Any, instance_id: str) -> dict[str, Any]:
    """The one open task of a case, as the office supervisor sees it."""
    instance = api.as_("sam").get(f"/api/instances/{instance_id}").json
    (task,) = [t for t in instance["tasks"] if t["status"] == "open"]
    return task


def claimed_case(api: Any, key: str, user: str = "casey") -> dict[str, Any]:
    """A case whose first task `user` has claimed (which makes them the owner)."""
    task = open_task(api, start_case(api, key))
    assert api.as_(user).post(f"/api/tasks/{task['id']}/claim").status_code == 200
    return task


def complete(api: Any, user: str, task_id: str) -> Any:
    return api.as_(user).post(f"/api/tasks/{task_id}/complete", json={"data": {}})


def assignee(api: Any, task_id: str) -> str | None:
    return api.as_("sam").get(f"/api/tasks/{task_id}").json["assignee"]


def put(api: Any, user: str, path: str, body: dict[str, Any]) -> Any:
    client = api.as_(user)
    return client.client.put(path, json=body, headers=client.headers)


def away(
    api: Any,
    svc: Any,
    user: str,
    *,
    by: str = "sam",
    cover: str | None = "cole",
    starts_in: timedelta = timedelta(0),
    lasts: timedelta = timedelta(days=5),
    reason: str = "vacation",
) -> Any:
    """Record an absence starting `starts_in` from now."""
    starts = svc.clock.now() + starts_in
    body = {
        "starts_at": starts.isoformat(),
        "ends_at": (starts + lasts).isoformat(),
        "cover": cover,
        "reason_category": reason,
    }
    return api.as_(by).post(f"/api/users/{user}/absences", json=body)


def audit(svc: Any, action: str) -> list[dict[str, Any]]:
    with svc.sessions() as session:
        rows = session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        ).all()
    return [{"actor": r.actor, "task_id": r.task_id, **json.loads(r.detail_json)} for r in rows]
