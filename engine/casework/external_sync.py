"""Keep `external_task` rows in step with the instance state, in the command's transaction.

New waiting tasks get a row; tasks that finished or were cancelled (a boundary timer, a
terminated case) lose theirs. A row that stays keeps its lock, retries and error.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from engine.audit import record
from engine.runtime import Outcome
from engine.store.models import ExternalTask, ProcessInstance


def sync_external(
    session: Session, instance: ProcessInstance, outcome: Outcome, now: datetime, fresh: bool
) -> None:
    if outcome.external_tasks is None:  # the process has no external task
        return
    wanted = {view.task_id: view for view in outcome.external_tasks}
    existing: set[str] = (
        set()
        if fresh
        else set(
            session.scalars(select(ExternalTask.id).where(ExternalTask.instance_id == instance.id))
        )
    )
    stale = existing - set(wanted)
    if stale:
        session.execute(delete(ExternalTask).where(ExternalTask.id.in_(stale)))
    for task_id, view in wanted.items():
        if task_id in existing:
            continue
        session.add(
            ExternalTask(
                id=task_id,
                instance_id=instance.id,
                office=instance.office,
                process_id=instance.process_id,
                business_key=instance.business_key,
                activity_id=view.activity_id,
                topic=view.topic,
                priority=view.priority,
                created_at=now,
                retries=view.retries,
            )
        )


def reset_exhausted(session: Session, instance: ProcessInstance, actor: str, now: datetime) -> int:
    """Retrying an instance gives its external tasks that ran out of retries one more (Camunda's
    "set retries to 1"); returns how many."""
    rows = session.scalars(
        select(ExternalTask).where(
            ExternalTask.instance_id == instance.id, ExternalTask.retries == 0
        )
    ).all()
    for row in rows:
        row.retries = 1
        row.worker_id = None
        row.lock_expires_at = None
        record(
            session,
            at=now,
            actor=actor,
            action="external_task.retry",
            instance_id=instance.id,
            task_id=row.id,
        )
    return len(rows)
