"""Moving open deadlines when an office's calendar changes (a closure added or removed).

Every open business-time deadline of the office that the change can reach is computed again
from its basis on the new calendar; those whose due time changes move, with their timer rows
and the due times of the open tasks they date, in the caller's transaction, written in
batches (one statement per table per batch), and one audit row per task ("deadline moved
from … to … by closure 2027-01-15: ice storm"). A dry run computes the same list and writes
nothing. Deadlines already due (their timers fired, or fire on the next tick) are not
touched: a fired timer is never un-fired. A stopped clock's deadline is computed again too,
silently: it has no due time to show until its clock restarts.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import bindparam, insert, or_, select, text, update
from sqlalchemy.orm import Session

from engine.deadlines.basis import Basis, calendar_version, due_without_pauses, pushed
from engine.deadlines.bulk_pg import apply_staged, stage, staged_dated_tasks
from engine.deadlines.calendar import OfficeCalendar
from engine.store.models import AuditEvent, Deadline, HumanTask, ProcessInstance, Timer

BATCH = 2_000
MOVE_ACTION = "deadline.move"


@dataclass(frozen=True)
class Move:
    """One deadline that moves, and the open tasks it dates."""

    timer_id: str
    instance_id: str
    timer_name: str
    before: datetime
    after: datetime
    tasks: tuple[tuple[str, str, str | None], ...] = ()  # (task id, title, case key)

    def as_dict(self) -> dict[str, Any]:
        return {
            "timer_id": self.timer_id,
            "instance_id": self.instance_id,
            "timer_name": self.timer_name,
            "from": self.before,
            "to": self.after,
            "tasks": [{"id": t, "title": title, "case_key": key} for t, title, key in self.tasks],
        }


@dataclass
class _Row:
    timer_id: str
    instance_id: str
    timer_name: str
    basis: Basis
    paused_hours: float
    paused: bool
    due_at: datetime
    due_without_pauses: datetime


def recompute(
    session: Session,
    office: str,
    calendar: OfficeCalendar,
    *,
    now: datetime,
    cause: str,
    actor: str,
    dry_run: bool,
    near: date | None = None,
) -> list[Move]:
    """Move the office's open deadlines to `calendar`; `near`: only those a change of that one
    day can reach. Returns the moves (the same list whether or not it is a dry run)."""
    version = calendar_version(calendar)
    if not dry_run:
        serialize_calendar_changes(session, office)
    rows = _candidates(session, office, now, near)
    moves: list[Move] = []
    changed: list[tuple[_Row, datetime, datetime]] = []
    for row in rows:
        fresh = due_without_pauses(calendar, row.basis)
        due = pushed(calendar, fresh, row.paused_hours)
        if fresh == row.due_without_pauses and due == row.due_at:
            continue
        changed.append((row, fresh, due))
    if session.get_bind().dialect.name == "postgresql":
        return _on_postgres(
            session, changed, version, now=now, cause=cause, actor=actor, dry_run=dry_run
        )
    for batch in _batches(changed):
        dated = _dated_tasks(session, [row for row, _f, _d in batch])
        moved = [
            Move(
                row.timer_id,
                row.instance_id,
                row.timer_name,
                row.due_at,
                due,
                tuple(dated.get(row.timer_id, ())),
            )
            for row, _fresh, due in batch
            if not row.paused
        ]
        moves.extend(moved)
        if not dry_run:
            _write(session, batch, moved, version, now=now, cause=cause, actor=actor)
    return moves


def _on_postgres(
    session: Session,
    changed: Sequence[tuple[_Row, datetime, datetime]],
    version: str,
    *,
    now: datetime,
    cause: str,
    actor: str,
    dry_run: bool,
) -> list[Move]:
    """Stage the computed rows in a temporary table (bulk_pg.py), read the tasks they date in
    one join, and (unless a dry run) apply them set-based."""
    if not changed:
        return []
    bare = {
        row.timer_id: Move(row.timer_id, row.instance_id, row.timer_name, row.due_at, due)
        for row, _fresh, due in changed
        if not row.paused
    }
    details = {timer_id: move_detail(move, cause) for timer_id, move in bare.items()}
    computed = [(row.timer_id, row.instance_id, due, fresh) for row, fresh, due in changed]
    stage(session, computed, details)
    dated = staged_dated_tasks(session)
    moves = [dataclasses.replace(m, tasks=tuple(dated.get(t, ()))) for t, m in bare.items()]
    if not dry_run:
        apply_staged(session, version, now=now, actor=actor, action=MOVE_ACTION)
    return moves


def serialize_calendar_changes(session: Session, office: str) -> None:
    """Two calendar changes of one office run one after the other (PostgreSQL: a transaction
    advisory lock; SQLite serializes writers anyway), so neither computes on a calendar
    without the other's day. Commands are not blocked: they never rewrite a deadline's due
    time (casework/sync.py leaves it to this module and tracking.py)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
            {"key": f"caseway-calendar:{office}"},
        )


def _candidates(session: Session, office: str, now: datetime, near: date | None) -> list[_Row]:
    query = select(
        Deadline.timer_id,
        Deadline.instance_id,
        Deadline.timer_name,
        Deadline.start_at,
        Deadline.amount,
        Deadline.unit,
        Deadline.paused_hours,
        Deadline.paused_since,
        Deadline.due_at,
        Deadline.due_without_pauses,
    ).where(
        Deadline.office == office,
        Deadline.status == "open",
        or_(Deadline.due_at > now, Deadline.paused_since.is_not(None)),
    )
    if near is not None:
        # A day can move a deadline only if its count runs over that day: started before the
        # day ends and due after it begins (a day either side covers any office time zone).
        day = datetime.combine(near, time(), tzinfo=UTC)
        query = query.where(
            Deadline.start_at < day + timedelta(days=2),
            or_(Deadline.due_at >= day - timedelta(days=1), Deadline.paused_since.is_not(None)),
        )
    return [
        _Row(
            r.timer_id,
            r.instance_id,
            r.timer_name,
            Basis(r.start_at, r.amount, r.unit),
            r.paused_hours or 0.0,
            r.paused_since is not None,
            r.due_at,
            r.due_without_pauses,
        )
        for r in session.execute(query)
    ]


def _batches(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), BATCH):
        yield items[start : start + BATCH]


def _dated_tasks(
    session: Session, rows: Sequence[_Row]
) -> dict[str, list[tuple[str, str, str | None]]]:
    """The open tasks each deadline dates (found through their instances, which are indexed)."""
    wanted = {row.timer_id for row in rows}
    instances = sorted({row.instance_id for row in rows})
    found: dict[str, list[tuple[str, str, str | None]]] = {}
    for task_id, title, case_key, deadline_id in session.execute(
        select(HumanTask.id, HumanTask.title, HumanTask.case_key, HumanTask.deadline_id).where(
            HumanTask.instance_id.in_(instances), HumanTask.status == "open"
        )
    ):
        if deadline_id in wanted:
            found.setdefault(deadline_id, []).append((task_id, title, case_key))
    return found


def _write(
    session: Session,
    batch: Sequence[tuple[_Row, datetime, datetime]],
    moved: Sequence[Move],
    version: str,
    *,
    now: datetime,
    cause: str,
    actor: str,
) -> None:
    """SQLite: a few executemany statements per batch (PostgreSQL: bulk_pg.copy_moves)."""
    _set_many(
        session,
        Deadline,
        Deadline.timer_id,
        [(row.timer_id, due, fresh) for row, fresh, due in batch],
        constants={"calendar_version": version},
        due=Deadline.due_at,
        fresh=Deadline.due_without_pauses,
    )
    if not moved:
        return
    _set_many(session, Timer, Timer.id, [(m.timer_id, m.after) for m in moved], due=Timer.due_at)
    dated = [(t[0], m.after) for m in moved for t in m.tasks]
    if dated:
        _set_many(session, HumanTask, HumanTask.id, dated, due=HumanTask.due_at)
    cases: dict[str, int | None] = {
        instance_id: case_id
        for instance_id, case_id in session.execute(
            select(ProcessInstance.id, ProcessInstance.case_id).where(
                ProcessInstance.id.in_(sorted({m.instance_id for m in moved}))
            )
        )
    }
    session.execute(insert(AuditEvent), list(_audit_rows(moved, cases, now, cause, actor)))


def _set_many(
    session: Session,
    model: Any,
    key: Any,
    rows: list[tuple[Any, ...]],
    constants: dict[str, Any] | None = None,
    **targets: Any,
) -> None:
    """Set columns of many rows by key, as one executemany."""
    names = list(targets)
    statement = (
        update(model.__table__)
        .where(key == bindparam("b_k"))
        .values({**(constants or {}), **{targets[n].key: bindparam(f"b_{n}") for n in names}})
    )
    params = [
        {"b_k": r[0], **{f"b_{n}": v for n, v in zip(names, r[1:], strict=True)}} for r in rows
    ]
    session.execute(statement, params)


def move_detail(move: Move, cause: str) -> str:
    """The audit detail of a move, as engine.audit.record writes details."""
    return json.dumps(
        {
            "cause": cause,
            "from": move.before.isoformat(),
            "timer": move.timer_name,
            "to": move.after.isoformat(),
        },
        sort_keys=True,
    )


def _audit_rows(
    moved: Sequence[Move], cases: dict[str, int | None], now: datetime, cause: str, actor: str
) -> Iterator[dict[str, Any]]:
    for move in moved:
        detail = move_detail(move, cause)
        task_ids: list[str | None] = [t[0] for t in move.tasks]
        for task_id in task_ids or [None]:
            yield {
                "at": now,
                "actor": actor,
                "action": MOVE_ACTION,
                "instance_id": move.instance_id,
                "task_id": task_id,
                "case_id": cases.get(move.instance_id),
                "detail_json": detail,
            }
