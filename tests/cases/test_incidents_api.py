"""Broken cases: supervisors see the real error, fix the data and retry."""

from __future__ import annotations

import pytest

from tests.cases.helpers import deploy_intake, opened

NO_CONTACT = {"name": "No Contact", "date_of_birth": "1980-01-01", "preferred_language": "en"}


@pytest.fixture
def broken(api):
    """C-40: recorded without any way to reach the applicant, so opening the file failed."""
    deploy_intake(api)
    case = opened(api.as_("ira"), key="C-40", client={"name": "No Contact"})
    (task,) = api.as_("ira").get("/api/tasks?case=C-40").json["items"]
    api.as_("ira").post(
        f"/api/tasks/{task['id']}/complete",
        json={
            "data": {"request": "temporary_care", "urgent_need": "none", "applicant": NO_CONTACT}
        },
    )
    return case["instance_id"]


def test_supervisors_see_their_offices_incidents_with_the_real_error(api, broken):
    listed = api.as_("sam").get("/api/incidents").json

    (incident,) = listed["items"]
    assert listed["total"] == 1
    assert incident["case_key"] == "C-40" and incident["process_id"] == "intake"
    assert incident["step"] == "open_case_file" and incident["instance_id"] == broken
    assert "no phone, email or mailing address" in incident["message"]
    assert api.as_("omar").get("/api/incidents").json["total"] == 0
    assert api.as_("ada").get("/api/incidents").json["total"] == 1
    assert api.as_("casey").get("/api/incidents").status_code == 403


def test_a_supervisor_fixes_the_data_and_the_retry_succeeds(api, broken):
    fixed_applicant = {**NO_CONTACT, "phone": "705-555-0100"}

    by_intake_worker = api.as_("ira").patch(
        f"/api/instances/{broken}/data",
        json={
            "data": {
                "request": "temporary_care",
                "urgent_need": "none",
                "applicant": fixed_applicant,
            }
        },
    )
    fixed = api.as_("sam").patch(
        f"/api/instances/{broken}/data",
        json={
            "data": {
                "request": "temporary_care",
                "urgent_need": "none",
                "applicant": fixed_applicant,
            }
        },
    )
    retried = api.as_("sam").post(f"/api/instances/{broken}/retry")

    assert by_intake_worker.status_code == 403  # she started it, so she sees it
    assert fixed.status_code == 200 and fixed.json["status"] == "error"
    assert retried.status_code == 200 and retried.json["status"] == "waiting", retried.json
    assert api.as_("sam").get("/api/incidents").json["total"] == 0
    titles = [e["title"] for e in api.as_("sam").get("/api/cases/C-40").json["timeline"]]
    assert "Case data corrected" in titles


def test_only_a_broken_instance_takes_a_fix(api, broken):
    healthy = opened(api.as_("ira"), key="C-41")["instance_id"]

    response = api.as_("sam").patch(f"/api/instances/{healthy}/data", json={"data": {"x": 1}})
    elsewhere = api.as_("omar").patch(f"/api/instances/{broken}/data", json={"data": {"x": 1}})

    assert response.status_code == 409
    assert elsewhere.status_code == 404
