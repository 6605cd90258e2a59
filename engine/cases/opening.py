"""Open a case and start its first process, in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.cases import permissions, records
from engine.cases.records import Client
from engine.casework import commands
from engine.errors import Invalid
from engine.identity.users import Principal
from engine.services import Services
from engine.store.db import transaction


@dataclass(frozen=True)
class OpenRequest:
    process_id: str
    client: Client
    data: dict[str, Any]
    key: str | None = None


@dataclass(frozen=True)
class Opened:
    case_id: int
    key: str
    office: str
    instance_id: str


def open_case(svc: Services, principal: Principal, request: OpenRequest) -> Opened:
    """The case (key given, or the office's next `C-<year>-<n>`) and the first instance of its
    process; an existing key is CaseExists, data failing the start form FormInvalid, and on
    any of them nothing is written (the key counter included)."""
    permissions.require_may_open(principal)
    if not request.client.name.strip():
        raise Invalid("the client's name must not be empty", field="client.name")
    if request.key is not None and not request.key.strip():
        raise Invalid("key must not be empty", field="key")
    now = svc.clock.now()
    office = principal.office if principal.office != "*" else "default"
    with transaction(svc.sessions) as session:
        definition = commands.find_definition(session, request.process_id, None)
        commands.require_started_by_hand(svc, definition)
        commands.validate_start_data(svc, session, definition, request.data)
        key = request.key.strip() if request.key else records.next_key(session, office, now)
        case = records.create(
            session, office, key, request.client, actor=principal.username, now=now
        )
        instance_id = commands.create_instance(
            svc, session, principal, definition, key, request.data, office, case_id=case.id
        )
        commands.record_case_open(session, case, instance_id, principal.username, now)
        return Opened(case.id, key, office, instance_id)
