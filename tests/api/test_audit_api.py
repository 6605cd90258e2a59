"""The audit trail records who looked at whose case, and cannot be rewritten."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.exc import DBAPIError

from engine.store.db import transaction
from engine.store.models import AuditEvent
from tests.api.helpers import WORKFLOWS, open_task, start, upload


@pytest.fixture
def case(api):
    upload(api.as_("dana"), WORKFLOWS / "discretionary_benefit.bpmn")
    return start(api.as_("casey"), "discretionary_benefit", "CASE-AUD").json


def test_reading_a_task_or_a_case_is_recorded(api, svc, case):
    task = open_task(case, "record_request")

    api.as_("cole").get(f"/api/tasks/{task['id']}")
    api.as_("sam").get(f"/api/instances/{case['id']}")
    api.as_("olive").get(f"/api/tasks/{task['id']}")  # not visible: 404, nothing read

    with svc.sessions() as session:
        reads = session.execute(
            select(AuditEvent.actor, AuditEvent.action, AuditEvent.task_id)
            .where(AuditEvent.action.in_(["task.read", "instance.read"]))
            .order_by(AuditEvent.id)
        ).all()
    assert [tuple(r) for r in reads] == [
        ("cole", "task.read", task["id"]),
        ("sam", "instance.read", None),
    ]


def test_the_audit_table_refuses_updates_and_deletes(svc, case):
    for statement in (
        update(AuditEvent).values(actor="someone else"),
        delete(AuditEvent),
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            with transaction(svc.sessions) as session:
                session.execute(statement)

    with svc.sessions() as session:
        actors = set(session.scalars(select(AuditEvent.actor)))
    assert "someone else" not in actors and actors
