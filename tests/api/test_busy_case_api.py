"""A case held by a stuck process answers 409 with Retry-After instead of waiting forever."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import create_engine, text

from engine.app import create_app
from engine.services import Services
from tests.api.helpers import WORKFLOWS, open_task, start, upload
from tests.conftest import ApiClient, _truncate_postgres, seed_staff


@pytest.fixture
def pg_api(postgres_url, settings, clock, registry):  # type: ignore[no-untyped-def]
    _truncate_postgres(postgres_url)
    quick = replace(settings, database_url=postgres_url, db_lock_timeout_ms=300)
    svc = Services.build(quick, clock=clock, registry=registry)
    from datetime import timedelta

    tokens = seed_staff(svc, timedelta(days=1))
    app = create_app(services=svc)
    app.config["TESTING"] = True
    yield ApiClient(app.test_client(), tokens)
    svc.engine.dispose()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_locked_case_answers_409_with_retry_after_and_changes_nothing(pg_api, postgres_url):
    upload(
        pg_api.as_("dana"), WORKFLOWS.parent / "tests" / "fixtures" / "discretionary_benefit.bpmn"
    )
    case = start(pg_api.as_("casey"), "discretionary_benefit", "CASE-LOCK").json
    task = open_task(case, "record_request")
    pg_api.as_("casey").post(f"/api/tasks/{task['id']}/claim")
    stuck = create_engine(postgres_url)
    try:
        with stuck.begin() as conn:  # a frozen worker in the middle of its transaction
            conn.execute(
                text("SELECT id FROM process_instance WHERE id = :id FOR UPDATE"),
                {"id": case["id"]},
            )
            answer = pg_api.as_("casey").post(
                f"/api/tasks/{task['id']}/complete", json={"data": {}}
            )

            assert answer.status_code == 409
            assert answer.headers["Retry-After"] == "1"
            assert "another request" in answer.json["detail"]
    finally:
        stuck.dispose()
    again = pg_api.as_("casey").get(f"/api/tasks/{task['id']}")
    assert again.json["status"] == "open"


def test_postgres_sessions_start_with_lock_and_idle_timeouts(postgres_url):
    from engine.store.db import make_engine

    engine = make_engine(postgres_url, lock_timeout_ms=5000, idle_in_transaction_timeout_ms=60000)
    try:
        with engine.connect() as conn:
            assert conn.scalar(text("SHOW lock_timeout")) == "5s"
            assert conn.scalar(text("SHOW idle_in_transaction_session_timeout")) == "1min"
    finally:
        engine.dispose()
