"""Recording an absence while new work for the absent worker's cases is being created: no task
may land on the absent worker, whichever transaction gets there first (issue #18).

Each round, creator threads (each with its own session) start cases owned by casey while a
supervisor records casey's absence with cole covering. The absence's transaction is held open
after it has moved casey's tasks until every creator has either finished or is waiting on a
lock: on the code before the fix the creators then route to casey, commit, and stay there every
round; with routing and absences serialized they wait and then route to the cover.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text

from engine.casework import commands, timers
from engine.identity.users import Principal
from engine.services import Services
from engine.statuses import TaskStatus
from engine.store.db import transaction
from engine.store.models import CaseOwner, HumanTask
from engine.supervision import absences

CASEY = Principal("casey", "sudbury", frozenset({"caseworker"}))
SAM = Principal("sam", "sudbury", frozenset({"supervisor"}))
CREATORS = 6
WAIT_LIMIT_SECONDS = 20.0  # a bound on a hang, never part of the outcome

pytestmark = pytest.mark.usefixtures("casework")


class Round:
    """One race: creators and the absence start together at a barrier."""

    def __init__(self, svc: Services, number: int) -> None:
        self.svc = svc
        self.keys = [f"R{number}-{n}" for n in range(CREATORS)]
        self.finished = 0
        self.errors: list[BaseException] = []
        self.lock = threading.Lock()
        self.barrier = threading.Barrier(CREATORS + 1)

    def create(self, key: str) -> None:
        try:
            self.barrier.wait()
            request = commands.StartRequest(process_id="casework", business_key=key, data={})
            commands.start_instance(self.svc, CASEY, request)
        except BaseException as exc:  # reported by the test, not lost in the thread
            with self.lock:
                self.errors.append(exc)
        finally:
            with self.lock:
                self.finished += 1

    def record_absence(self) -> None:
        try:
            self.barrier.wait()
            now = self.svc.clock.now()
            request = absences.AbsenceRequest(
                "casey", now, now + timedelta(days=1), "cole", "vacation"
            )
            with transaction(self.svc.sessions) as session:
                absences.add_absence(session, SAM, request, now)
        except BaseException as exc:
            with self.lock:
                self.errors.append(exc)

    def creators_done_or_waiting(self) -> None:
        """Hold the absence's transaction open (PostgreSQL) until each creator has committed or
        waits on a lock; on SQLite a creator cannot run while it is open (BEGIN IMMEDIATE)."""
        if self.svc.engine.dialect.name != "postgresql":
            return
        deadline = time.monotonic() + WAIT_LIMIT_SECONDS
        with self.svc.engine.connect() as conn:
            while time.monotonic() < deadline:
                waiting = conn.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                        " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
                    )
                )
                conn.rollback()
                with self.lock:
                    if self.finished + int(waiting or 0) >= CREATORS:
                        return
                time.sleep(0.002)

    def run(self) -> None:
        threads = [threading.Thread(target=self.create, args=(k,)) for k in self.keys]
        threads.append(threading.Thread(target=self.record_absence))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(WAIT_LIMIT_SECONDS * 2)
        assert not any(t.is_alive() for t in threads), "a thread of the race hung"
        assert self.errors == []


@pytest.fixture
def held_open(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Round], None]]:
    """Makes the absence transaction of the current round wait after moving casey's tasks."""
    current: dict[str, Round] = {}
    original = absences.begin_absence

    def begin_then_wait(*args: Any, **kwargs: Any) -> int:
        moved = original(*args, **kwargs)
        current["round"].creators_done_or_waiting()
        return moved

    monkeypatch.setattr(absences, "begin_absence", begin_then_wait)
    yield lambda race: current.__setitem__("round", race)


def own_cases(svc: Services, keys: list[str]) -> None:
    with transaction(svc.sessions) as session:
        for key in keys:
            session.add(
                CaseOwner(
                    office="sudbury",
                    business_key=key,
                    owner="casey",
                    assigned_at=svc.clock.now(),
                    assigned_by="sam",
                )
            )


def assignees(svc: Services, keys: list[str]) -> dict[str, str | None]:
    with svc.sessions() as session:
        rows = session.execute(
            select(HumanTask.business_key, HumanTask.assignee).where(
                HumanTask.business_key.in_(keys), HumanTask.status == TaskStatus.OPEN
            )
        ).all()
    return {key: assignee for key, assignee in rows}


def end_casey_absence(svc: Services) -> None:
    with transaction(svc.sessions) as session:
        (absence,) = absences.office_absences(session, "sudbury", until_after=svc.clock.now())
        absences.end_absence(session, SAM, "casey", absence.id, svc.clock.now())


def race(svc: Services, clock: Any, held_open: Callable[[Round], None], rounds: int) -> list:
    landed: list[tuple[int, str]] = []
    for number in range(rounds):
        race = Round(svc, number)
        own_cases(svc, race.keys)
        held_open(race)
        race.run()
        where = assignees(svc, race.keys)
        assert sorted(where) == sorted(race.keys)  # every case opened its task
        landed += [(number, key) for key, who in where.items() if who == "casey"]
        assert {who for who in where.values()} <= {"casey", "cole"}
        end_casey_absence(svc)
        clock.advance(minutes=5)
    return landed


def test_no_new_task_lands_on_a_worker_whose_absence_is_being_recorded(svc, clock, held_open):
    assert race(svc, clock, held_open, rounds=2) == []


@pytest.mark.slow
def test_twenty_rounds_of_the_race_leave_nothing_with_the_absent_worker(svc, clock, held_open):
    assert race(svc, clock, held_open, rounds=20) == []


def test_the_scheduler_moves_work_left_with_someone_away_but_not_what_they_took(svc, clock):
    own_cases(svc, ["LEFT-1", "TAKEN-1"])
    for key in ("LEFT-1", "TAKEN-1"):
        request = commands.StartRequest(process_id="casework", business_key=key, data={})
        commands.start_instance(svc, CASEY, request)
    now = clock.now()
    request = absences.AbsenceRequest("casey", now, now + timedelta(days=1), "cole", "sick")
    with transaction(svc.sessions) as session:
        absences.add_absence(session, SAM, request, now)
    clock.advance(minutes=1)
    with transaction(svc.sessions) as session:  # as a command that raced the absence would
        left, taken = (
            session.scalars(select(HumanTask).where(HumanTask.business_key == key)).one()
            for key in ("LEFT-1", "TAKEN-1")
        )
        left.assignee, left.claimed_by, left.claimed_at = "casey", "system", now
        # casey, though away, took this one herself: hers to keep
        taken.assignee, taken.claimed_by, taken.claimed_at = "casey", "casey", clock.now()

    timers.tick(svc)

    assert assignees(svc, ["LEFT-1", "TAKEN-1"]) == {"LEFT-1": "cole", "TAKEN-1": "casey"}
    with svc.sessions() as session:
        moves = session.scalar(
            select(func.count()).select_from(HumanTask).where(HumanTask.assignee == "cole")
        )
    assert moves == 1
