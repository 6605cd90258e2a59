"""Moving running cases between versions (POST /api/definitions/{id}/migrations), and the
modeler's validate-only endpoint."""

from __future__ import annotations

import io
import json
from datetime import timedelta

from sqlalchemy import select

from engine.store.models import AuditEvent
from tests.api.helpers import WORKFLOWS, open_task, start, upload, upload_bytes

BENEFIT = WORKFLOWS.parent / "tests" / "fixtures" / "discretionary_benefit.bpmn"
NAME = "discretionary_benefit.bpmn"
REQUEST = {"client_name": "Ana", "purpose": "dental", "amount": 900}
BOUNDARY = b"""<bpmn:boundaryEvent id="request_deadline" attachedToRef="record_request"
        cancelActivity="false">
      <bpmn:timerEventDefinition><bpmn:timeDuration>P5D</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:endEvent id="end"""


def _v2(api, content: bytes) -> None:
    response = upload_bytes(api.as_("dana"), NAME, content)
    assert response.status_code == 201, response.json
    assert response.json["deployed"][0]["version"] == 2


def _migrate(api, user: str = "dana", **body):
    return api.as_(user).post(
        "/api/definitions/discretionary_benefit/migrations",
        json={"from_version": 1, "to_version": 2, **body},
    )


def _case(api, key: str, *, at_approval: bool = False) -> str:
    instance = start(api.as_("casey"), "discretionary_benefit", key).json
    if at_approval:
        task = open_task(instance, "record_request")
        done = api.as_("casey").post(f"/api/tasks/{task['id']}/complete", json={"data": REQUEST})
        assert done.status_code == 200, done.json
    return str(instance["id"])


def test_dry_run_lists_what_would_move_and_changes_nothing(api):
    upload(api.as_("dana"), BENEFIT)
    waiting = _case(api, "CASE-1")
    _v2(api, BENEFIT.read_bytes().replace(b"Record the benefit request", b"Record the request"))

    response = _migrate(api)

    assert response.status_code == 200
    assert response.json["dry_run"] is True
    assert [c["instance_id"] for c in response.json["moved"]] == [waiting]
    assert response.json["moved"][0]["waiting"] == ["record_request"]
    assert response.json["blocked"] == []
    assert api.as_("casey").get(f"/api/instances/{waiting}").json["version"] == 1


def test_moving_re_attaches_the_case_and_it_runs_on_the_new_version(api, svc):
    upload(api.as_("dana"), BENEFIT)
    case = _case(api, "CASE-1")
    _v2(api, BENEFIT.read_bytes().replace(b"Record the benefit request", b"Record the request"))

    response = _migrate(api, dry_run=False)

    assert response.status_code == 200
    assert [c["instance_id"] for c in response.json["moved"]] == [case]
    instance = api.as_("casey").get(f"/api/instances/{case}").json
    assert instance["version"] == 2
    task = open_task(instance, "record_request")
    assert task["title"] == "Record the request"
    done = api.as_("casey").post(f"/api/tasks/{task['id']}/complete", json={"data": REQUEST})
    assert done.status_code == 200
    with svc.sessions() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "instance.migrate"))
    assert event is not None and event.actor == "dana" and event.instance_id == case
    assert json.loads(event.detail_json)["from_version"] == 1
    assert json.loads(event.detail_json)["to_version"] == 2


def test_a_case_waiting_at_a_removed_task_is_blocked(api):
    upload(api.as_("dana"), BENEFIT)
    approving = _case(api, "CASE-1", at_approval=True)
    recording = _case(api, "CASE-2")
    without_approval = (
        BENEFIT.read_bytes()
        .replace(b"<bpmn:flowNodeRef>approve_request</bpmn:flowNodeRef>", b"")
        .replace(b'targetRef="approve_request"', b'targetRef="approval_join"')
    )
    start_tag = without_approval.index(b'<bpmn:userTask id="approve_request"')
    end_tag = without_approval.index(b"</bpmn:userTask>", start_tag) + len(b"</bpmn:userTask>")
    without_approval = without_approval[:start_tag] + without_approval[end_tag:]
    without_approval = without_approval.replace(
        b'<bpmn:sequenceFlow id="f5" sourceRef="approve_request" targetRef="approval_join" />',
        b"",
    ).replace(b"<bpmn:incoming>f5</bpmn:incoming>", b"")
    diagram = without_approval.index(b'<bpmndi:BPMNShape id="approve_request_di"')
    diagram_end = without_approval.index(b"</bpmndi:BPMNShape>", diagram) + 19
    without_approval = without_approval[:diagram] + without_approval[diagram_end:]
    edge = without_approval.index(b'<bpmndi:BPMNEdge id="f5_di"')
    edge_end = without_approval.index(b"</bpmndi:BPMNEdge>", edge) + 18
    _v2(api, without_approval[:edge] + without_approval[edge_end:])

    response = _migrate(api, dry_run=False)

    assert [c["instance_id"] for c in response.json["moved"]] == [recording]
    (blocked,) = response.json["blocked"]
    assert blocked["instance_id"] == approving
    assert blocked["blockers"][0]["code"] == "task_missing"
    assert blocked["blockers"][0]["task_name"] == "approve_request"
    assert api.as_("casey").get(f"/api/instances/{approving}").json["version"] == 1
    moved = api.as_("casey").get(f"/api/instances/{recording}").json
    task = open_task(moved, "record_request")
    done = api.as_("casey").post(f"/api/tasks/{task['id']}/complete", json={"data": REQUEST})
    assert done.status_code == 200
    assert api.as_("casey").get(f"/api/instances/{recording}").json["status"] == "completed"


def test_a_waiting_task_that_gains_a_timer_moves_and_the_timer_starts_at_the_move(api, clock):
    upload(api.as_("dana"), BENEFIT)
    case = _case(api, "CASE-1")
    task = open_task(api.as_("casey").get(f"/api/instances/{case}").json, "record_request")
    api.as_("casey").post(f"/api/tasks/{task['id']}/claim")
    _v2(api, BENEFIT.read_bytes().replace(b'<bpmn:endEvent id="end', BOUNDARY, 1))
    clock.advance(hours=1)

    dry = _migrate(api)
    moved = _migrate(api, dry_run=False)

    (would,) = dry.json["moved"]
    assert would["timers_from_move"] == ["record_request"] and dry.json["blocked"] == []
    assert [c["instance_id"] for c in moved.json["moved"]] == [case]
    instance = api.as_("casey").get(f"/api/instances/{case}").json
    assert instance["version"] == 2
    reopened = open_task(instance, "record_request")
    assert reopened["assignee"] == "casey"  # the claim stays with the worker
    (timer,) = instance["timers"]
    assert timer["due_at"].startswith((clock.now() + timedelta(days=5)).date().isoformat())
    done = api.as_("casey").post(f"/api/tasks/{reopened['id']}/complete", json={"data": REQUEST})
    assert done.status_code == 200
    after = api.as_("casey").get(f"/api/instances/{case}").json
    assert open_task(after, "approve_request") and after["timers"] == []


def test_a_renamed_step_still_in_the_working_history_blocks(api):
    upload(api.as_("dana"), BENEFIT)
    _case(api, "CASE-1")
    _v2(
        api,
        BENEFIT.read_bytes()
        .replace(b'id="start"', b'id="received"')
        .replace(b'sourceRef="start"', b'sourceRef="received"')
        .replace(b"<bpmn:flowNodeRef>start<", b"<bpmn:flowNodeRef>received<")
        .replace(b'bpmnElement="start"', b'bpmnElement="received"'),
    )

    response = _migrate(api)

    (blocked,) = response.json["blocked"]
    assert blocked["blockers"][0]["code"] == "history_missing"
    assert blocked["blockers"][0]["task_name"] == "start"


def test_only_designers_migrate_and_versions_must_exist(api):
    upload(api.as_("dana"), BENEFIT)

    assert _migrate(api, "casey").status_code == 403
    assert _migrate(api).status_code == 404  # no version 2 yet
    same = api.as_("dana").post(
        "/api/definitions/discretionary_benefit/migrations",
        json={"from_version": 1, "to_version": 1},
    )
    assert same.status_code == 422


def test_named_cases_that_are_not_running_on_the_source_version_are_reported(api):
    upload(api.as_("dana"), BENEFIT)
    _v2(api, BENEFIT.read_bytes().replace(b"Record the benefit request", b"Record the request"))

    response = _migrate(api, instance_ids=["no-such-case"])

    assert response.json["moved"] == []
    assert response.json["blocked"][0]["instance_id"] == "no-such-case"
    assert response.json["blocked"][0]["blockers"][0]["code"] == "status"


def test_validate_answers_the_processes_without_deploying(api):
    response = api.as_("dana").post(
        "/api/definitions/validate",
        data={"file": [(io.BytesIO(BENEFIT.read_bytes()), NAME)]},
        content_type="multipart/form-data",
    )

    assert response.status_code == 200
    assert response.json["processes"][0]["process_id"] == "discretionary_benefit"
    assert api.as_("dana").get("/api/definitions").json["total"] == 0


def test_validate_lists_problems_with_their_element_ids(api):
    broken = BENEFIT.read_bytes().replace(b'value="benefit_request"', b'value="no_such_form"')

    response = api.as_("dana").post(
        "/api/definitions/validate",
        data={"file": [(io.BytesIO(broken), NAME)]},
        content_type="multipart/form-data",
    )

    assert response.status_code == 422
    assert response.json["errors"][0]["element_id"] == "record_request"
    assert (
        api.as_("casey")
        .post(
            "/api/definitions/validate",
            data={"file": [(io.BytesIO(BENEFIT.read_bytes()), NAME)]},
            content_type="multipart/form-data",
        )
        .status_code
        == 403
    )
