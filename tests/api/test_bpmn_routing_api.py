"""Diagrams as designers bring them (Camunda Modeler, Spiff tools) deploy and run to the end
through the API; every routing source puts the task before the right people; a queue the
diagram names but nobody created is a warning with an offer; a task routed nowhere lands in the
default queue, visibly."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.api.helpers import FIXTURES, open_task, start, upload

DIALECTS = FIXTURES / "dialects"
LEAVE = [DIALECTS / n for n in ("camunda_leave.bpmn", "leave_decision.dmn")]
LEAVE_FORM = DIALECTS / "leave_request.schema.json"


def deploy(api, *paths: Path):
    response = upload(api.as_("dana"), *paths)
    assert response.status_code == 201, response.get_data(as_text=True)[:500]
    return response.json


def complete(user, task_id: str, data: dict | None = None):
    return user.post(f"/api/tasks/{task_id}/complete", json={"data": data or {}})


def inbox_names(user) -> set[str]:
    return {t["task_name"] for t in user.get("/api/tasks").json["items"]}


def test_camunda_modeler_diagram_runs_to_the_end(api):
    casey, cole, sam = api.as_("casey"), api.as_("cole"), api.as_("sam")
    deployed = deploy(api, *LEAVE, LEAVE_FORM)

    instance = start(casey, "camunda_leave", "LEAVE-1").json
    record = open_task(instance, "Task_record")
    done = complete(casey, record["id"], {"days": 3})
    instance = casey.get(f"/api/instances/{instance['id']}").json
    confirm = open_task(instance, "Task_confirm")
    seen_by_cole = inbox_names(cole)
    seen_by_ira = inbox_names(api.as_("ira"))
    finished = complete(cole, confirm["id"])

    assert deployed["warnings"] == [] and deployed["missing_queues"] == []
    assert record["assignee"] == "casey"  # camunda:assignee
    assert "task.route" in [h["action"] for h in instance["history"]]  # audited
    assert record["form"]["key"] == "leave_request"  # camunda:formKey
    assert done.status_code == 200
    assert instance["data"]["requested_days"] == 3  # camunda:outputParameter
    assert instance["data"]["outcome"] == "approve"  # camunda:decisionRef
    assert "Task_confirm" in seen_by_cole and "Task_confirm" not in seen_by_ira
    assert finished.status_code == 200
    final = casey.get(f"/api/instances/{instance['id']}").json
    assert final["status"] == "completed"
    # plain bpmn:task and manualTask ran straight through: no task rows for them
    assert {t["task_name"] for t in final["tasks"]} == {"Task_record", "Task_confirm"}
    assert sam.get(f"/api/instances/{instance['id']}").status_code == 200


def test_camunda_candidate_groups_route_to_the_queue(api):
    casey, sam = api.as_("casey"), api.as_("sam")
    deploy(api, *LEAVE, LEAVE_FORM)
    instance = start(casey, "camunda_leave", "LEAVE-2").json

    complete(casey, open_task(instance, "Task_record")["id"], {"days": 30})
    instance = casey.get(f"/api/instances/{instance['id']}").json
    review = open_task(instance, "Task_review")

    assert instance["data"]["outcome"] == "refuse"
    assert review["queue"] == "supervisor"
    assert complete(sam, review["id"]).status_code == 200


def test_spiff_diagram_routes_by_lane_property_potential_owner_and_performer(api):
    ira, casey, cole, sam = (api.as_(n) for n in ("ira", "casey", "cole", "sam"))
    deployed = deploy(api, DIALECTS / "spiff_referral.bpmn")

    instance = start(ira, "spiff_referral", "REF-1", {"owner": "casey"}).json
    screen = open_task(instance, "Task_screen")
    complete(ira, screen["id"])
    sign = open_task(ira.get(f"/api/instances/{instance['id']}").json, "Task_sign")
    complete(casey, sign["id"])
    owner = open_task(casey.get(f"/api/instances/{instance['id']}").json, "Task_owner")
    cole_sees = inbox_names(cole)
    complete(cole, owner["id"])
    note = open_task(sam.get(f"/api/instances/{instance['id']}").json, "Task_note")
    complete(casey, note["id"])

    (warning,) = deployed["warnings"]
    assert warning["element_id"] == "DataStoreReference_1" and "ignored" in warning["message"]
    assert screen["queue"] == "intake_worker"  # lane "Intake Worker"
    assert sign["queue"] == "caseworker"  # spiffworkflow candidateGroups property
    assert owner["queue"] == "intake_worker"  # potentialOwner group(...)
    assert "Task_owner" in cole_sees  # potentialOwner user(cole), a caseworker
    assert note["assignee"] == "casey"  # humanPerformer user(${owner}) from the case data
    assert sam.get(f"/api/instances/{instance['id']}").json["status"] == "completed"


def test_unknown_lane_queue_is_a_warning_with_an_offer_then_works_once_created(api):
    dana, casey, cole = api.as_("dana"), api.as_("casey"), api.as_("cole")

    deployed = deploy(api, DIALECTS / "spiff_housing.bpmn")
    (offer,) = deployed["missing_queues"]
    created = dana.post(
        offer["create"]["href"],
        json={**offer["create"]["body"], "title_fr": "Logement", "users": ["cole"]},
    )
    instance = start(casey, "spiff_housing", "HOUSE-1").json
    assess = open_task(instance, "Task_assess")

    messages = {w["element_id"]: w["message"] for w in deployed["warnings"]}
    assert (
        "housing_review" in messages["Task_assess"] and "does not exist" in messages["Task_assess"]
    )
    assert offer["key"] == "housing_review" and "caseway queues add housing_review" in offer["cli"]
    assert created.status_code == 201, created.json
    assert assess["queue"] == "housing_review"
    assert "Task_assess" in inbox_names(cole) and "Task_assess" not in inbox_names(casey)
    assert complete(cole, assess["id"]).status_code == 200


def test_task_with_no_routing_goes_to_the_default_queue_with_a_warning(api):
    sam, casey = api.as_("sam"), api.as_("casey")
    deployed = deploy(api, DIALECTS / "spiff_housing.bpmn")
    api.as_("ada").post("/api/queues", json={"key": "housing_review", "roles": ["caseworker"]})

    instance = start(casey, "spiff_housing", "HOUSE-2").json
    complete(casey, open_task(instance, "Task_assess")["id"])
    triage = open_task(casey.get(f"/api/instances/{instance['id']}").json, "Task_triage")

    messages = {w["element_id"]: w["message"] for w in deployed["warnings"]}
    assert "default queue 'triage'" in messages["Task_triage"]
    assert triage["queue"] == "triage"
    assert "Task_triage" in inbox_names(sam)  # the office supervisors' triage queue
    assert complete(sam, triage["id"]).status_code == 200


def test_queue_table_lists_creates_and_updates(api):
    dana, sam, casey = api.as_("dana"), api.as_("sam"), api.as_("casey")

    created = dana.post(
        "/api/queues",
        json={
            "key": "appeals",
            "title_en": "Appeals",
            "title_fr": "Appels",
            "roles": ["caseworker"],
        },
    )
    again = dana.post("/api/queues", json={"key": "appeals"})
    bad_role = dana.post("/api/queues", json={"key": "x1", "roles": ["wizard"]})
    bad_key = dana.post("/api/queues", json={"key": "Not A Key"})
    updated = dana.patch("/api/queues/appeals", json={"users": ["olive"], "office": "ottawa"})
    missing = dana.patch("/api/queues/nope", json={"title_en": "x"})
    listed = sam.get("/api/queues/table").json
    refused = casey.post("/api/queues", json={"key": "mine"})

    assert created.status_code == 201 and created.json["title_fr"] == "Appels"
    assert again.status_code == 409
    assert bad_role.status_code == 422 and bad_role.json["errors"][0]["field"] == "roles"
    assert bad_key.status_code == 422 and bad_key.json["errors"][0]["field"] == "key"
    assert updated.status_code == 200
    assert updated.json["users"] == ["olive"] and updated.json["office"] == "ottawa"
    assert missing.status_code == 404
    assert "appeals" in [q["key"] for q in listed["items"]]
    assert refused.status_code == 403


def test_validate_reports_routing_warnings_without_deploying(api):
    response = api.as_("dana").post(
        "/api/definitions/validate",
        data={"file": [(open(DIALECTS / "spiff_housing.bpmn", "rb"), "spiff_housing.bpmn")]},
        content_type="multipart/form-data",
    )

    assert response.status_code == 200
    assert {w["element_id"] for w in response.json["warnings"]} == {"Task_assess", "Task_triage"}


@pytest.mark.parametrize(
    "paths",
    [
        [DIALECTS / "camunda_leave.bpmn"],  # its decision and form missing: 422, not 500
        [DIALECTS / "leave_decision.dmn"],
        [DIALECTS / "spiff_referral.bpmn", DIALECTS / "spiff_housing.bpmn", *LEAVE, LEAVE_FORM],
    ],
    ids=["no-dmn", "dmn-only", "all"],
)
def test_corpus_never_answers_5xx(api, paths):
    response = upload(api.as_("dana"), *paths)

    assert response.status_code in (201, 422), response.get_data(as_text=True)[:300]


def test_an_element_caseway_cannot_run_is_a_clean_4xx_naming_it(api):
    response = upload(api.as_("dana"), DIALECTS / "spiff_compensation.bpmn")

    # bpmn-elements implements compensation; until then it must be a clean refusal
    assert response.status_code in (201, 422), response.get_data(as_text=True)[:300]
    if response.status_code == 422:
        (error,) = response.json["errors"]
        assert error["element_id"] == "undo_book"
        assert "NotImplementedError" not in error["message"]
