"""A case as staff read it: client, status, owner, instances and open tasks."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.cases.lookup import case_owner
from engine.store.models import Case, HumanTask, ProcessInstance


def client_dict(case: Case) -> dict[str, Any]:
    return {
        "name": case.client_name,
        "preferred_language": case.preferred_language,
        "date_of_birth": case.date_of_birth,
        "contact": {"email": case.email, "phone": case.phone, "address": case.address},
        "safe_contact": case.safe_contact,
        "interpreter_needed": case.interpreter_needed,
    }


def summary(case: Case) -> dict[str, Any]:
    return {
        "key": case.key,
        "office": case.office,
        "status": case.status,
        "client": client_dict(case),
        "opened_at": case.opened_at,
        "opened_by": case.opened_by,
        "closed_at": case.closed_at,
        "closed_by": case.closed_by,
        "close_reason": case.close_reason,
    }


def detail(session: Session, case: Case) -> tuple[dict[str, Any], list[HumanTask]]:
    """The case with its owner and instances, and its open tasks (the caller presents them)."""
    instances = session.scalars(
        select(ProcessInstance)
        .where(ProcessInstance.case_id == case.id)
        .order_by(ProcessInstance.created_at, ProcessInstance.id)
    ).all()
    tasks = session.scalars(
        select(HumanTask)
        .where(
            HumanTask.instance_id.in_([i.id for i in instances]),
            HumanTask.status == "open",
        )
        .order_by(HumanTask.due_at.asc().nulls_last(), HumanTask.created_at, HumanTask.id)
    ).all()
    body = {
        **summary(case),
        "owner": case_owner(session, case),
        "instances": [
            {
                "id": i.id,
                "process_id": i.process_id,
                "version": i.version,
                "business_key": i.business_key,
                "status": i.status,
                "created_at": i.created_at,
            }
            for i in instances
        ],
    }
    return body, list(tasks)
