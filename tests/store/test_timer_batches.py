"""Timers fire in batches: one claim for many instances, each fired in its own savepoint."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import create_engine, func, select, text

from engine.casework import commands, timers
from engine.casework.commands import StartRequest, deploy_files, start_instance
from engine.definitions.compile import SourceFile
from engine.identity.users import SYSTEM
from engine.services import Services
from engine.store.models import AuditEvent, HumanTask, Timer
from tests.api.helpers import FIXTURES

DESIGNER = type(SYSTEM)("dana", "sudbury", frozenset({"designer"}))
WORKER = type(SYSTEM)("casey", "sudbury", frozenset({"caseworker"}))


def _waiting(svc: Services, waits: list[str]) -> list[str]:
    source = SourceFile("wait_then_act.bpmn", (FIXTURES / "wait_then_act.bpmn").read_bytes())
    deploy_files(svc, DESIGNER, [source])
    return [
        start_instance(svc, WORKER, StartRequest("wait_then_act", f"CASE-{n}", {"wait_for": w}))
        for n, w in enumerate(waits)
    ]


def _fired(svc: Services) -> list[str]:
    with svc.sessions() as session:
        return list(
            session.scalars(
                select(AuditEvent.instance_id)
                .where(AuditEvent.action == "timer.fire")
                .order_by(AuditEvent.id)
            )
        )


def _acts(svc: Services) -> int:
    with svc.sessions() as session:
        return session.scalar(select(func.count()).select_from(HumanTask)) or 0


def test_small_batches_fire_every_due_timer_once_in_due_order(svc, clock):
    ids = _waiting(svc, ["PT5H", "PT1H", "PT4H", "PT2H", "PT3H"])
    clock.advance(hours=6)

    fired = timers.tick(svc, batch_size=2)

    assert fired == 5
    assert _fired(svc) == [ids[1], ids[3], ids[4], ids[2], ids[0]]
    assert _acts(svc) == 5
    assert timers.tick(svc, batch_size=2) == 0


def test_a_failing_instance_is_rolled_back_alone_and_the_batch_goes_on(
    svc, clock, monkeypatch: pytest.MonkeyPatch
):
    ids = _waiting(svc, ["PT1H", "PT2H", "PT3H"])
    clock.advance(hours=4)
    original = commands._drop_stuck_timers
    calls: list[str] = []

    def fail_second(session: Any, instance: Any, *args: Any) -> None:
        original(session, instance, *args)  # the instance's writes are flushed by now
        calls.append(instance.id)
        if len(calls) == 2:
            raise RuntimeError("broken instance")

    monkeypatch.setattr(commands, "_drop_stuck_timers", fail_second)

    fired = timers.tick(svc, batch_size=10)

    assert fired == 2
    assert _fired(svc) == [ids[0], ids[2]]
    assert _acts(svc) == 2
    with svc.sessions() as session:
        left = session.scalars(select(Timer.instance_id)).all()
    assert left == [ids[1]]  # still due: the next pass tries it again
    monkeypatch.setattr(commands, "_drop_stuck_timers", original)
    assert timers.tick(svc) == 1
    assert sorted(_fired(svc)) == sorted(ids)


# Row locks held by another worker are a PostgreSQL matter (SQLite has one writer).
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_batch_skips_instances_another_worker_holds(svc, clock, database_url):
    ids = _waiting(svc, ["PT1H", "PT2H", "PT3H"])
    clock.advance(hours=4)
    other = create_engine(database_url)
    conn = other.connect()
    conn.execute(text("SELECT id FROM process_instance WHERE id = :id FOR UPDATE"), {"id": ids[0]})

    first = commands.fire_due_batch(svc, limit=10)
    conn.close()  # the other worker rolls back (or dies): its instance is due again
    other.dispose()
    second = commands.fire_due_batch(svc, limit=10)
    third = commands.fire_due_batch(svc, limit=10)

    assert (first.claimed, first.fired) == (2, 2)
    assert (second.claimed, second.fired) == (1, 1)
    assert third.claimed == 0
    assert sorted(_fired(svc)) == sorted(ids)
