"""Deliver what an instance threw: a message to the one case of its office waiting for it (by
name and correlation), else to the outbox for the partner named as its recipient, else an
incident on the sender; a signal to every case of the office waiting for it. Never dropped
silently: each outcome is audited on the sender. Runs in the sender's transaction."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.audit import record
from engine.casework.sync import unpack_state
from engine.runtime import MessageNotExpected
from engine.runtime.engine import canonical_correlation
from engine.runtime.thrown import ThrownEvent
from engine.runtime.views import SIGNAL_PREFIX
from engine.services import Services
from engine.statuses import FINISHED_INSTANCE_STATUSES
from engine.store.models import Incident, MessageWait, OutboxEntry, ProcessInstance

MAX_HOPS = 5  # a message answered by a message answered by … stops here, with an incident


def deliver_thrown(
    svc: Services,
    session: Session,
    sender: ProcessInstance,
    events: list[ThrownEvent],
    *,
    actor: str,
    now: datetime,
    depth: int,
) -> None:
    for event in events:
        if depth >= MAX_HOPS:
            _incident(session, sender, f"{event.kind} {event.name!r} not sent: chain too deep", now)
            continue
        if event.kind == "signal":
            _signal(svc, session, sender, event, actor=actor, now=now, depth=depth)
        else:
            _message(svc, session, sender, event, actor=actor, now=now, depth=depth)


def _waiting(
    session: Session, sender: ProcessInstance, name: str, correlation: str | None
) -> list[str]:
    query = (
        select(MessageWait.instance_id)
        .join(ProcessInstance, ProcessInstance.id == MessageWait.instance_id)
        .where(
            MessageWait.message_name == name,
            ProcessInstance.office == sender.office,
            ProcessInstance.id != sender.id,
        )
    )
    if not name.startswith(SIGNAL_PREFIX):
        query = query.where(
            MessageWait.correlation == correlation
            if correlation is not None
            else MessageWait.correlation.is_(None)
        )
    return sorted(set(session.scalars(query)))


def _message(
    svc: Services,
    session: Session,
    sender: ProcessInstance,
    event: ThrownEvent,
    *,
    actor: str,
    now: datetime,
    depth: int,
) -> None:
    correlation = canonical_correlation(event.correlation) if event.correlation else None
    targets = _waiting(session, sender, event.name, correlation)
    detail: dict[str, Any] = {"message": event.name, "correlation": event.correlation or None}
    if len(targets) == 1 and _deliver(
        svc, session, targets[0], "message", event, actor=actor, now=now, depth=depth
    ):
        record(session, at=now, actor=actor, action="message.send", instance_id=sender.id,
               target_instance_id=targets[0], **detail)  # fmt: skip
        return
    if len(targets) > 1:
        problem = f"message {event.name!r}: {len(targets)} cases wait for it with that correlation"
    elif event.recipient:
        session.add(
            OutboxEntry(
                instance_id=sender.id,
                channel="partner",
                recipient=event.recipient,
                subject=f"Message {event.name}",
                body=json.dumps(event.payload, default=str),
                payload_json=json.dumps(
                    {"message": event.name, "correlation": event.correlation, **_as_dict(event)},
                    default=str,
                ),
                created_at=now,
                office=sender.office,
                status="pending",
                attempts=0,
                next_attempt_at=now,
            )
        )
        record(session, at=now, actor=actor, action="message.outbox", instance_id=sender.id,
               recipient=event.recipient, **detail)  # fmt: skip
        return
    else:
        problem = f"message {event.name!r} reached no waiting case and names no recipient"
    _incident(session, sender, problem, now)
    record(session, at=now, actor=actor, action="message.unreceived", instance_id=sender.id,
           problem=problem, **detail)  # fmt: skip


def _as_dict(event: ThrownEvent) -> dict[str, object]:
    return {"payload": event.payload}


def _signal(
    svc: Services,
    session: Session,
    sender: ProcessInstance,
    event: ThrownEvent,
    *,
    actor: str,
    now: datetime,
    depth: int,
) -> None:
    reached = [
        target
        for target in _waiting(session, sender, SIGNAL_PREFIX + event.name, None)
        if _deliver(svc, session, target, "signal", event, actor=actor, now=now, depth=depth)
    ]
    record(session, at=now, actor=actor, action="signal.send", instance_id=sender.id,
           signal=event.name, office=sender.office, reached=len(reached))  # fmt: skip


def _deliver(
    svc: Services,
    session: Session,
    target_id: str,
    kind: str,
    event: ThrownEvent,
    *,
    actor: str,
    now: datetime,
    depth: int,
) -> bool:
    from engine.casework.commands import _run, _save, _spec_by_id, lock_instance  # noqa: PLC0415

    target = lock_instance(session, target_id)
    if target.status in FINISHED_INSTANCE_STATUSES:
        return False
    deliver = svc.runtime.deliver_message if kind == "message" else svc.runtime.deliver_signal
    payload = event.payload if isinstance(event.payload, dict) else {}
    try:
        outcome = deliver(
            _spec_by_id(svc, session, target.definition_id),
            unpack_state(target.state),
            event.name,
            payload,
            _run(svc, session, target),
        )
    except MessageNotExpected:
        return False
    record(session, at=now, actor=actor, action=f"{kind}.deliver", instance_id=target.id,
           case_id=target.case_id, **{kind: event.name})  # fmt: skip
    _save(svc, session, target, outcome, actor=actor, now=now, depth=depth + 1)
    return True


def _incident(session: Session, sender: ProcessInstance, message: str, now: datetime) -> None:
    session.add(Incident(instance_id=sender.id, kind="message", message=message, created_at=now))
