"""Several timer workers on PostgreSQL: every due timer fires exactly once."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, func, select, text

from engine.casework.commands import StartRequest, deploy_files, fire_due_timers, start_instance
from engine.clock import FakeClock
from engine.config import REPO_ROOT, Settings
from engine.definitions.compile import SourceFile
from engine.identity.users import SYSTEM
from engine.services import Services
from engine.store.models import AuditEvent, HumanTask, ProcessInstance, Timer
from tests.api.helpers import FIXTURES
from tests.conftest import _truncate_postgres

pytestmark = pytest.mark.ops

DESIGNER = type(SYSTEM)("dana", "sudbury", frozenset({"designer"}))
WORKER = type(SYSTEM)("casey", "sudbury", frozenset({"caseworker"}))


@pytest.fixture
def pg(postgres_url: str):
    _truncate_postgres(postgres_url)
    # Timers fall due a day before the real "now" the worker processes will use.
    clock = FakeClock(datetime.now(UTC) - timedelta(days=1))
    svc = Services.build(Settings(database_url=postgres_url, scheduler_enabled=False), clock=clock)
    source = SourceFile("wait_then_act.bpmn", (FIXTURES / "wait_then_act.bpmn").read_bytes())
    deploy_files(svc, DESIGNER, [source])
    yield svc
    svc.engine.dispose()


def _start(svc: Services, count: int) -> list[str]:
    return [
        start_instance(
            svc, WORKER, StartRequest("wait_then_act", f"CASE-{n}", {"wait_for": "PT1H"})
        )
        for n in range(count)
    ]


def test_three_worker_processes_fire_500_timers_exactly_once(pg: Services, postgres_url: str):
    ids = _start(pg, 500)
    env = {
        **os.environ,
        "DATABASE_URL": postgres_url,
        "CASEWAY_FORMS_DIR": str(REPO_ROOT / "forms"),
    }

    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "engine.cli.main", "worker", "--once"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [w.communicate(timeout=300) for w in workers]

    assert [w.returncode for w in workers] == [0, 0, 0], outputs
    with pg.sessions() as session:
        fires = session.execute(
            select(AuditEvent.instance_id, func.count())
            .where(AuditEvent.action == "timer.fire")
            .group_by(AuditEvent.instance_id)
        ).all()
        acts = session.scalar(
            select(func.count()).select_from(HumanTask).where(HumanTask.task_name == "act")
        )
        remaining = session.scalar(select(func.count()).select_from(Timer))
        versions = set(session.scalars(select(ProcessInstance.lock_version)))
    assert {instance_id for instance_id, _ in fires} == set(ids)
    assert {count for _, count in fires} == {1}
    assert acts == 500
    assert remaining == 0
    assert len(versions) == 1  # every instance was written the same number of times
    moved = [int(out.split()[3]) for out, _ in outputs]
    assert sum(moved) == 500


def test_a_worker_that_dies_mid_fire_loses_nothing(pg: Services, postgres_url: str):
    (instance_id,) = _start(pg, 1)
    pg.clock.advance(hours=2)  # type: ignore[attr-defined]
    dying = create_engine(postgres_url)
    conn = dying.connect()
    conn.execute(
        text("SELECT id FROM process_instance WHERE id = :id FOR UPDATE"), {"id": instance_id}
    )

    skipped = fire_due_timers(pg, instance_id)
    conn.close()  # the "killed" worker's transaction is rolled back
    dying.dispose()
    fired = fire_due_timers(pg, instance_id)
    again = fire_due_timers(pg, instance_id)

    assert (skipped, fired, again) == (False, True, False)
    with pg.sessions() as session:
        count = session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "timer.fire")
        )
    assert count == 1
