"""Camunda 7's message correlation (`POST /engine-rest/message`) on Caseway's message waits:
by correlation keys (the indexed `message_wait` lookup), by business key, or by instance id.

The lookup stays in the caller's office (partners, the engine and admins: every office), and
a message that matches nothing, or several instances without `all`, is refused.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from engine import policy
from engine.casework.commands import SYSTEM_MESSENGER, deliver_message
from engine.errors import Conflict, Forbidden, NotFound
from engine.identity.users import Principal
from engine.runtime.engine import canonical_correlation
from engine.services import Services
from engine.store.models import MessageWait, ProcessInstance


def correlate(
    svc: Services,
    principal: Principal,
    name: str,
    *,
    correlation: dict[str, Any],
    business_key: str | None,
    instance_id: str | None,
    payload: dict[str, Any],
    every: bool,
) -> list[str]:
    """Deliver to the matching waiting instance(s); returns their ids."""
    if not policy.may(principal, policy.Action.SEND_MESSAGE):
        raise Forbidden("you cannot send messages")
    query = select(MessageWait.instance_id).where(MessageWait.message_name == name)
    query = query.join(ProcessInstance, ProcessInstance.id == MessageWait.instance_id)
    if correlation:
        query = query.where(MessageWait.correlation == canonical_correlation(correlation))
    if business_key is not None:
        query = query.where(ProcessInstance.business_key == business_key)
    if instance_id is not None:
        query = query.where(ProcessInstance.id == instance_id)
    office = policy.correlation_office(principal)
    if office is not None:
        query = query.where(ProcessInstance.office == office)
    with svc.readers() as session:
        targets = sorted(set(session.scalars(query)))
    if not targets:
        raise NotFound("no process instance waits for it with these parameters")
    if len(targets) > 1 and not every:
        raise Conflict(f"{len(targets)} process instances wait for it (send all=true for each)")
    messenger = SYSTEM_MESSENGER.with_name(principal.username)
    for target in targets:
        deliver_message(svc, messenger, target, name, payload)
    return targets


def instance_status(svc: Services, instance_id: str) -> tuple[str, int, str]:
    """(process id, version, status) of an instance, for Camunda's start answer."""
    with svc.readers() as session:
        instance = session.get(ProcessInstance, instance_id)
        if instance is None:
            raise NotFound(f"instance {instance_id} not found")
        return instance.process_id, instance.version, instance.status
