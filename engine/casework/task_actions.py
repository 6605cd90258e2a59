"""Claim, release and assign: the commands that change who holds an open task.

Like every command (engine.casework.commands), each is one transaction: the task row is locked
first, so two people claiming at once get one winner and one conflict; the rules are
engine.policy's (via engine.casework.queues); the audit rows are written in the same transaction.
The API and the pages both call these, so a page can never do what the API refuses.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

from engine.casework import queues
from engine.identity.users import Principal
from engine.services import Services
from engine.store.db import transaction
from engine.store.models import HumanTask, ProcessInstance

Held = tuple[HumanTask, ProcessInstance]


def claim_task(svc: Services, principal: Principal, task_id: str) -> Held:
    """Take a task from its queue; claiming one's own task again changes nothing."""
    return _on_locked_task(svc, principal, task_id, queues.claim)


def release_task(svc: Services, principal: Principal, task_id: str) -> Held:
    """Give a claimed task back to its queue (its assignee, or a supervisor of its office)."""
    return _on_locked_task(svc, principal, task_id, queues.unclaim)


def assign_task(svc: Services, principal: Principal, task_id: str, username: str | None) -> Held:
    """A supervisor gives the task to someone who may take it, or back to its queue (None)."""

    def assign(session: Session, who: Principal, task: HumanTask, now: datetime) -> None:
        queues.assign(session, who, task, username, now)

    return _on_locked_task(svc, principal, task_id, assign)


def _on_locked_task(
    svc: Services,
    principal: Principal,
    task_id: str,
    action: Callable[[Session, Principal, HumanTask, datetime], None],
) -> Held:
    with transaction(svc.sessions) as session:
        task = queues.lock_visible_task(session, principal, task_id)
        action(session, principal, task, svc.clock.now())
        return task, session.get_one(ProcessInstance, task.instance_id)
