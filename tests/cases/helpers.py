"""Opening cases through the API, and counting what a refused request must not leave behind."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from engine.store.models import (
    AuditEvent,
    Case,
    CaseAttachment,
    CaseKeySequence,
    CaseNote,
    HumanTask,
    ProcessInstance,
)
from tests.api.helpers import WORKFLOWS, upload

MARIE = {
    "name": "Marie-Ève Tremblay",
    "preferred_language": "fr",
    "date_of_birth": "1984-02-29",
    "contact": {"email": "me@example.org", "phone": "705-555-0199"},
    "safe_contact": True,
}
IN_PERSON = {"channel": "in_person"}
APPLICANT = {
    "name": "Marie-Ève Tremblay",
    "date_of_birth": "1984-02-29",
    "preferred_language": "fr",
    "phone": "705-555-0199",
    "interpreter_needed": True,
}


def deploy_intake(api: Any) -> None:
    response = upload(api.as_("dana"), WORKFLOWS / "intake.bpmn")
    assert response.status_code == 201, response.json


def open_case(user: Any, client: dict | None = None, data: dict | None = None, **extra: Any) -> Any:
    body = {"process_id": "intake", "client": client or MARIE, "data": data or IN_PERSON}
    return user.post("/api/cases", json={**body, **extra})


def opened(user: Any, **kw: Any) -> dict[str, Any]:
    response = open_case(user, **kw)
    assert response.status_code == 201, response.json
    return response.json


def counts(svc: Any) -> dict[str, int]:
    """Rows of everything a case command writes."""
    models = (Case, CaseKeySequence, ProcessInstance, HumanTask, CaseNote, CaseAttachment)
    with svc.sessions() as session:
        found = {
            m.__name__: session.scalar(select(func.count()).select_from(m)) or 0 for m in models
        }
        found["writes"] = (
            session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action.not_like("%read%"), AuditEvent.action != "case.search")
            )
            or 0
        )
    return found
