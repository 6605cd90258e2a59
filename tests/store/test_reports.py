"""The service-standards report counts what a supervisor would count by hand, on both databases.

The counting happens in SQL (and the median, on PostgreSQL), so each rule is pinned here: open
and overdue as of now, on time and late by the deadline, escalations, the window, the office.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from engine.identity.users import Principal
from engine.services import Services
from engine.store.db import transaction
from engine.store.models import Definition, HumanTask, ProcessInstance
from engine.supervision.reports import service_standards

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
SINCE = NOW - timedelta(days=28)
SUPERVISOR = Principal("sam", "sudbury", frozenset({"supervisor"}))
ADMIN = Principal("ada", "sudbury", frozenset({"admin"}))
H = timedelta(hours=1)


def _seed(session: Session) -> None:
    definition = Definition(
        process_id="p",
        version=1,
        name="p",
        sha256="0" * 64,
        spec_json="{}",
        created_at=NOW,
        created_by="dana",
    )
    session.add(definition)
    session.flush()
    session.add(
        ProcessInstance(
            id="i-1",
            definition_id=definition.id,
            process_id="p",
            version=1,
            business_key="k",
            office="sudbury",
            status="waiting",
            state=b"",
            data_json="{}",
            started_by="ira",
            created_at=NOW,
            updated_at=NOW,
        )
    )
    session.flush()
    rows = [
        # (id, office, task, status, created, due, closed, reason)
        ("open-overdue", "sudbury", "assess", "open", NOW - 50 * H, NOW - H, None, None),
        ("open-later", "sudbury", "assess", "open", NOW - 2 * H, NOW + H, None, None),
        ("open-undated", "sudbury", "assess", "open", NOW - 2 * H, None, None, None),
        ("on-time", "sudbury", "assess", "completed", NOW - 30 * H, NOW, NOW - 20 * H, None),
        ("late", "sudbury", "assess", "completed", NOW - 40 * H, NOW - 30 * H, NOW - 20 * H, None),
        ("undated", "sudbury", "assess", "completed", NOW - 9 * H, None, NOW - 4 * H, None),
        (
            "escalated",
            "sudbury",
            "assess",
            "cancelled",
            NOW - 9 * H,
            NOW - 5 * H,
            NOW - 5 * H,
            "escalated",
        ),
        (
            "cancelled",
            "sudbury",
            "assess",
            "cancelled",
            NOW - 9 * H,
            None,
            NOW - 2 * H,
            "cancelled",
        ),
        ("too-old", "sudbury", "assess", "completed", NOW - 800 * H, None, NOW - 700 * H, None),
        ("review", "sudbury", "review", "completed", NOW - 3 * H, NOW, NOW - H, None),
        ("elsewhere", "ottawa", "assess", "open", NOW - 50 * H, NOW - H, None, None),
    ]
    for task_id, office, name, status, created, due, closed, reason in rows:
        session.add(
            HumanTask(
                id=task_id,
                instance_id="i-1",
                process_id="p",
                business_key="k",
                office=office,
                task_name=name,
                title=name.title(),
                queue="caseworker",
                status=status,
                created_at=created,
                due_at=due,
                completed_at=closed,
                closed_reason=reason,
            )
        )


def test_each_rule_is_counted_once(svc: Services) -> None:
    with transaction(svc.sessions) as session:
        _seed(session)
    with svc.sessions() as session:
        lines = service_standards(session, SUPERVISOR, now=NOW, since=SINCE, until=NOW)
        everywhere = service_standards(session, ADMIN, now=NOW, since=SINCE, until=NOW)
    by_task = {line.task_name: line.as_dict() for line in lines}
    assert by_task["assess"] == {
        "queue": "caseworker",
        "process_id": "p",
        "task_name": "assess",
        "title": "Assess",
        "open": 3,
        "overdue": 1,
        "completed_on_time": 1,
        "completed_late": 1,
        "completed_no_standard": 1,  # undated: no standard, not "on time"
        "escalated": 1,
        # completions took 10 h (on time), 20 h (late) and 5 h (undated): the median is 10 h
        "median_hours_to_complete": 10.0,
        # no business-time deadline and no stopped clock: the same figures either way
        "completed_on_time_without_pauses": 1,
        "completed_late_without_pauses": 1,
        "paused_business_hours": 0.0,
        "median_business_hours_to_complete": None,
        "median_business_hours_net_of_pauses": None,
    }
    assert by_task["review"]["completed_on_time"] == 1
    assert by_task["review"]["open"] == 0
    assert by_task["review"]["median_hours_to_complete"] == 2.0
    assessed = [line for line in everywhere if line.task_name == "assess"]
    assert [line.as_dict()["open"] for line in assessed] == [4]  # admin: both offices
