"""Working the shipped workflows through the HTTP API, as the people who would."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from engine.config import REPO_ROOT
from engine.delivery.plan import Planner
from engine.delivery.secrets import SecretBox
from engine.delivery.wiring import notice_templates
from engine.identity.users import add_user, issue_token
from engine.store.db import transaction
from engine.store.models import OutboxEntry
from tests.api.helpers import upload

WORKFLOWS = REPO_ROOT / "workflows"


def deploy(api: Any, *names: str) -> None:
    """Deploy shipped diagrams by file name (`intake.bpmn`, `intake_triage.dmn`)."""
    response = upload(api.as_("dana"), *(WORKFLOWS / name for name in names))
    assert response.status_code == 201, response.json


def add_partner(api: Any, svc: Any, username: str = "housing_org") -> Any:
    with transaction(svc.sessions) as session:
        add_user(session, username, office="partners", roles=["partner"], now=svc.clock.now())
        api.tokens[username] = issue_token(
            session, username, now=svc.clock.now(), ttl=timedelta(days=365)
        )
    return api.as_(username)


def start(user: Any, process_id: str, key: str, data: dict | None = None) -> dict[str, Any]:
    response = user.post(
        "/api/instances", json={"process_id": process_id, "business_key": key, "data": data or {}}
    )
    assert response.status_code == 201, response.json
    return response.json


def instance(api: Any, instance_id: str, as_: str = "ada") -> dict[str, Any]:
    return api.as_(as_).get(f"/api/instances/{instance_id}").json


def open_tasks(case: dict[str, Any]) -> list[str]:
    return sorted(t["task_name"] for t in case["tasks"] if t["status"] == "open")


def task(case: dict[str, Any], name: str, status: str = "open") -> dict[str, Any]:
    found = [t for t in case["tasks"] if t["task_name"] == name and t["status"] == status]
    assert found, (
        f"no {status} task {name}; tasks: {[(t['task_name'], t['status']) for t in case['tasks']]}"
    )
    return found[-1]


def complete(api: Any, user: str, case: dict[str, Any], name: str, data: dict) -> dict[str, Any]:
    """`user` claims (unless it was routed to them) and completes the open task `name`;
    returns the instance afterwards."""
    item = task(case, name)
    client = api.as_(user)
    if item["assignee"] is None:
        claimed = client.post(f"/api/tasks/{item['id']}/claim")
        assert claimed.status_code == 200, claimed.json
    done = client.post(f"/api/tasks/{item['id']}/complete", json={"data": data})
    assert done.status_code == 200, done.json
    return instance(api, case["id"])


def children(api: Any, process_id: str, key: str) -> list[dict[str, Any]]:
    items = api.as_("ada").get(f"/api/instances?process_id={process_id}&business_key={key}")
    return [instance(api, i["id"]) for i in items.json["items"]]


@dataclass(frozen=True)
class Queued:
    """An outbox row as its reader will see it: subject and body rendered the way the
    dispatcher renders them (template, client's language, configured standards)."""

    row: OutboxEntry
    subject: str
    body: str
    language: str | None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.row, name)


def outbox(svc: Any, instance_id: str | None = None) -> list[Queued]:
    planner = Planner(
        notice_templates(svc),
        SecretBox.from_settings(svc.settings),
        {"email", "sms", "letter", "in_app", "webhook"},
    )
    with svc.sessions() as session:
        query = select(OutboxEntry).order_by(OutboxEntry.id)
        if instance_id is not None:
            query = query.where(OutboxEntry.instance_id == instance_id)
        queued = []
        for row in session.scalars(query):
            plan = planner.plan(session, row)
            assert plan.failure is None, plan.failure
            queued.append(Queued(row, plan.subject, plan.body, plan.language))
        return queued


def actions(case: dict[str, Any]) -> list[str]:
    return [h["action"] for h in case["history"]]


def fired(case: dict[str, Any]) -> list[str]:
    """The timers that fired on this case, in order, from its audit history."""
    return [h["detail"]["task_name"] for h in case["history"] if h["action"] == "timer.fire"]


def names(items: Iterable[dict[str, Any]]) -> list[str]:
    return [i["task_name"] for i in items]
