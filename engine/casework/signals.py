"""Signals: one broadcast reaches every case of an office waiting for it, in one transaction.

A case waits for a signal when a signal catch event, a signal boundary event or an event
subprocess with a signal start can fire; the runtime lists these in the `message_wait` index
under the name `signal:<name>` (engine.runtime.event_triggers.SIGNAL_PREFIX), so finding the
receivers is one indexed read. Instances are locked in id order (two broadcasts never wait on
each other crosswise); each delivery and the broadcast itself are audited.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from engine import policy
from engine.audit import record
from engine.casework.commands import _run, _save, _spec_by_id, guarded, lock_instance
from engine.casework.sync import unpack_state
from engine.errors import Invalid
from engine.identity.users import Principal
from engine.runtime import MessageNotExpected
from engine.runtime.views import SIGNAL_PREFIX
from engine.services import Services
from engine.statuses import FINISHED_INSTANCE_STATUSES
from engine.store.models import MessageWait, ProcessInstance


def broadcast_signal(
    svc: Services, principal: Principal, name: str, data: Any, office: str | None = None
) -> list[str]:
    """Deliver signal `name` with `data` to every waiting case of `office` (the sender's by
    default); returns the ids of the cases it reached (none is not an error: a broadcast)."""
    office = office or principal.office
    if office == "*":
        raise Invalid("name the office the signal is for", field="office")
    refusal = policy.signal_refusal(principal, office)
    if refusal is not None:
        raise refusal
    if not isinstance(data, dict):
        raise Invalid("data must be an object", field="data")
    now = svc.clock.now()
    reached: list[str] = []
    with guarded(svc) as session:
        targets = sorted(
            set(
                session.scalars(
                    select(MessageWait.instance_id)
                    .join(ProcessInstance, ProcessInstance.id == MessageWait.instance_id)
                    .where(
                        MessageWait.message_name == SIGNAL_PREFIX + name,
                        ProcessInstance.office == office,
                    )
                )
            )
        )
        for instance_id in targets:
            instance = lock_instance(session, instance_id)
            if instance.status in FINISHED_INSTANCE_STATUSES:
                continue
            try:
                outcome = svc.runtime.deliver_signal(
                    _spec_by_id(svc, session, instance.definition_id),
                    unpack_state(instance.state),
                    name,
                    data,
                    _run(svc, session, instance),
                )
            except MessageNotExpected:
                continue  # the index was ahead of the state: nothing listens any more
            record(
                session,
                at=now,
                actor=principal.username,
                action="signal.deliver",
                instance_id=instance.id,
                case_id=instance.case_id,
                signal=name,
            )
            _save(svc, session, instance, outcome, actor=principal.username, now=now)
            reached.append(instance.id)
        record(
            session,
            at=now,
            actor=principal.username,
            action="signal.send",
            signal=name,
            office=office,
            reached=len(reached),
        )
    return reached
