"""Writing many deadline moves on PostgreSQL at once: the computed due times are COPYed into a
temporary table, then each table changes in one set-based statement joined to it (deadline,
timer, the open tasks each deadline dates) and the audit rows are one INSERT … SELECT, one
per task. 100,000 moves are a handful of statements, in the caller's transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

_TEMP = """
CREATE TEMPORARY TABLE IF NOT EXISTS caseway_moved_deadline (
  timer_id varchar(36) PRIMARY KEY, instance_id varchar(36) NOT NULL,
  due timestamptz NOT NULL, fresh timestamptz NOT NULL, detail text
) ON COMMIT DROP
"""
_DATED = """
SELECT m.timer_id, h.id, h.title, h.case_key
FROM caseway_moved_deadline m
JOIN human_task h
  ON h.instance_id = m.instance_id AND h.deadline_id = m.timer_id AND h.status = 'open'
WHERE m.detail IS NOT NULL
ORDER BY m.timer_id, h.id
"""
_DEADLINES = """
UPDATE deadline d SET due_at = m.due, due_without_pauses = m.fresh, calendar_version = :version
FROM caseway_moved_deadline m WHERE d.timer_id = m.timer_id
"""
_TIMERS = """
UPDATE timer t SET due_at = m.due
FROM caseway_moved_deadline m WHERE t.id = m.timer_id AND m.detail IS NOT NULL
"""
_AUDIT = """
INSERT INTO audit_event (at, actor, action, instance_id, task_id, case_id, detail_json)
SELECT :now, :actor, :action, m.instance_id, h.id, p.case_id, m.detail
FROM caseway_moved_deadline m
JOIN process_instance p ON p.id = m.instance_id
LEFT JOIN human_task h
  ON h.instance_id = m.instance_id AND h.deadline_id = m.timer_id AND h.status = 'open'
WHERE m.detail IS NOT NULL
ORDER BY m.timer_id, h.id
"""
_TASKS = """
UPDATE human_task h SET due_at = m.due
FROM caseway_moved_deadline m
WHERE h.instance_id = m.instance_id AND h.deadline_id = m.timer_id AND h.status = 'open'
  AND m.detail IS NOT NULL
"""


def stage(
    session: Session,
    computed: Sequence[tuple[str, str, datetime, datetime]],
    details: Mapping[str, str],
) -> None:
    """`computed`: (timer id, instance id, due, due without pauses) of every deadline whose
    figures changed; `details`: the audit detail of those that move (a stopped clock's
    deadline changes silently: its timer stays parked). The table goes at commit."""
    session.execute(text(_TEMP))
    session.execute(text("TRUNCATE caseway_moved_deadline"))
    cursor = session.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    columns = "timer_id, instance_id, due, fresh, detail"
    with cursor.copy(f"COPY caseway_moved_deadline ({columns}) FROM STDIN") as copy:
        for timer_id, instance_id, due, fresh in computed:
            copy.write_row((timer_id, instance_id, due, fresh, details.get(timer_id)))
    session.execute(text("ANALYZE caseway_moved_deadline"))


def staged_dated_tasks(session: Session) -> dict[str, list[tuple[str, str, str | None]]]:
    """The open tasks each staged deadline dates: (task id, title, case key) by timer id."""
    found: dict[str, list[tuple[str, str, str | None]]] = {}
    for timer_id, task_id, title, case_key in session.execute(text(_DATED)):
        found.setdefault(timer_id, []).append((task_id, title, case_key))
    return found


def apply_staged(session: Session, version: str, *, now: datetime, actor: str, action: str) -> None:
    session.execute(text(_DEADLINES), {"version": version})
    session.execute(text(_TIMERS))
    session.execute(text(_AUDIT), {"now": now, "actor": actor, "action": action})
    session.execute(text(_TASKS))
