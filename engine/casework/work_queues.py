"""The queue table: list, create and change queues, each change audited.

Lanes and candidate groups name queues by key; a deploy warns about keys that are not here (see
engine.definitions.compile). A role's own key (caseworker, supervisor, intake_worker) is a queue
of that role whether or not it has a row, so the shipped workflows never depend on the table.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import errors, policy
from engine.audit import record
from engine.identity.queue_grants import split_names
from engine.identity.users import Principal
from engine.store.models import WorkQueue

KEY = re.compile(r"^[a-z0-9][a-z0-9_]{0,79}$")
FIELDS = ("title_en", "title_fr", "roles", "users", "office")


@dataclass(frozen=True)
class QueueView:
    key: str
    title_en: str
    title_fr: str
    roles: tuple[str, ...]
    users: tuple[str, ...]
    office: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title_en": self.title_en,
            "title_fr": self.title_fr,
            "roles": list(self.roles),
            "users": list(self.users),
            "office": self.office,
        }


def view(row: WorkQueue) -> QueueView:
    return QueueView(
        row.key,
        row.title_en,
        row.title_fr,
        split_names(row.roles),
        split_names(row.users),
        row.office,
    )


def list_queues(session: Session) -> list[QueueView]:
    return [view(row) for row in session.scalars(select(WorkQueue).order_by(WorkQueue.key))]


def known_keys(session: Session) -> frozenset[str]:
    """Every queue a deploy may name without a warning: the rows and the role queues."""
    return frozenset(session.scalars(select(WorkQueue.key))) | policy.QUEUE_ROLES


def create_queue(
    session: Session, principal: Principal, data: Mapping[str, Any], now: datetime
) -> QueueView:
    _refuse_unless_manager(principal)
    key = str(data.get("key") or "")
    if not KEY.match(key):
        raise errors.Invalid(
            "a queue key is lower-case letters, digits and underscores (e.g. housing_review)",
            field="key",
        )
    if session.get(WorkQueue, key) is not None:
        raise errors.Conflict(f"queue {key!r} already exists", field="key")
    title = str(data.get("title_en") or key.replace("_", " ").capitalize())
    row = WorkQueue(
        key=key,
        title_en=title,
        title_fr=str(data.get("title_fr") or title),
        roles="",
        users="",
        office=None,
        created_at=now,
        updated_at=now,
    )
    _apply(row, {k: v for k, v in data.items() if k in ("roles", "users", "office")})
    if not row.roles and not row.users:
        row.roles = policy.Role.SUPERVISOR.value  # a queue nobody holds would hide its tasks
    session.add(row)
    record(session, at=now, actor=principal.username, action="queue.create", **_audit(row))
    return view(row)


def update_queue(
    session: Session, principal: Principal, key: str, data: Mapping[str, Any], now: datetime
) -> QueueView:
    _refuse_unless_manager(principal)
    row = session.get(WorkQueue, key, with_for_update=True)
    if row is None:
        raise errors.NotFound(f"queue {key!r} not found")
    _apply(row, {k: v for k, v in data.items() if k in FIELDS})
    if not row.roles and not row.users:
        raise errors.Invalid("a queue needs at least one role or person who holds it", "roles")
    row.updated_at = now
    record(session, at=now, actor=principal.username, action="queue.update", **_audit(row))
    return view(row)


def _apply(row: WorkQueue, data: Mapping[str, Any]) -> None:
    for name in ("title_en", "title_fr"):
        if name in data:
            value = str(data[name] or "").strip()
            if not value:
                raise errors.Invalid("a title may not be empty", field=name)
            row.__setattr__(name, value[:200])
    if "roles" in data:
        roles = _names(data["roles"], "roles")
        unknown = sorted(set(roles) - policy.STAFF_ROLES)
        if unknown:
            known = ", ".join(sorted(policy.STAFF_ROLES))
            raise errors.Invalid(f"unknown role(s) {', '.join(unknown)} (known: {known})", "roles")
        row.roles = ",".join(roles)
    if "users" in data:
        row.users = ",".join(_names(data["users"], "users"))
    if "office" in data:
        row.office = (str(data["office"]).strip() or None) if data["office"] else None


def _names(value: Any, field: str) -> tuple[str, ...]:
    items: Collection[Any] = split_names(value) if isinstance(value, str) else value or ()
    names = tuple(dict.fromkeys(str(v).strip() for v in items if str(v).strip()))
    if any("," in n or len(n) > 80 for n in names):
        raise errors.Invalid("names are at most 80 characters, without commas", field=field)
    return names


def _refuse_unless_manager(principal: Principal) -> None:
    if not policy.may_manage_queues(principal):
        raise errors.Forbidden("only designers and admins can change queues")


def _audit(row: WorkQueue) -> dict[str, Any]:
    return {"queue": row.key, "roles": row.roles, "users": row.users, "office": row.office}
