"""Queue notices the way a workflow does: a `notify` step in a started instance."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select

from engine.store.models import OutboxEntry
from tests.api.helpers import upload
from tests.workflows.helpers import start

NOTIFY = Path(__file__).resolve().parent / "notify.bpmn"
CLIENT = {
    "name": "Marie Côté",
    "email": "marie@example.org",
    "phone": "+17055550100",
    "street_address": "12 rue Principale",
    "municipality": "Sudbury",
    "postal_code": "P3A 1A1",
    "preferred_language": "en",
}


def deploy_notify(api: Any) -> None:
    assert upload(api.as_("dana"), NOTIFY).status_code == 201


def queue_notice(
    api: Any,
    key: str,
    *,
    channel: str = "email",
    notice: str = "discretionary_benefit",
    data: dict[str, Any] | None = None,
    client: dict[str, Any] | None = None,
) -> str:
    """Start the one-step process; its outbox row is committed with the start. The instance id."""
    started = start(
        api.as_("casey"),
        "notify_test",
        key,
        {
            "channel": channel,
            "notice": notice,
            "notice_data": data
            if data is not None
            else {"approved": True, "amount": 120, "purpose": "dental"},
            "client": {**CLIENT, **(client or {})},
        },
    )
    assert started["status"] == "completed", started
    return str(started["id"])


def rows(svc: Any) -> list[OutboxEntry]:
    with svc.sessions() as session:
        return list(session.scalars(select(OutboxEntry).order_by(OutboxEntry.id)))


def row(svc: Any, outbox_id: int) -> OutboxEntry:
    with svc.sessions() as session:
        found = session.get(OutboxEntry, outbox_id)
        assert found is not None
        return found


def payload(entry: OutboxEntry) -> dict[str, Any]:
    return dict(json.loads(entry.payload_json))
