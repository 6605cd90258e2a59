"""Form drafts: what a user typed into a task's form, kept server-side per task and user.

A draft survives reloads, validation errors and a claim lost to a colleague; completing the task
removes every draft of it in the completion's own transaction (`commands.complete_task`)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from engine.casework import queues
from engine.identity.users import Principal
from engine.services import Services
from engine.store.db import transaction
from engine.store.models import TaskDraft

MAX_DRAFT_CHARS = 200_000


def save(svc: Services, principal: Principal, task_id: str, values: dict[str, Any]) -> bool:
    """Keep `values` (as the form shows them) as this user's draft; False when too large."""
    text = json.dumps(values, ensure_ascii=False, sort_keys=True)
    if len(text) > MAX_DRAFT_CHARS:
        return False
    with transaction(svc.sessions) as session:
        queues.visible_task(session, principal, task_id)
        row = session.get(TaskDraft, (task_id, principal.username))
        if row is None:
            row = TaskDraft(task_id=task_id, username=principal.username)
            session.add(row)
        row.values_json = text
        row.saved_at = svc.clock.now()
    return True


def load(
    session: Session, principal: Principal, task_id: str
) -> tuple[dict[str, Any], datetime] | None:
    row = session.get(TaskDraft, (task_id, principal.username))
    if row is None:
        return None
    values = json.loads(row.values_json)
    return (values if isinstance(values, dict) else {}), row.saved_at


def discard(svc: Services, principal: Principal, task_id: str) -> None:
    with transaction(svc.sessions) as session:
        session.execute(
            delete(TaskDraft).where(
                TaskDraft.task_id == task_id, TaskDraft.username == principal.username
            )
        )
