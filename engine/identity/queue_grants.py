"""Which queues of the queue table a person holds, beyond each role's own queue.

A queue row names the roles and the people who may hold it, and the office it serves (none:
every office). Read when a principal is authenticated, so policy stays a pure function of the
principal."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.store.models import WorkQueue

_ROWS = select(WorkQueue.key, WorkQueue.roles, WorkQueue.users, WorkQueue.office)


def split_names(text: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (text or "").split(",") if part.strip())


def granted_queues(
    session: Session, username: str, office: str, roles: Collection[str]
) -> frozenset[str]:
    held = set()
    for key, queue_roles, users, queue_office in session.execute(_ROWS):
        if queue_office and queue_office != office and office != "*":
            continue
        if username in split_names(users) or set(split_names(queue_roles)) & set(roles):
            held.add(key)
    return frozenset(held - set(roles))
