"""Operators see liveness, readiness, metrics and a request id on every answer."""

from __future__ import annotations

import json
import logging

import pytest
from alembic import command

from engine.casework import scheduler
from engine.observability.logs import JsonFormatter
from engine.store.migrate import alembic_config
from tests.api.helpers import WORKFLOWS, start, upload

pytestmark = pytest.mark.ops


def test_health_is_just_the_process(app):
    assert app.test_client().get("/healthz").json == {"status": "ok"}


def test_ready_when_the_database_is_migrated(app, database_url):
    if database_url.startswith("sqlite"):  # built from the models; record it as migrated
        command.stamp(alembic_config(database_url), "head")

    response = app.test_client().get("/readyz")

    assert response.status_code == 200, response.json
    assert response.json["checks"] == {
        "database": "ok",
        "migrations": "ok",
        "scheduler": "not in this process",
    }


def test_not_ready_when_the_schema_is_not_migrated(tmp_path, svc):
    from engine.app import create_app
    from engine.config import Settings
    from engine.services import Services

    bare = Services.build(Settings(database_url=f"sqlite:///{tmp_path / 'empty.db'}"))
    response = create_app(services=bare).test_client().get("/readyz")
    bare.engine.dispose()

    assert response.status_code == 503
    assert response.json["checks"]["migrations"] == "behind"


def test_not_ready_when_migrations_are_behind_or_scheduler_stalled(app, svc, clock):
    svc.heartbeat = clock.now()
    clock.advance(minutes=5)

    response = app.test_client().get("/readyz")

    assert response.status_code == 503
    assert response.json["checks"]["scheduler"] == "stalled"


def test_a_scheduler_pass_keeps_readiness_and_counts_firings(app, svc, clock):
    scheduler.scheduler_pass(svc)

    state = app.test_client().get("/readyz").json["checks"]["scheduler"]

    assert state == "ok"


def test_metrics_count_requests_and_show_open_work(api, clock):
    upload(api.as_("dana"), WORKFLOWS.parent / "tests" / "fixtures" / "discretionary_benefit.bpmn")
    start(api.as_("casey"), "discretionary_benefit", "CASE-M")
    clock.advance(days=1)

    text = api.client.get("/metrics").get_data(as_text=True)

    assert 'caseway_open_tasks{queue="caseworker"} 1.0' in text
    assert (
        'caseway_http_requests_total{endpoint="/api/instances",method="POST",status="201"} 1.0'
        in text
    )
    assert "caseway_timers_due 0.0" in text
    assert "caseway_http_request_seconds_bucket" in text


def test_every_answer_carries_a_request_id(api):
    given = api.as_("casey").get("/api/tasks", headers={"X-Request-Id": "abc-123"})
    fresh = api.as_("casey").get("/api/tasks")
    hostile = api.as_("casey").get("/api/tasks", headers={"X-Request-Id": "<script>"})

    assert given.headers["X-Request-Id"] == "abc-123"
    assert len(fresh.headers["X-Request-Id"]) == 32
    assert hostile.headers["X-Request-Id"] != "<script>"


def test_request_log_lines_are_json_with_the_request_id(api, caplog):
    with caplog.at_level(logging.INFO, logger="caseway.http"):
        api.as_("casey").get("/api/tasks", headers={"X-Request-Id": "req-7"})

    (record,) = [r for r in caplog.records if r.name == "caseway.http"]
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "req-7"
    assert line["status"] == 200 and line["user"] == "casey" and line["path"] == "/api/tasks"
