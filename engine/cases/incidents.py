"""Broken cases for the people who fix them: the open incidents with the real error, the case
and the step, so a supervisor can correct the data (PATCH …/data) and retry."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import policy
from engine.errors import Forbidden
from engine.identity.users import Principal
from engine.store.models import Case, Incident, ProcessInstance


def open_incidents(
    session: Session, principal: Principal, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    """Supervisors: their office's; admins: every office's. Newest first."""
    if not policy.may_fix_case_data(principal):
        raise Forbidden("only supervisors and admins see incidents")
    query = (
        select(Incident, ProcessInstance, Case.key)
        .join(ProcessInstance, ProcessInstance.id == Incident.instance_id)
        .outerjoin(Case, Case.id == ProcessInstance.case_id)
        .where(Incident.resolved_at.is_(None))
    )
    if not policy.sees_every_office(principal):
        query = query.where(ProcessInstance.office == principal.office)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(
        query.order_by(Incident.created_at.desc(), Incident.id.desc()).limit(limit).offset(offset)
    ).all()
    return [
        {
            "id": incident.id,
            "case_key": case_key,
            "office": instance.office,
            "instance_id": instance.id,
            "process_id": instance.process_id,
            "version": instance.version,
            "instance_status": instance.status,
            "step": incident.task_name,
            "kind": incident.kind,
            "message": incident.message,
            "created_at": incident.created_at,
        }
        for incident, instance, case_key in rows
    ], total
