"""What a designer's pages show: every process with its versions and how many cases still run
on each (the candidates for migration). Read-only queries over definition and instance rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.casework.case_moves import CANDIDATE_STATUSES
from engine.store.models import Definition, ProcessInstance


@dataclass(frozen=True)
class VersionRow:
    version: int
    name: str
    created_at: datetime
    created_by: str
    running: int


@dataclass(frozen=True)
class ProcessRow:
    process_id: str
    name: str
    versions: list[VersionRow]

    @property
    def latest(self) -> VersionRow:
        return self.versions[-1]


def catalogue(session: Session) -> list[ProcessRow]:
    running: dict[int, int] = {
        definition_id: count
        for definition_id, count in session.execute(
            select(ProcessInstance.definition_id, func.count())
            .where(ProcessInstance.status.in_(CANDIDATE_STATUSES))
            .group_by(ProcessInstance.definition_id)
        )
    }
    grouped: dict[str, list[VersionRow]] = {}
    for row in session.scalars(
        select(Definition).order_by(Definition.process_id, Definition.version)
    ):
        grouped.setdefault(row.process_id, []).append(
            VersionRow(
                row.version, row.name, row.created_at, row.created_by, running.get(row.id, 0)
            )
        )
    return [ProcessRow(pid, rows[-1].name, rows) for pid, rows in grouped.items()]


def process(session: Session, process_id: str) -> ProcessRow | None:
    return next((p for p in catalogue(session) if p.process_id == process_id), None)
