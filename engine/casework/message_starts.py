"""Message start events: a message nobody waits for starts the process whose start event awaits it.

The province's hand-off ("granted, municipal first meeting due") is the first user: it names
the province's case reference as its correlation. The process starts on the office's case with
that reference as key (or the local case the message names in `case_key`), made if new, in one
transaction; a second hand-off for the same case is a Conflict, never a second process.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import policy
from engine.cases import records as case_records
from engine.casework import commands
from engine.definitions.deploy import latest_definition, list_definitions
from engine.errors import Conflict, Forbidden, Invalid
from engine.identity.users import Principal
from engine.runtime.timing import message_start_names
from engine.services import Services
from engine.store.db import transaction
from engine.store.models import Definition, ProcessInstance


def starts_on(svc: Services, session: Session, name: str) -> list[Definition]:
    """The latest version of every deployed process with a start event awaiting `name`."""
    found = []
    for process_id, _name, _versions in list_definitions(session):
        definition = latest_definition(session, process_id)
        if definition is None:
            continue
        spec = svc.specs.get(definition.id, definition.spec_json)
        if name in message_start_names(spec.spec):
            found.append(definition)
    return found


def has_message_start(svc: Services, name: str) -> bool:
    with svc.readers() as session:
        return bool(starts_on(svc, session, name))


def start_on_message(
    svc: Services,
    principal: Principal,
    name: str,
    correlation: dict[str, Any],
    payload: Any,
) -> str:
    """Start the one process that begins on message `name`; returns the new instance's id."""
    if not policy.may(principal, policy.Action.START_BY_MESSAGE):
        raise Forbidden("you cannot start processes with a message")
    if not isinstance(payload, dict):
        raise Invalid("a message that starts a process carries an object", field="payload")
    office = policy.message_start_office(principal, _text(payload, "office"))
    if office is None:
        raise Invalid("name the office the hand-off is for", field="payload.office")
    key = _text(payload, "case_key") or "-".join(str(v) for _k, v in sorted(correlation.items()))
    data = {**{k: v for k, v in payload.items() if k != "office"}, **correlation}
    now = svc.clock.now()
    with transaction(svc.sessions) as session:
        definitions = starts_on(svc, session, name)
        if len(definitions) != 1:
            raise Conflict(f"{len(definitions)} processes start on message {name!r}")
        definition = definitions[0]
        commands.validate_start_data(svc, session, definition, data)
        data["case_number"] = key
        case, created = case_records.for_business_key(
            session, office, key, data, actor=principal.username, now=now
        )
        case_records.check_startable(session, case, definition.process_id)
        _refuse_second_hand_off(session, case.id, definition.process_id, key)
        instance_id = commands.create_instance(
            svc,
            session,
            principal,
            definition,
            key,
            data,
            office,
            case_id=case.id,
            message=name,
        )
        if created:
            commands.record_case_open(session, case, instance_id, principal.username, now)
        return instance_id


def _refuse_second_hand_off(session: Session, case_id: int, process_id: str, key: str) -> None:
    earlier = session.scalar(
        select(ProcessInstance.id)
        .where(ProcessInstance.case_id == case_id, ProcessInstance.process_id == process_id)
        .limit(1)
    )
    if earlier is not None:
        raise Conflict(f"case {key!r} already received this message (instance {earlier})")


def _text(payload: dict[str, Any], field: str) -> str:
    value = payload.get(field)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Invalid(f"{field} must be text", field=f"payload.{field}")
    return value.strip()
