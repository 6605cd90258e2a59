"""A closure added or removed moves exactly the open deadlines it reaches, audited, and the
dry run lists the same moves first (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from engine.casework import timers
from engine.casework.commands import StartRequest, start_instance
from engine.casework.consistency import check_instances
from engine.identity.users import Principal
from engine.store.models import AuditEvent, HumanTask, Timer
from tests.api.helpers import FIXTURES, upload

CASEY = Principal("casey", "sudbury", frozenset({"caseworker"}))
ON_THE_DAY, BEFORE, AFTER, FIRED = 300, 15, 15, 10
STORM = "2027-01-15"  # a Friday


def _start(svc, key: str, received: str) -> None:
    start_instance(svc, CASEY, StartRequest("closure_deadline", key, {"received_at": received}))


@pytest.fixture
def office(api, svc, clock):
    """Open 'decide' tasks in sudbury: 300 due on the storm day, some due the day before, some
    starting after it, and some whose deadline already fired."""
    upload(api.as_("dana"), FIXTURES / "closure_deadline.bpmn")
    clock.set(datetime(2027, 1, 1, 15, 0, tzinfo=UTC))
    for i in range(FIRED):
        _start(svc, f"F-{i}", "2027-01-04T10:00:00")  # due Fri 2027-01-08
    clock.set(datetime(2027, 1, 12, 15, 0, tzinfo=UTC))
    timers.tick(svc)
    for i in range(ON_THE_DAY):
        _start(svc, f"D-{i}", f"2027-01-11T09:{i % 60:02d}:00")  # 4 days on: Fri the 15th
    for i in range(BEFORE):
        _start(svc, f"B-{i}", "2027-01-08T10:00:00")  # due Thu the 14th
    for i in range(AFTER):
        _start(svc, f"A-{i}", "2027-01-18T10:00:00")  # due Fri the 22nd
    return api


def _dues(svc) -> dict[str, datetime | None]:
    with svc.sessions() as session:
        rows = session.execute(
            select(HumanTask.business_key, HumanTask.due_at).where(
                HumanTask.task_name == "decide", HumanTask.status == "open"
            )
        )
        return {k: v for k, v in rows}


def _delete(api, path: str):
    return api.client.delete(path, headers=api.as_("sam").headers)


def test_a_closure_moves_exactly_the_deadlines_due_that_day(office, svc):
    before = _dues(svc)
    path = "/api/offices/sudbury/closures"
    body = {"day": STORM, "reason": "ice storm"}

    preview = office.as_("sam").post(f"{path}?dry_run=true", json=body)
    saved = office.as_("sam").post(path, json=body)

    assert preview.status_code == 200 and saved.status_code == 201
    assert preview.json["moved"] == saved.json["moved"] == ON_THE_DAY
    assert _moves(preview.json) == _moves(saved.json)
    after = _dues(svc)
    moved = {key for key in before if before[key] != after[key]}
    assert moved == {f"D-{i}" for i in range(ON_THE_DAY)}
    sample = after["D-7"]
    assert sample is not None and sample.date().isoformat() == "2027-01-18"  # next Monday
    with svc.sessions() as session:
        audits = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "deadline.move")
        ).all()
        timer_dues = {t.instance_id: t.due_at for t in session.scalars(select(Timer))}
        tasks = {t.id: t for t in session.scalars(select(HumanTask))}
    assert len(audits) == ON_THE_DAY
    detail = json.loads(audits[0].detail_json)
    assert detail["cause"] == "closure 2027-01-15: ice storm"
    assert tasks[audits[0].task_id].due_at.isoformat() == detail["to"]
    assert sorted(timer_dues.values()) == sorted(d for d in after.values() if d is not None)


def test_removing_the_closure_moves_them_back(office, svc):
    before = _dues(svc)
    office.as_("sam").post("/api/offices/sudbury/closures", json={"day": STORM, "reason": "ice"})

    preview = _delete(office, f"/api/offices/sudbury/closures/{STORM}?dry_run=true")
    removed = _delete(office, f"/api/offices/sudbury/closures/{STORM}")

    assert preview.status_code == 200 and preview.json["moved"] == ON_THE_DAY
    assert removed.status_code == 204
    assert _dues(svc) == before


def test_fired_deadlines_are_not_unfired(office, svc):
    before = _dues(svc)

    added = office.as_("sam").post(
        "/api/offices/sudbury/closures", json={"day": "2027-01-05", "reason": "water leak"}
    )

    with svc.sessions() as session:
        follow_ups = session.scalars(
            select(HumanTask).where(HumanTask.task_name == "follow_up")
        ).all()
        escalated = session.scalars(
            select(HumanTask).where(HumanTask.closed_reason == "escalated")
        ).all()
    assert len(follow_ups) == len(escalated) == FIRED  # the fired deadlines stay fired
    assert added.json["moved"] == 0  # the open ones all count from after the 5th
    assert _dues(svc) == before


def test_a_moved_deadline_fires_at_its_new_time(office, svc, clock):
    office.as_("sam").post("/api/offices/sudbury/closures", json={"day": STORM, "reason": "ice"})

    clock.set(datetime(2027, 1, 16, 12, 0, tzinfo=UTC))  # the old due time has passed
    timers.tick(svc)
    assert "D-0" in _dues(svc)
    clock.set(datetime(2027, 1, 18, 17, 0, tzinfo=UTC))  # Monday, past 09:00 Toronto
    timers.tick(svc)
    assert "D-0" not in _dues(svc)


def _moves(body: dict) -> list[tuple[str, str, str]]:
    return sorted((m["timer_id"], m["from"], m["to"]) for m in body["moves"])


def test_moved_deadlines_agree_with_caseway_check(office, svc):
    office.as_("sam").post("/api/offices/sudbury/closures", json={"day": STORM, "reason": "ice"})

    report = check_instances(svc)

    assert report.disagreements == []
