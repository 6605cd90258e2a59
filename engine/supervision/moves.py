"""Moving a task between people: the one place that changes an assignee for supervision, so
every move leaves the same audit event (`task.reassign`, with its reason)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from engine.audit import record
from engine.store.models import HumanTask

SYSTEM_ACTOR = "system"


def move_task(
    session: Session,
    task: HumanTask,
    to: str | None,
    *,
    actor: str,
    reason: str,
    now: datetime,
    **detail: Any,
) -> bool:
    """Give the task to `to` (None: back to its queue); False when it already was there."""
    if task.assignee == to:
        return False
    previous = task.assignee
    task.assignee = to
    task.claimed_at = now if to else None
    task.claimed_by = actor if to else None
    record(
        session,
        at=now,
        actor=actor,
        action="task.reassign",
        instance_id=task.instance_id,
        task_id=task.id,
        previous=previous,
        assignee=to,
        reason=reason,
        **detail,
    )
    return True
