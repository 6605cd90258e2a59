"""The key's row rides in the transaction that audits the caller's action, and only that one."""

from __future__ import annotations

import gc

import pytest
from sqlalchemy import select

from engine import idempotency
from engine.audit import record
from engine.store.db import session_factory, transaction
from engine.store.models import IdempotencyKey


@pytest.fixture
def reservation(svc) -> idempotency.Reservation:
    idempotency.attach(svc.sessions)
    return idempotency.Reservation("casey", "k-1", "h" * 64, "POST", "/api/x", svc.clock.now())


def keys(svc) -> list[IdempotencyKey]:
    with svc.sessions() as session:
        return list(session.scalars(select(IdempotencyKey)))


def test_the_key_commits_with_the_callers_action(svc, reservation):
    with idempotency.reserving(reservation), transaction(svc.sessions) as session:
        record(session, at=svc.clock.now(), actor="casey", action="x", instance_id="i-1")
        # no flush between the audit entry and the commit

    (row,) = keys(svc)
    assert (row.username, row.key, row.resource_id, row.status_code) == (
        "casey",
        "k-1",
        "i-1",
        None,
    )
    assert reservation.committed and reservation.resource_id == "i-1"


def test_another_actors_transaction_does_not_take_the_key(svc, reservation):
    with idempotency.reserving(reservation):
        with transaction(svc.sessions) as session:
            record(session, at=svc.clock.now(), actor="scheduler", action="timer.fire")
        assert keys(svc) == [] and not reservation.committed
        with transaction(svc.sessions) as session:
            record(session, at=svc.clock.now(), actor="casey", action="x", instance_id="i-2")

    assert [row.resource_id for row in keys(svc)] == ["i-2"]


def test_a_rolled_back_command_leaves_no_key_and_the_next_one_takes_it(svc, reservation):
    with idempotency.reserving(reservation):
        with pytest.raises(RuntimeError), transaction(svc.sessions) as session:
            record(session, at=svc.clock.now(), actor="casey", action="x", instance_id="i-1")
            session.flush()
            raise RuntimeError("the command failed")
        assert keys(svc) == [] and not reservation.committed
        with transaction(svc.sessions) as session:
            record(session, at=svc.clock.now(), actor="casey", action="x", instance_id="i-3")
        with transaction(svc.sessions) as session:  # once committed, later transactions: no
            record(session, at=svc.clock.now(), actor="casey", action="x", instance_id="i-4")

    assert [row.resource_id for row in keys(svc)] == ["i-3"]


def test_an_action_flushed_inside_a_savepoint_still_counts(svc, reservation):
    with idempotency.reserving(reservation), transaction(svc.sessions) as session:
        with session.begin_nested():
            record(session, at=svc.clock.now(), actor="casey", action="x", instance_id="i-5")

    assert [row.resource_id for row in keys(svc)] == ["i-5"]


def test_without_a_reservation_nothing_is_written(svc, reservation):
    with transaction(svc.sessions) as session:
        record(session, at=svc.clock.now(), actor="casey", action="x", instance_id="i-1")

    assert keys(svc) == []


@pytest.mark.slow
def test_every_new_session_factory_records_keys(svc):
    """A new factory may take the memory of a collected one; it must still get the hooks."""
    for n in range(40):
        sessions = session_factory(svc.engine)
        idempotency.attach(sessions)
        reservation = idempotency.Reservation(
            "casey", f"k-{n}", "h" * 64, "POST", "/api/x", svc.clock.now()
        )
        with idempotency.reserving(reservation), transaction(sessions) as session:
            record(session, at=svc.clock.now(), actor="casey", action="x", instance_id=f"i-{n}")

        assert reservation.committed, f"factory {n} recorded no key"
        del sessions
        gc.collect()
