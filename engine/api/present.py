"""Rows → the JSON shapes DESIGN.md promises to clients."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.api.auth import current_principal
from engine.api.context import services
from engine.audit import record
from engine.casework.unit_of_work import changing
from engine.runtime.views import SIGNAL_PREFIX
from engine.store.models import (
    AuditEvent,
    HumanTask,
    Incident,
    MessageWait,
    ProcessInstance,
    Timer,
)


def record_read(instance_id: str, task_id: str | None) -> None:
    """Reading a client's case data is itself recorded: who looked at whose case, and when."""
    svc = services()
    principal = current_principal()
    with changing(svc) as session:
        record(
            session,
            at=svc.clock.now(),
            actor=principal.username,
            action="task.read" if task_id else "instance.read",
            instance_id=instance_id,
            task_id=task_id,
        )


def task_dict(task: HumanTask, *, schema: dict[str, Any] | None = None, ui: Any = None) -> dict:
    form: dict[str, Any] = {"key": task.form_key}
    if schema is not None:
        form["schema"] = schema
        form["ui_schema"] = ui
    return {
        "id": task.id,
        "instance_id": task.instance_id,
        "process_id": task.process_id,
        "business_key": task.business_key,
        "case_key": task.case_key,
        "client_name": task.client_name,
        "task_name": task.task_name,
        "title": task.title,
        "queue": task.queue,
        "assignee": task.assignee,
        "status": task.status,
        "created_at": task.created_at,
        "due_at": task.due_at,
        "completed_at": task.completed_at,
        "completed_by": task.completed_by,
        "closed_reason": task.closed_reason,
        "form": form,
    }


def instance_dict(session: Session, instance: ProcessInstance) -> dict[str, Any]:
    tasks = session.scalars(
        select(HumanTask)
        .where(HumanTask.instance_id == instance.id)
        .order_by(HumanTask.created_at, HumanTask.id)
    ).all()
    timers = session.scalars(
        select(Timer).where(Timer.instance_id == instance.id).order_by(Timer.due_at)
    ).all()
    incidents = session.scalars(
        select(Incident).where(Incident.instance_id == instance.id).order_by(Incident.id)
    ).all()
    waits = session.scalars(
        select(MessageWait)
        .where(MessageWait.instance_id == instance.id)
        .order_by(MessageWait.message_name, MessageWait.id)
    ).all()
    history = session.scalars(
        select(AuditEvent).where(AuditEvent.instance_id == instance.id).order_by(AuditEvent.id)
    ).all()
    return {
        **instance_summary(instance),
        "office": instance.office,
        "data": json.loads(instance.data_json),
        "started_by": instance.started_by,
        "completed_at": instance.completed_at,
        "tasks": [task_dict(t) for t in tasks],
        "timers": [
            {
                "id": t.id,
                "task_name": t.task_name,
                "due_at": t.due_at,
                "attached_to": t.attached_to,
                "interrupting": t.interrupting,
            }
            for t in timers
        ],
        "waiting_for": [waiting_for(w.message_name, w.correlation) for w in waits],
        "incidents": [
            {
                "id": i.id,
                "task_id": i.task_id,
                "task_name": i.task_name,
                "kind": i.kind,
                "message": i.message,
                "created_at": i.created_at,
                "resolved_at": i.resolved_at,
            }
            for i in incidents
        ],
        "history": [
            {
                "at": e.at,
                "actor": e.actor,
                "action": e.action,
                "task_id": e.task_id,
                "detail": json.loads(e.detail_json),
            }
            for e in history
        ],
    }


def instance_summary(instance: ProcessInstance) -> dict[str, Any]:
    return {
        "id": instance.id,
        "process_id": instance.process_id,
        "version": instance.version,
        "business_key": instance.business_key,
        "status": instance.status,
        "created_at": instance.created_at,
        "updated_at": instance.updated_at,
    }


def waiting_for(index_name: str, correlation: str | None) -> dict[str, Any]:
    """A message wait as `{message, correlation}`; a signal wait as `{signal}`."""
    if index_name.startswith(SIGNAL_PREFIX):
        return {"signal": index_name.removeprefix(SIGNAL_PREFIX)}
    return {"message": index_name, "correlation": json.loads(correlation) if correlation else None}
