"""External tasks as commands (Camunda 7's fetch-and-lock): fetch, complete, fail, throw a BPMN
error, extend or give up a lock. Each is one transaction and leaves an audit row.

A worker sees only its own office's tasks, of the topics its token names. Locks expire: a task
whose lock ran out is fetched again. Retries reaching 0 open an incident on the instance; the
task is then not fetched until someone retries the instance (`POST /api/instances/{id}/retry`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine import policy
from engine.audit import record
from engine.casework.commands import (
    _guarded,
    _lock_instance,
    _run,
    _save,
    _spec_by_id,
    fire_due_timers,
)
from engine.casework.sync import unpack_state
from engine.errors import ExternalTaskLockRefused, Forbidden, NotFound
from engine.identity.users import Principal
from engine.services import Services
from engine.store.models import ExternalTask, Incident, ProcessInstance

POLL_SECONDS = 0.5  # how often a long poll looks again
MAX_WAIT_MS = 30_000  # Camunda's own ceiling: 30 minutes; ours: 30 s, so threads come back


@dataclass(frozen=True)
class Worker:
    """Who fetches: the token's principal, the topics the token names, and the worker id the
    client gave (several processes may share one token; each names itself)."""

    principal: Principal
    topics: frozenset[str]
    worker_id: str


@dataclass(frozen=True)
class TopicRequest:
    name: str
    lock_ms: int
    variables: list[str] | None = None


@dataclass(frozen=True)
class LockedTask:
    row: ExternalTask
    definition_version: int
    variables: dict[str, Any] = field(default_factory=dict)


def fetch_and_lock(
    svc: Services,
    worker: Worker,
    topics: list[TopicRequest],
    *,
    max_tasks: int,
    use_priority: bool = False,
    wait_ms: int = 0,
) -> list[LockedTask]:
    """Lock up to `max_tasks` fetchable tasks; with `wait_ms`, look again every half second
    (sleeping through the clock, so tests move time) until one turns up or the wait is over."""
    refusal = policy.fetch_refusal(worker.principal, worker.topics, [t.name for t in topics])
    if refusal is not None:
        raise refusal
    sleep = _sleeper(svc)
    waited = 0.0
    limit = min(max(wait_ms, 0), MAX_WAIT_MS) / 1000
    while True:
        locked = _fetch_once(svc, worker, topics, max_tasks, use_priority)
        if locked or waited >= limit or max_tasks <= 0:
            return locked
        step = min(POLL_SECONDS, limit - waited)
        sleep(step)
        waited += step


def _sleeper(svc: Services) -> Callable[[float], None]:
    """The clock's sleep when it has one (a test clock moves instead of sleeping)."""
    sleep = getattr(svc.clock, "sleep", None)
    return sleep if callable(sleep) else time.sleep


def _fetch_once(
    svc: Services, worker: Worker, topics: list[TopicRequest], max_tasks: int, use_priority: bool
) -> list[LockedTask]:
    now = svc.clock.now()
    by_name = {t.name: t for t in topics}
    with _guarded(svc) as session:
        query = (
            select(ExternalTask)
            .where(
                ExternalTask.office == worker.principal.office,
                ExternalTask.topic.in_(sorted(by_name)),
                or_(ExternalTask.retries.is_(None), ExternalTask.retries > 0),
                or_(ExternalTask.lock_expires_at.is_(None), ExternalTask.lock_expires_at <= now),
            )
            .limit(max_tasks)
            .with_for_update(skip_locked=True)
        )
        order: list[Any] = [ExternalTask.created_at, ExternalTask.id]
        if use_priority:
            order.insert(0, ExternalTask.priority.desc())
        rows = list(session.scalars(query.order_by(*order)))
        if not rows:
            return []
        instances = {
            i.id: i
            for i in session.scalars(
                select(ProcessInstance).where(
                    ProcessInstance.id.in_(sorted({r.instance_id for r in rows}))
                )
            )
        }
        locked = []
        for row in rows:
            topic = by_name[row.topic]
            row.worker_id = worker.worker_id
            row.lock_expires_at = now + timedelta(milliseconds=topic.lock_ms)
            instance = instances[row.instance_id]
            record(
                session,
                at=now,
                actor=worker.principal.username,
                action="external_task.lock",
                instance_id=row.instance_id,
                task_id=row.id,
                topic=row.topic,
                worker_id=worker.worker_id,
                lock_expires_at=row.lock_expires_at.isoformat(),
            )
            data = json.loads(instance.data_json or "{}")
            if topic.variables is not None:
                data = {k: v for k, v in data.items() if k in topic.variables}
            locked.append(LockedTask(row, instance.version, data))
        session.flush()
        for item in locked:
            session.expunge(item.row)
        return locked


def complete(
    svc: Services,
    worker: Worker,
    task_id: str,
    variables: dict[str, Any],
    local_variables: dict[str, Any] | None = None,
) -> None:
    """The worker did the work: its variables join the case data and the process moves on.

    Local variables are accepted and not kept: Caseway has one data scope per path, and Camunda
    too drops a task's local variables at completion unless an output mapping copies them.
    """
    instance_id = _instance_of(svc, worker, task_id)
    fire_due_timers(svc, instance_id)  # a deadline that passed wins over a late completion
    now = svc.clock.now()
    with _guarded(svc) as session:
        instance, row = _locked(session, worker, task_id)
        _held_by(row, worker, "completed")
        outcome = svc.runtime.complete_external(
            _spec_by_id(svc, session, instance.definition_id),
            unpack_state(instance.state),
            row.id,
            variables,
            _run(svc, session, instance),
        )
        record(
            session,
            at=now,
            actor=worker.principal.username,
            action="external_task.complete",
            instance_id=instance.id,
            task_id=row.id,
            topic=row.topic,
            worker_id=worker.worker_id,
            variables=sorted(variables),
            local_variables=sorted(local_variables or {}),
        )
        _save(svc, session, instance, outcome, actor=worker.principal.username, now=now)


def fail(
    svc: Services,
    worker: Worker,
    task_id: str,
    *,
    message: str | None,
    details: str | None,
    retries: int,
    retry_timeout_ms: int,
) -> None:
    """The worker could not do it: it says how many retries are left and when to try again.
    At 0 retries the instance gets an incident and the task is not fetched any more."""
    now = svc.clock.now()
    with _guarded(svc) as session:
        instance, row = _locked(session, worker, task_id)
        _held_by(row, worker, "failed")
        row.retries = max(retries, 0)
        row.error_message = message
        row.error_details = details
        row.lock_expires_at = (
            now + timedelta(milliseconds=retry_timeout_ms) if retry_timeout_ms > 0 else None
        )
        record(
            session,
            at=now,
            actor=worker.principal.username,
            action="external_task.failure",
            instance_id=instance.id,
            task_id=row.id,
            topic=row.topic,
            worker_id=worker.worker_id,
            retries=row.retries,
            message=(message or "")[:500],
        )
        if row.retries == 0:
            _open_incident(session, instance, row, message or "the worker reported a failure", now)


def throw_bpmn_error(
    svc: Services,
    worker: Worker,
    task_id: str,
    *,
    code: str,
    message: str | None,
    variables: dict[str, Any],
) -> None:
    """A business outcome the diagram handles (an error boundary event). When no event catches
    the code, the task stops being fetched and the instance gets an incident saying so."""
    instance_id = _instance_of(svc, worker, task_id)
    fire_due_timers(svc, instance_id)
    now = svc.clock.now()
    with _guarded(svc) as session:
        instance, row = _locked(session, worker, task_id)
        _held_by(row, worker, "given a BPMN error")
        outcome = svc.runtime.external_error(
            _spec_by_id(svc, session, instance.definition_id),
            unpack_state(instance.state),
            row.id,
            code,
            variables,
            _run(svc, session, instance),
        )
        record(
            session,
            at=now,
            actor=worker.principal.username,
            action="external_task.bpmn_error",
            instance_id=instance.id,
            task_id=row.id,
            topic=row.topic,
            worker_id=worker.worker_id,
            code=code,
            message=(message or "")[:500],
            caught=outcome is not None,
        )
        if outcome is not None:
            _save(svc, session, instance, outcome, actor=worker.principal.username, now=now)
            return
        row.retries = 0
        row.error_message = f"BPMN error {code!r} was not caught by any event" + (
            f": {message}" if message else ""
        )
        row.lock_expires_at = None
        _open_incident(session, instance, row, row.error_message, now)


def extend_lock(svc: Services, worker: Worker, task_id: str, new_duration_ms: int) -> None:
    now = svc.clock.now()
    with _guarded(svc) as session:
        instance, row = _locked(session, worker, task_id)
        _held_by(row, worker, "extended")
        if row.lock_expires_at is None or row.lock_expires_at <= now:
            raise ExternalTaskLockRefused(f"the lock on external task {task_id} has expired")
        row.lock_expires_at = now + timedelta(milliseconds=new_duration_ms)
        record(
            session,
            at=now,
            actor=worker.principal.username,
            action="external_task.extend_lock",
            instance_id=instance.id,
            task_id=row.id,
            worker_id=worker.worker_id,
            lock_expires_at=row.lock_expires_at.isoformat(),
        )


def unlock(svc: Services, worker: Worker, task_id: str) -> None:
    """Give the task back at once (any worker of the office and topic may; Camunda allows it)."""
    now = svc.clock.now()
    with _guarded(svc) as session:
        instance, row = _locked(session, worker, task_id)
        row.worker_id = None
        row.lock_expires_at = None
        record(
            session,
            at=now,
            actor=worker.principal.username,
            action="external_task.unlock",
            instance_id=instance.id,
            task_id=row.id,
        )


# -- helpers ---------------------------------------------------------------------------------


def _visible(worker: Worker, row: ExternalTask | None, task_id: str) -> ExternalTask:
    """Another office's task is not found; a topic outside the token's is forbidden."""
    if row is None or row.office != worker.principal.office:
        raise NotFound(f"External task with id {task_id} does not exist")
    if "*" not in worker.topics and row.topic not in worker.topics:
        raise Forbidden(f"this token may not act on topic {row.topic}")
    return row


def _instance_of(svc: Services, worker: Worker, task_id: str) -> str:
    with svc.readers() as session:
        return _visible(worker, session.get(ExternalTask, task_id), task_id).instance_id


def _locked(session: Session, worker: Worker, task_id: str) -> tuple[ProcessInstance, ExternalTask]:
    """The task's instance under the command lock, then the task row as it is now."""
    found = session.get(ExternalTask, task_id)
    row = _visible(worker, found, task_id)
    instance = _lock_instance(session, row.instance_id)
    fresh = session.get(ExternalTask, task_id, populate_existing=True)
    return instance, _visible(worker, fresh, task_id)


def _held_by(row: ExternalTask, worker: Worker, what: str) -> None:
    if row.worker_id != worker.worker_id:
        holder = f"locked by worker '{row.worker_id}'" if row.worker_id else "not locked"
        raise ExternalTaskLockRefused(
            f"External Task {row.id} cannot be {what} by worker '{worker.worker_id}'. "
            f"It is {holder}."
        )


def _open_incident(
    session: Session, instance: ProcessInstance, row: ExternalTask, message: str, now: datetime
) -> None:
    session.add(
        Incident(
            instance_id=instance.id,
            task_id=row.id,
            task_name=row.activity_id,
            kind="external",
            message=message[:4000],
            created_at=now,
        )
    )
    record(
        session,
        at=now,
        actor="engine",
        action="incident.open",
        instance_id=instance.id,
        task_id=row.id,
        message=message[:500],
    )
