"""Append-only audit trail: who did what, when, on which instance and task."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from engine.store.models import AuditEvent


def record(
    session: Session,
    *,
    at: datetime,
    actor: str,
    action: str,
    instance_id: str | None = None,
    task_id: str | None = None,
    case_id: int | None = None,
    **detail: Any,
) -> None:
    session.add(
        AuditEvent(
            at=at,
            actor=actor,
            action=action,
            instance_id=instance_id,
            task_id=task_id,
            case_id=case_id,
            detail_json=json.dumps(detail, default=str, sort_keys=True),
        )
    )
