"""The undelivered list and what a supervisor does about it: send again, or record that the
message was handled another way (by phone). Each action is one audited transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import policy
from engine.audit import record
from engine.errors import Forbidden, MessageNotFound, MessageNotUndelivered
from engine.identity.users import Principal
from engine.store.models import OutboxEntry

UNDELIVERED = ("failed", "no_channel")
ACTIONABLE = ("pending", "failed", "no_channel")


def _may_supervise(principal: Principal) -> None:
    if not policy.may(principal, policy.Action.MANAGE_DELIVERY):
        raise Forbidden("only supervisors and admins see undelivered messages")


def list_messages(
    session: Session,
    principal: Principal,
    statuses: tuple[str, ...],
    limit: int,
    offset: int,
) -> tuple[list[OutboxEntry], int]:
    """Supervisors: their office; admins: every office. Newest first."""
    _may_supervise(principal)
    query = select(OutboxEntry).where(OutboxEntry.status.in_(statuses))
    if not policy.is_admin(principal):
        query = query.where(OutboxEntry.office == principal.office)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(OutboxEntry.created_at.desc(), OutboxEntry.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows), total


def _visible(session: Session, principal: Principal, outbox_id: int) -> OutboxEntry:
    row = session.get(OutboxEntry, outbox_id, with_for_update=True)
    if row is None or not (policy.is_admin(principal) or row.office == principal.office):
        raise MessageNotFound(f"no message {outbox_id}")
    _may_supervise(principal)
    if row.status not in ACTIONABLE:
        raise MessageNotUndelivered(f"message {outbox_id} is {row.status}")
    return row


def retry(session: Session, principal: Principal, outbox_id: int, now: datetime) -> OutboxEntry:
    """Due again at once, with a fresh attempt budget (someone fixed the address or provider)."""
    row = _visible(session, principal, outbox_id)
    previous = row.status
    row.status = "pending"
    row.attempts = 0
    row.next_attempt_at = now
    row.lease_owner = None
    row.lease_expires_at = None
    record(
        session,
        at=now,
        actor=principal.username,
        action="outbox.retry",
        instance_id=row.instance_id,
        outbox_id=row.id,
        previous=previous,
    )
    return row


def mark_handled(
    session: Session, principal: Principal, outbox_id: int, note: str, now: datetime
) -> OutboxEntry:
    """Delivered another way (by phone, in person): it leaves the list and is never sent."""
    row = _visible(session, principal, outbox_id)
    previous = row.status
    row.status = "handled"
    row.handled_by = principal.username
    row.handled_note = note
    row.next_attempt_at = None
    row.lease_owner = None
    row.lease_expires_at = None
    record(
        session,
        at=now,
        actor=principal.username,
        action="outbox.handled",
        instance_id=row.instance_id,
        outbox_id=row.id,
        previous=previous,
        note=note,
    )
    return row


def message_dict(row: OutboxEntry) -> dict[str, Any]:
    return {
        "id": row.id,
        "instance_id": row.instance_id,
        "office": row.office,
        "channel": row.channel,
        "kind": row.kind,
        "recipient": row.recipient,
        "subject": row.subject,
        "language": row.language,
        "status": row.status,
        "attempts": row.attempts,
        "last_error": row.last_error,
        "provider_id": row.provider_id,
        "created_at": row.created_at,
        "sent_at": row.sent_at,
        "next_attempt_at": row.next_attempt_at,
        "handled_by": row.handled_by,
        "handled_note": row.handled_note,
    }
