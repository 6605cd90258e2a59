"""The OpenAPI description and the home page are there for newcomers and client authors."""

from __future__ import annotations


def test_openapi_lists_the_design_endpoints(app):
    spec = app.test_client().get("/api/openapi.json").json

    paths = set(spec["paths"])
    assert {
        "/api/definitions",
        "/api/definitions/{process_id}/versions/{version}/xml",
        "/api/instances",
        "/api/instances/{instance_id}",
        "/api/instances/{instance_id}/messages",
        "/api/tasks",
        "/api/tasks/{task_id}",
        "/api/tasks/{task_id}/claim",
        "/api/tasks/{task_id}/unclaim",
        "/api/tasks/{task_id}/complete",
        "/api/tasks/{task_id}/assign",
        "/api/cases",
        "/api/cases/{key}",
        "/api/cases/{key}/close",
        "/api/cases/{key}/transfer",
        "/api/cases/{key}/notes",
        "/api/cases/{key}/notes/{note_id}",
        "/api/cases/{key}/attachments",
        "/api/cases/{key}/attachments/{attachment_id}",
        "/api/incidents",
        "/api/instances/{instance_id}/data",
    } <= paths
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_home_page_and_health(app):
    client = app.test_client()

    home = client.get("/")
    health = client.get("/healthz")

    assert home.status_code == 200 and b"Caseway" in home.data
    assert health.json == {"status": "ok"}


def test_unknown_api_path_is_problem_json(app):
    response = app.test_client().get("/api/nothing-here")

    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
