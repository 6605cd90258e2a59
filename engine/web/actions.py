"""The changes a page can ask for on one task, each in its own transaction.

The same rules as the JSON API (engine.casework.queues decides who may claim, release or
assign); the row is locked first so two people clicking "claim" at once get one winner and one
conflict.
"""

from __future__ import annotations

from typing import Any

from engine.casework import commands, queues
from engine.identity.users import Principal
from engine.services import Services
from engine.store.db import transaction


def claim(svc: Services, principal: Principal, task_id: str) -> None:
    with transaction(svc.sessions) as session:
        task = queues.visible_task(session, principal, task_id)
        session.refresh(task, with_for_update=True)
        queues.claim(session, principal, task, svc.clock.now())


def release(svc: Services, principal: Principal, task_id: str) -> None:
    with transaction(svc.sessions) as session:
        task = queues.visible_task(session, principal, task_id)
        session.refresh(task, with_for_update=True)
        queues.unclaim(session, principal, task, svc.clock.now())


def assign(svc: Services, principal: Principal, task_id: str, username: str | None) -> None:
    """A supervisor gives the task to someone, or back to its queue (None)."""
    with transaction(svc.sessions) as session:
        task = queues.visible_task(session, principal, task_id)
        session.refresh(task, with_for_update=True)
        queues.assign(session, principal, task, username, svc.clock.now())


def complete(svc: Services, principal: Principal, task_id: str, data: dict[str, Any]) -> None:
    """Validated against the task's form on the server (FormInvalid lists the fields)."""
    commands.complete_task(svc, principal, task_id, data)
