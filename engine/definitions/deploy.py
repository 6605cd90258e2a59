"""Store compiled definitions as immutable versions; identical content is a no-op."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.audit import record
from engine.definitions.compile import CompiledProcess
from engine.definitions.problems import Problem
from engine.store.models import Definition, DefinitionFile, DefinitionForm


@dataclass(frozen=True)
class Deployed:
    process_id: str
    version: int
    sha256: str
    created: bool
    definition_id: int
    warnings: tuple[Problem, ...] = ()
    missing_queues: tuple[str, ...] = ()  # queue keys the diagram names that do not exist

    def as_dict(self) -> dict[str, object]:
        return {
            "process_id": self.process_id,
            "version": self.version,
            "sha256": self.sha256,
            "created": self.created,
        }


def deploy(
    session: Session, compiled: list[CompiledProcess], *, actor: str, now: datetime
) -> list[Deployed]:
    return [
        replace(
            _deploy_one(session, process, actor=actor, now=now),
            warnings=process.warnings,
            missing_queues=process.missing_queues,
        )
        for process in compiled
    ]


def _deploy_one(
    session: Session, process: CompiledProcess, *, actor: str, now: datetime
) -> Deployed:
    latest = latest_definition(session, process.process_id)
    if latest is not None and latest.sha256 == process.sha256:
        return Deployed(process.process_id, latest.version, latest.sha256, False, latest.id)
    definition = Definition(
        process_id=process.process_id,
        version=(latest.version + 1) if latest else 1,
        name=process.name,
        sha256=process.sha256,
        spec_json=process.spec_json,
        created_at=now,
        created_by=actor,
        start_form_key=process.start_form_key,
    )
    session.add(definition)
    session.flush()
    for f in process.files:
        content = f.content.decode("utf-8", errors="replace")
        session.add(DefinitionFile(definition_id=definition.id, filename=f.name, content=content))
    for key, form in process.forms.items():
        session.add(
            DefinitionForm(
                definition_id=definition.id,
                form_key=key,
                schema_json=json.dumps(form.schema),
                ui_schema_json=json.dumps(form.ui_schema) if form.ui_schema else None,
            )
        )
    record(
        session,
        at=now,
        actor=actor,
        action="definition.deploy",
        process_id=process.process_id,
        version=definition.version,
        sha256=process.sha256,
    )
    return Deployed(process.process_id, definition.version, process.sha256, True, definition.id)


def latest_definition(session: Session, process_id: str) -> Definition | None:
    return session.scalar(
        select(Definition)
        .where(Definition.process_id == process_id)
        .order_by(Definition.version.desc())
        .limit(1)
    )


def definition_version(session: Session, process_id: str, version: int) -> Definition | None:
    return session.scalar(
        select(Definition).where(Definition.process_id == process_id, Definition.version == version)
    )


def list_definitions(session: Session) -> list[tuple[str, str, list[int]]]:
    """(process_id, latest name, versions ascending) for every deployed process."""
    rows = session.execute(
        select(Definition.process_id, Definition.version, Definition.name).order_by(
            Definition.process_id, Definition.version
        )
    ).all()
    grouped: dict[str, tuple[str, list[int]]] = {}
    for process_id, version, name in rows:
        entry = grouped.setdefault(process_id, (name, []))
        entry[1].append(version)
        grouped[process_id] = (name, entry[1])
    return [(pid, name, versions) for pid, (name, versions) in grouped.items()]


def count_definitions(session: Session) -> int:
    return session.scalar(select(func.count(func.distinct(Definition.process_id)))) or 0
