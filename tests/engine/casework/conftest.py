"""Casework fixtures: the demo staff as principals, and a deployed two-step process (a caseworker
reviews within two days, else a supervisor handles the late review; then a supervisor approves)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from engine.casework import commands
from engine.definitions.compile import SourceFile
from engine.identity.users import SYSTEM, Principal
from engine.services import Services
from engine.store.db import transaction
from engine.store.models import Absence, AuditEvent, HumanTask
from tests.conftest import DEMO

REVIEW = Path(__file__).resolve().parent / "review.bpmn"
REVIEW_FORM = REVIEW.with_name("review_note.schema.json")


def who(username: str) -> Principal:
    office, roles = DEMO[username]
    return Principal(username, office, frozenset(roles))


@pytest.fixture
def review(svc: Services, staff: dict[str, str]) -> None:
    files = [SourceFile(p.name, p.read_bytes()) for p in (REVIEW, REVIEW_FORM)]
    commands.deploy_files(svc, SYSTEM, files)


def start(svc: Services, key: str = "CASE-1", by: str = "casey") -> str:
    return commands.start_instance(svc, who(by), commands.StartRequest("two_step", key, {}))


def open_tasks(svc: Services, instance_id: str) -> list[HumanTask]:
    with svc.readers() as session:
        return list(
            session.scalars(
                select(HumanTask)
                .where(HumanTask.instance_id == instance_id, HumanTask.status == "open")
                .order_by(HumanTask.task_name)
            )
        )


def the_task(svc: Services, instance_id: str) -> HumanTask:
    (task,) = open_tasks(svc, instance_id)
    return task


def task(svc: Services, task_id: str) -> HumanTask:
    with svc.readers() as session:
        return session.get_one(HumanTask, task_id)


def actions(svc: Services, task_id: str) -> list[tuple[str, str]]:
    """(actor, action) of the task's audit rows, oldest first."""
    with svc.readers() as session:
        rows = session.execute(
            select(AuditEvent.actor, AuditEvent.action)
            .where(AuditEvent.task_id == task_id)
            .order_by(AuditEvent.id)
        ).all()
    return [(row.actor, row.action) for row in rows]


def away(svc: Services, username: str, *, days: int = 3, cover: str | None = None) -> None:
    """An absence of `username` running from now (written directly: these tests are not about
    recording absences)."""
    now = svc.clock.now()
    with transaction(svc.sessions) as session:
        session.add(
            Absence(
                username=username,
                office=DEMO[username][0],
                starts_at=now - timedelta(minutes=1),
                ends_at=now + timedelta(days=days),
                cover=cover,
                reason_category="vacation",
                created_by="sam",
                created_at=now,
            )
        )


def values(task: HumanTask) -> dict[str, Any]:
    return {"status": task.status, "assignee": task.assignee, "queue": task.queue}
