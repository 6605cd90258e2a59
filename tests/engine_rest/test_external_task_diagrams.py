"""External tasks in diagrams: deploy-time checks, and a boundary timer that takes the task away
from its worker."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete

from engine.casework import commands
from engine.casework.consistency import check_instances
from engine.clock import FakeClock
from engine.services import Services
from engine.store.db import transaction
from engine.store.models import ExternalTask
from tests.api.helpers import start, upload_bytes
from tests.engine_rest.conftest import Rest, fetch

NO_TOPIC = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="x">
  <bpmn:process id="topicless" isExecutable="true">
    <bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="work"/>
    <bpmn:serviceTask id="work" camunda:type="external">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="e"/>
    <bpmn:endEvent id="e"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""


def test_an_external_task_without_a_topic_is_refused_at_deploy(api: Any) -> None:
    response = upload_bytes(api.as_("dana"), "topicless.bpmn", NO_TOPIC)

    assert response.status_code == 422
    [error] = response.get_json()["errors"]
    assert error["element_id"] == "work" and "no topic" in error["message"]


def test_a_boundary_timer_takes_the_task_away_from_its_worker(
    api: Any, rest: dict[str, Rest], svc: Services, clock: FakeClock
) -> None:
    instance_id = start(api.as_("casey"), "letters", "CASE-7", {}).get_json()["id"]
    [task] = fetch(rest["letters"])

    clock.advance(hours=2, seconds=1)
    commands.fire_due_timers(svc, instance_id)
    late = rest["letters"].post(f"/external-task/{task['id']}/complete", {"workerId": "w1"})

    instance = api.as_("sam").get(f"/api/instances/{instance_id}").get_json()
    assert instance["status"] == "completed"
    assert late.status_code == 404
    assert fetch(rest["letters"]) == []


def test_caseway_check_compares_external_task_rows_with_the_state(
    api: Any, rest: dict[str, Rest], svc: Services
) -> None:
    instance_id = start(api.as_("casey"), "letters", "CASE-8", {}).get_json()["id"]
    [task] = fetch(rest["letters"])
    agreed = check_instances(svc, [instance_id])

    with transaction(svc.sessions) as session:
        session.execute(delete(ExternalTask).where(ExternalTask.id == task["id"]))
    [disagreement] = check_instances(svc, [instance_id]).disagreements

    assert agreed.disagreements == []
    assert disagreement.problems == (
        f"external task {task['id']} (send-letter) is waiting in the state but has no row",
    )
