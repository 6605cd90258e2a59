"""The audit trail records who looked at whose case, and cannot be rewritten."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, delete, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from engine.cli.main import main as cli
from engine.store.db import transaction
from engine.store.models import AuditEvent
from tests.api.helpers import WORKFLOWS, open_task, start, upload


@pytest.fixture
def case(api):
    upload(api.as_("dana"), WORKFLOWS.parent / "tests" / "fixtures" / "discretionary_benefit.bpmn")
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


def test_truncating_the_audit_table_is_refused_on_postgresql(postgres_url):
    engine = create_engine(postgres_url)
    try:
        with pytest.raises(DBAPIError, match="append-only"):
            with engine.begin() as conn:
                conn.execute(text("TRUNCATE audit_event"))
    finally:
        engine.dispose()


@pytest.fixture
def app_role(postgres_url):
    """A login role given the application's rights by `caseway db grant`, dropped afterwards."""
    role = f"caseway_app_{os.getpid()}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        conn.execute(text(f'CREATE ROLE "{role}" LOGIN'))
    try:
        yield role
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP OWNED BY "{role}"'))
            conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        admin.dispose()


def test_the_application_role_appends_to_the_audit_and_can_do_nothing_else_to_it(
    postgres_url, app_role, monkeypatch
):
    monkeypatch.setenv("DATABASE_URL", postgres_url)
    assert cli(["db", "grant", app_role]) == 0
    as_app = create_engine(make_url(postgres_url).set(username=app_role))
    try:
        with as_app.begin() as conn:
            insert = (
                "INSERT INTO audit_event (at, actor, action, detail_json)"
                " VALUES (now(), 'x', 'y', '{}')"
            )
            conn.execute(text(insert))
            assert conn.scalar(text("SELECT count(*) FROM audit_event WHERE actor = 'x'")) == 1
        for attempt in (
            "TRUNCATE audit_event",
            "UPDATE audit_event SET actor = 'z'",
            "DELETE FROM audit_event",
            "ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_truncate",
            "DROP TRIGGER audit_event_append_only ON audit_event",
            "TRUNCATE human_task",
        ):
            with pytest.raises(DBAPIError, match="permission denied|must be owner"):
                with as_app.begin() as conn:
                    conn.execute(text(attempt))
    finally:
        as_app.dispose()


def test_grant_refuses_a_role_name_that_is_not_plain(postgres_url, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", postgres_url)

    assert cli(["db", "grant", 'x"; DROP TABLE audit_event; --']) == 2
    assert "not a plain role name" in capsys.readouterr().err


def _reads(svc) -> list[tuple[str, str, str | None]]:
    with svc.sessions() as session:
        rows = session.execute(
            select(AuditEvent.actor, AuditEvent.action, AuditEvent.task_id)
            .where(AuditEvent.action.in_(["task.read", "instance.read"]))
            .order_by(AuditEvent.id)
        ).all()
    return [tuple(r) for r in rows]


def test_claiming_releasing_and_assigning_show_the_case_data_so_they_are_reads(api, svc, case):
    task = open_task(case, "record_request")
    base = f"/api/tasks/{task['id']}"

    claimed = api.as_("cole").post(f"{base}/claim")
    released = api.as_("cole").post(f"{base}/unclaim")
    assigned = api.as_("sam").post(f"{base}/assign", json={"user": "casey"})
    refused = api.as_("cole").post(f"{base}/claim")  # casey holds it: 409, no data shown

    assert [r.status_code for r in (claimed, released, assigned, refused)] == [200, 200, 200, 409]
    assert "data" in claimed.json and "data" in released.json
    assert _reads(svc) == [
        ("cole", "task.read", task["id"]),
        ("cole", "task.read", task["id"]),
        ("sam", "task.read", task["id"]),
    ]


def test_a_replayed_answer_with_case_data_is_a_read_again(api, svc, case):
    task = open_task(case, "record_request")
    keyed = {"Idempotency-Key": "claim-once"}

    first = api.as_("cole").post(f"/api/tasks/{task['id']}/claim", headers=keyed)
    again = api.as_("cole").post(f"/api/tasks/{task['id']}/claim", headers=keyed)

    assert again.headers["Idempotent-Replayed"] == "true" and again.json == first.json
    assert _reads(svc) == [("cole", "task.read", task["id"])] * 2
