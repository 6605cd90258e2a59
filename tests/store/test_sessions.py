"""Read sessions: what pages and authentication use. They see committed work, never write, and
(on SQLite) never queue behind a command that holds the write lock."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from engine.services import Services
from engine.store.db import ReadOnlySession, transaction
from engine.store.models import OfficeClosure


def _closure(day: int) -> OfficeClosure:
    return OfficeClosure(
        office="sudbury",
        day=datetime(2026, 12, day, tzinfo=UTC).date(),
        reason="training",
        created_by="sam",
        created_at=datetime(2026, 12, 1, tzinfo=UTC),
    )


def test_a_read_session_sees_committed_work(svc: Services) -> None:
    with transaction(svc.sessions) as session:
        session.add(_closure(7))

    with svc.readers() as session:
        assert session.scalar(select(func.count()).select_from(OfficeClosure)) == 1


def test_a_read_session_refuses_to_write(svc: Services) -> None:
    with svc.readers() as session:
        session.add(_closure(8))
        with pytest.raises(ReadOnlySession):
            session.flush()

    with svc.readers() as session:
        assert session.scalar(select(func.count()).select_from(OfficeClosure)) == 0


def test_reading_does_not_wait_for_a_command_in_progress(svc: Services) -> None:
    """A caseworker's inbox loads while another command holds the write lock (SQLite) or a
    row lock (PostgreSQL); it shows what was committed before that command."""
    with transaction(svc.sessions) as session:
        session.add(_closure(9))
    counted: list[int] = []

    def read() -> None:
        with svc.readers() as reader:
            counted.append(reader.scalar(select(func.count()).select_from(OfficeClosure)) or 0)

    with transaction(svc.sessions) as writer:
        writer.add(_closure(10))
        writer.flush()  # the write lock is held from here to the commit
        reading = threading.Thread(target=read)
        reading.start()
        reading.join(timeout=10)
        finished_while_locked = not reading.is_alive()
    reading.join()

    assert finished_while_locked
    assert counted == [1]
