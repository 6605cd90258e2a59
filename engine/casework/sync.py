"""Write a runtime Outcome back: instance state plus the derived index rows, in the caller's
transaction, so rows and state can never disagree."""

from __future__ import annotations

import json
import zlib
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session

from engine.audit import record
from engine.casework.external_sync import sync_external
from engine.deadlines.basis import STOPPED
from engine.deadlines.tracking import Where, close_deadlines, open_deadlines, track_pauses
from engine.definitions.routing import Placement, Routing, place, queue_key
from engine.runtime import HumanTaskView, Outcome, TimerView
from engine.statuses import FINISHED_INSTANCE_STATUSES, ClosedReason, TaskStatus
from engine.store.models import (
    Case,
    HumanTask,
    Incident,
    MessageWait,
    OutboxEntry,
    ProcessInstance,
    TaskDraft,
    Timer,
)
from engine.supervision.four_eyes import route_four_eyes
from engine.supervision.moves import SYSTEM_ACTOR
from engine.supervision.routing import route_new_task

# A user task property naming the boundary timer that is its deadline (docs/timers.md).
DUE_TIMER = "dueTimer"
# An instance's current index rows, read to compare with its new state (statements built once).
_OPEN_TASKS = select(HumanTask).where(
    HumanTask.instance_id == bindparam("instance_id"), HumanTask.status == TaskStatus.OPEN
)
_TIMERS = select(Timer).where(Timer.instance_id == bindparam("instance_id"))
_WAITS = select(MessageWait).where(MessageWait.instance_id == bindparam("instance_id"))


def pack_state(state: str) -> bytes:
    return zlib.compress(state.encode("utf-8"), 6)


def unpack_state(blob: bytes) -> str:
    return zlib.decompress(blob).decode("utf-8")


def apply_outcome(
    session: Session,
    instance: ProcessInstance,
    outcome: Outcome,
    *,
    actor: str,
    now: datetime,
    completed_task_id: str | None = None,
    submitted: Any = None,
    fresh: bool = False,
    no_timers: bool = False,
    no_waits: bool = False,
) -> None:
    """`fresh`: the instance was created in this transaction, so it has no rows to compare;
    `no_timers` / `no_waits`: the caller saw, under the instance's lock, that it has none."""
    instance.state = pack_state(outcome.state)
    instance.status = outcome.status
    instance.data_json = json.dumps(outcome.data, default=str)
    instance.updated_at = now
    if outcome.status in FINISHED_INSTANCE_STATUSES and instance.completed_at is None:
        instance.completed_at = now
    # The reads below look only at rows of earlier commands, so this command's changes are
    # flushed once, together, instead of before each read (a routed task is one INSERT, not an
    # INSERT and an UPDATE).
    with session.no_autoflush:
        fired, scheduled = _sync_timers(session, instance, outcome.timers, now, fresh or no_timers)
        _sync_tasks(
            session, instance, outcome, actor, now, completed_task_id, submitted, fired, fresh
        )
        _sync_waits(session, instance, outcome, fresh or no_waits)
        sync_external(session, instance, outcome, now, fresh)
    _sync_deadlines(session, instance, outcome, scheduled, actor, now)
    if outcome.incident is not None:
        incident = outcome.incident
        session.add(
            Incident(
                instance_id=instance.id,
                task_id=incident.task_id,
                task_name=incident.task_name,
                kind=incident.kind,
                message=incident.message[:4000],
                created_at=now,
            )
        )
        record(
            session,
            at=now,
            actor=actor,
            action="incident.open",
            instance_id=instance.id,
            task_id=incident.task_id,
            message=incident.message[:500],
        )
    for message in outcome.outbox:
        session.add(
            OutboxEntry(
                instance_id=instance.id,
                channel=message.channel,
                recipient=message.recipient,
                subject=message.subject,
                body=message.body,
                payload_json=json.dumps(dict(message.payload), default=str),
                created_at=now,
                office=instance.office,
                kind=message.kind or None,
                status="pending",
                attempts=0,
                next_attempt_at=now,
            )
        )
    if outcome.status in FINISHED_INSTANCE_STATUSES:
        record(
            session,
            at=now,
            actor=actor,
            action=f"instance.{outcome.status}",
            instance_id=instance.id,
        )


def _sync_tasks(
    session: Session,
    instance: ProcessInstance,
    outcome: Outcome,
    actor: str,
    now: datetime,
    completed_task_id: str | None,
    submitted: Any,
    fired: list[Timer],
    fresh: bool,
) -> None:
    escalated = {t.attached_to for t in fired if t.interrupting and t.attached_to}
    open_rows: dict[str, HumanTask] = (
        {}
        if fresh
        else {row.id: row for row in session.scalars(_OPEN_TASKS, {"instance_id": instance.id})}
    )
    dating = _dating_timers(outcome)
    for view in outcome.open_tasks:
        row = open_rows.pop(view.task_id, None)
        timer = dating.get(view.task_id)
        if row is None:
            row = _new_task(instance, view, now)
            _label_with_case(session, instance, row)
            _date_task(row, timer)
            row.excluded_users = _four_eyes(session, instance, view, actor, completed_task_id)
            session.add(row)
            if row.assignee is None:
                route_new_task(session, row, actor=actor, now=now)
                route_four_eyes(session, row, actor=actor, now=now)
            else:  # the diagram names the person (camunda:assignee, humanPerformer)
                record(
                    session,
                    at=now,
                    actor=actor,
                    action="task.route",
                    instance_id=instance.id,
                    task_id=row.id,
                    assignee=row.assignee,
                    reason="diagram",
                )
        elif timer is not None and not (timer.basis and row.deadline_id == timer.task_id):
            if not _stays_overdue(row, timer, now):
                _date_task(row, timer)
        # else: a deadline that fired without interrupting leaves the task overdue, not undated
    ended = [row.id for row in open_rows.values()]
    if ended:  # a draft of a task nobody can complete any more is dead weight
        session.execute(delete(TaskDraft).where(TaskDraft.task_id.in_(ended)))
    for row in open_rows.values():
        if row.id == completed_task_id:
            row.status = TaskStatus.COMPLETED
            row.completed_at = now
            row.completed_by = actor
            row.submitted_json = json.dumps(submitted, default=str)
        else:
            row.status = TaskStatus.CANCELLED
            row.completed_at = now
            row.closed_reason = (
                ClosedReason.ESCALATED if row.id in escalated else ClosedReason.CANCELLED
            )
            record(
                session,
                at=now,
                actor=actor,
                action="task.escalate" if row.id in escalated else "task.cancel",
                instance_id=instance.id,
                task_id=row.id,
                task_name=row.task_name,
            )


def _four_eyes(
    session: Session,
    instance: ProcessInstance,
    view: HumanTaskView,
    actor: str,
    completed_task_id: str | None,
) -> str | None:
    """Who may not act on this task: whoever completed the tasks its `fourEyesWith` names."""
    names = [n.strip() for n in view.properties.get("fourEyesWith", "").split(",") if n.strip()]
    if not names:
        return None
    people = set(
        session.scalars(
            select(HumanTask.completed_by).where(
                HumanTask.instance_id == instance.id,
                HumanTask.task_name.in_(names),
                HumanTask.completed_by.is_not(None),
            )
        )
    )
    if completed_task_id is not None:
        just_done = session.get(HumanTask, completed_task_id)
        if just_done is not None and just_done.task_name in names:
            people.add(actor)
    return ",".join(sorted(p for p in people if p)) or None


def _new_task(instance: ProcessInstance, view: HumanTaskView, now: datetime) -> HumanTask:
    form_key = view.properties.get("formKey") or _form_from_filename(
        view.properties.get("formJsonSchemaFilename")
    )
    placement = placement_of(view)
    queue, assignee = placement.queue, placement.assignee
    candidates = ",".join(placement.candidate_users)
    return HumanTask(
        id=view.task_id,
        instance_id=instance.id,
        process_id=instance.process_id,
        business_key=instance.business_key,
        office=instance.office,
        task_name=view.name,
        title=view.title,
        queue=queue,
        form_key=form_key,
        assignee=assignee,
        claimed_at=now if assignee else None,
        claimed_by=SYSTEM_ACTOR if assignee else None,
        candidate_users=f",{candidates}," if candidates else None,
        status=TaskStatus.OPEN,
        created_at=now,
        priority=view.priority,
        detail=view.detail,
    )


def placement_of(view: HumanTaskView) -> Placement:
    """Where an opening task goes: its stored routing, or for definitions deployed before
    routing was stored, its candidateGroups property or lane (caseworker when neither)."""
    if view.routing:
        return place(Routing.from_dict(view.routing))
    return Placement(queue_key(view.properties.get("candidateGroups") or view.lane or "caseworker"))


def _label_with_case(session: Session, instance: ProcessInstance, row: HumanTask) -> None:
    """The case key and client name ride on the task row: the inbox shows them without a join
    (the case is in the session's identity map after the first task, so this reads once)."""
    if instance.case_id is None:
        return
    case = session.get(Case, instance.case_id)
    if case is not None:
        row.case_key = case.key
        row.client_name = case.client_name or None


def _form_from_filename(name: str | None) -> str | None:
    if not name:
        return None
    return name.rsplit("/", 1)[-1].removesuffix(".json").removesuffix(".schema")


def _date_task(row: HumanTask, timer: TimerView | None) -> None:
    """A task's due time is its dating timer's; none while that deadline's clock is stopped."""
    if timer is None:
        row.due_at, row.deadline_id = None, None
        return
    row.due_at = None if timer.due_at >= STOPPED else timer.due_at
    row.deadline_id = timer.task_id


def _stays_overdue(row: HumanTask, timer: TimerView, now: datetime) -> bool:
    """An overdue task stays overdue: the reminders and escalation still waiting after its
    deadline fired do not give it a later due date."""
    return row.due_at is not None and row.due_at <= now < timer.due_at


def _dating_timers(outcome: Outcome) -> dict[str, TimerView]:
    """Each open task's deadline: the boundary timer its `dueTimer` property names, else one
    named `…deadline` (either way a reminder or escalation that keeps the worker is not mistaken
    for the deadline), else its earliest interrupting timer, else its earliest timer; a task
    with none of its own takes that of the innermost subprocess it runs in."""
    by_task: dict[str, list[TimerView]] = {}
    for timer in outcome.timers:
        if timer.attached_to:
            by_task.setdefault(timer.attached_to, []).append(timer)
    named = {view.task_id: view.properties.get(DUE_TIMER) for view in outcome.open_tasks}
    dating: dict[str, TimerView] = {}
    kept: set[str] = set()
    for task_id, attached in by_task.items():
        if named.get(task_id):  # once it fired, the task keeps the deadline it had
            chosen = [t for t in attached if t.name == named[task_id]]
            if chosen:
                dating[task_id] = chosen[0]
            else:
                kept.add(task_id)
            continue
        deadline = [t for t in attached if t.name.endswith("deadline")]
        interrupting = [t for t in attached if t.interrupting]
        dating[task_id] = min(deadline or interrupting or attached, key=lambda t: t.due_at)
    for view in outcome.open_tasks:
        if view.task_id not in dating and view.task_id not in kept:
            enclosing = next((dating[w] for w in view.within if w in dating), None)
            if enclosing is not None:
                dating[view.task_id] = enclosing
    return dating


def _sync_deadlines(
    session: Session,
    instance: ProcessInstance,
    outcome: Outcome,
    scheduled: list[TimerView],
    actor: str,
    now: datetime,
) -> None:
    """Deadline rows for new business-time timers; clock pauses for elements waiting on the
    client (engine/deadlines/tracking.py)."""
    with_basis = [t for t in scheduled if t.basis is not None]
    if not with_basis and not outcome.stops_clocks:
        return
    where = Where(instance.id, instance.office, instance.case_id, actor, now)
    calendar = outcome.calendar or (lambda: _no_calendar())
    created = open_deadlines(session, where, with_basis, calendar)
    if outcome.stops_clocks:
        track_pauses(session, where, outcome.pauses, created, calendar)


def _no_calendar() -> Any:
    raise RuntimeError("the outcome carries no office calendar")


def _sync_timers(
    session: Session,
    instance: ProcessInstance,
    timers: list[TimerView],
    now: datetime,
    fresh: bool,
) -> tuple[list[Timer], list[TimerView]]:
    """Make timer rows match the instance; returns the rows that went away having fallen due,
    and the timers scheduled in this command."""
    existing: dict[str, Timer] = (
        {}
        if fresh
        else {row.id: row for row in session.scalars(_TIMERS, {"instance_id": instance.id})}
    )
    wanted = {t.task_id: t for t in timers}
    stale = [tid for tid in existing if tid not in wanted]
    if stale:
        session.execute(delete(Timer).where(Timer.id.in_(stale)))
        close_deadlines(session, stale)
    fired = [existing[tid] for tid in stale if existing[tid].due_at <= now]
    scheduled = []
    for task_id, timer in wanted.items():
        row = existing.get(task_id)
        if row is None:
            scheduled.append(timer)
            session.add(
                Timer(
                    id=task_id,
                    instance_id=instance.id,
                    task_name=timer.name,
                    due_at=timer.due_at,
                    attached_to=timer.attached_to,
                    interrupting=timer.interrupting,
                )
            )
        elif row.due_at != timer.due_at and timer.basis is None:
            # A business-time deadline's row is moved only by engine/deadlines (a calendar
            # change, a stopped clock): this command ran on the due time it read at load,
            # which a concurrent calendar change may since have moved.
            row.due_at = timer.due_at
    return fired, scheduled


def _sync_waits(session: Session, instance: ProcessInstance, outcome: Outcome, fresh: bool) -> None:
    existing: dict[str, MessageWait] = (
        {}
        if fresh
        else {row.id: row for row in session.scalars(_WAITS, {"instance_id": instance.id})}
    )
    wanted = {w.task_id: w for w in outcome.message_waits}
    stale = set(existing) - set(wanted)
    if stale:
        session.execute(delete(MessageWait).where(MessageWait.id.in_(stale)))
    for task_id, wait in wanted.items():
        row = existing.get(task_id)
        if row is None:
            session.add(
                MessageWait(
                    id=task_id,
                    instance_id=instance.id,
                    message_name=wait.message_name,
                    correlation=wait.correlation,
                )
            )
        elif row.correlation != wait.correlation:
            row.correlation = wait.correlation
