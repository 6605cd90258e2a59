"""Which processes a person may open a case with, and the start form each one asks for.

A process that begins on a timer or a message is started by the engine or a partner, never by
staff: offering it on a "New case" page would only lead to a refused or meaningless start.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from engine.casework import commands
from engine.definitions.deploy import latest_definition, list_definitions
from engine.runtime.timing import starts_by_hand
from engine.services import CachedForm, Services
from engine.store.models import Definition


@dataclass(frozen=True)
class Startable:
    process_id: str
    name: str
    definition: Definition
    form: CachedForm | None


def startable_processes(svc: Services, session: Session) -> list[Startable]:
    """The latest version of every process with a plain start event, by name."""
    found = [startable(svc, session, process_id) for process_id, _, _ in list_definitions(session)]
    return sorted((s for s in found if s is not None), key=lambda s: s.name.casefold())


def startable(svc: Services, session: Session, process_id: str) -> Startable | None:
    """The process's latest version when a person may start it, else None."""
    definition = latest_definition(session, process_id)
    if definition is None:
        return None
    spec = svc.specs.get(definition.id, lambda: definition.spec_json)
    if not starts_by_hand(spec.spec):
        return None
    form = commands.task_form(session, definition.id, definition.start_form_key, svc)
    return Startable(definition.process_id, definition.name, definition, form)
