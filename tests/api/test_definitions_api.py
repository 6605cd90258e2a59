"""Deploying and versioning definitions through the HTTP API."""

from __future__ import annotations

import io

from tests.api.helpers import WORKFLOWS, open_task, start, upload, upload_bytes

BENEFIT = WORKFLOWS.parent / "tests" / "fixtures" / "discretionary_benefit.bpmn"


def test_designer_deploys_a_new_definition(api):
    response = upload(api.as_("dana"), BENEFIT)

    assert response.status_code == 201
    (deployed,) = response.json["deployed"]
    assert deployed["process_id"] == "discretionary_benefit"
    assert deployed["version"] == 1
    assert deployed["created"] is True
    assert len(deployed["sha256"]) == 64


def test_redeploying_identical_xml_is_a_no_op(api):
    upload(api.as_("dana"), BENEFIT)

    again = upload(api.as_("dana"), BENEFIT)

    assert again.status_code == 201
    assert again.json["deployed"][0] == {
        **again.json["deployed"][0],
        "version": 1,
        "created": False,
    }


def test_changed_xml_makes_the_next_version(api):
    upload(api.as_("dana"), BENEFIT)
    changed = BENEFIT.read_bytes().replace(
        b"Approve the benefit", b"Approve the discretionary benefit"
    )

    response = upload_bytes(api.as_("dana"), "discretionary_benefit.bpmn", changed)

    assert response.json["deployed"][0]["version"] == 2
    listed = api.as_("casey").get("/api/definitions").json
    assert listed["total"] == 1
    assert listed["items"][0]["versions"] == [1, 2]


def test_running_instances_stay_on_their_version(api):
    upload(api.as_("dana"), BENEFIT)
    first = start(api.as_("casey"), "discretionary_benefit", "CASE-OLD").json
    changed = BENEFIT.read_bytes().replace(b"Record the benefit request", b"Record the request")
    upload_bytes(api.as_("dana"), "discretionary_benefit.bpmn", changed)

    second = start(api.as_("casey"), "discretionary_benefit", "CASE-NEW").json
    task = open_task(first, "record_request")
    done = api.as_("casey").post(
        f"/api/tasks/{task['id']}/complete",
        json={"data": {"client_name": "Pat", "purpose": "dental", "amount": 100}},
    )

    assert first["version"] == 1 and second["version"] == 2
    assert open_task(second, "record_request")["title"] == "Record the request"
    assert done.status_code == 200
    assert api.as_("casey").get(f"/api/instances/{first['id']}").json["status"] == "completed"


def test_deployed_xml_can_be_read_back(api):
    upload(api.as_("dana"), BENEFIT)

    response = api.as_("casey").get("/api/definitions/discretionary_benefit/versions/1/xml")

    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    assert response.data == BENEFIT.read_bytes()
    missing = api.as_("casey").get("/api/definitions/discretionary_benefit/versions/9/xml")
    assert missing.status_code == 404
    assert missing.mimetype == "application/problem+json"


def test_only_designers_deploy(api):
    response = upload(api.as_("casey"), BENEFIT)

    assert response.status_code == 403
    assert response.json["status"] == 403
    assert api.as_("casey").get("/api/definitions").json["total"] == 0


def test_invalid_diagram_is_refused_with_file_and_element(api):
    broken = BENEFIT.read_bytes().replace(b'id="notify"', b'id="no_such_handler"')

    response = upload_bytes(api.as_("dana"), "broken.bpmn", broken)

    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    (error,) = response.json["errors"]
    assert error["file"] == "broken.bpmn"
    assert error["element_id"] == "notify_client"
    assert "no_such_handler" in error["message"]
    assert api.as_("dana").get("/api/definitions").json["total"] == 0


def test_malformed_xml_is_a_422_not_a_500(api):
    response = upload_bytes(api.as_("dana"), "bad.bpmn", b"<bpmn:definitions")

    assert response.status_code == 422
    assert response.json["errors"][0]["file"] == "bad.bpmn"


def test_upload_without_files_is_a_400(api):
    response = api.as_("dana").post("/api/definitions", data={}, content_type="multipart/form-data")

    assert response.status_code == 400
    assert "file" in response.json["detail"]


def test_requests_without_a_token_are_401(api):
    response = api.client.get("/api/definitions")

    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"


def test_a_wrong_token_is_401(api):
    response = api.client.get("/api/tasks", headers={"Authorization": "Bearer cw_nope"})

    assert response.status_code == 401


def test_oversized_upload_is_413_problem_json(api, svc):
    from dataclasses import replace

    from engine.app import create_app

    small = replace(svc, settings=svc.settings.with_overrides({"max_upload_bytes": 20_000}))
    client = create_app(services=small).test_client()
    huge = b"<bpmn:definitions>" + b" " * 100_000 + b"</bpmn:definitions>"

    response = client.post(
        "/api/definitions",
        data={"file": [(io.BytesIO(huge), "huge.bpmn")]},
        content_type="multipart/form-data",
        headers={"Authorization": f"Bearer {api.tokens['dana']}"},
    )

    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"


def test_external_entities_are_never_resolved(api):
    xxe = (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">'
        b"&x;</bpmn:definitions>"
    )

    response = upload_bytes(api.as_("dana"), "xxe.bpmn", xxe)

    assert response.status_code == 422
    assert "root:" not in response.get_data(as_text=True)
    assert "DOCTYPE" in response.json["errors"][0]["message"]
