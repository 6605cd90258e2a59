"""Reading a case: client, owner, instances, open tasks, and one timeline across its processes
in readable English or French."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.store.models import AuditEvent
from tests.api.helpers import FIXTURES, upload, upload_bytes
from tests.cases.helpers import APPLICANT, deploy_intake, opened


@pytest.fixture
def case(api):
    deploy_intake(api)
    case = opened(api.as_("ira"), key="C-10")
    (task,) = api.as_("ira").get("/api/tasks?case=C-10").json["items"]
    api.as_("ira").post(f"/api/tasks/{task['id']}/claim")
    done = api.as_("ira").post(
        f"/api/tasks/{task['id']}/complete",
        json={
            "data": {
                "request": "temporary_care",
                "urgent_need": "none",
                "applicant": APPLICANT,
                "application_notes": "Walk-in",
            }
        },
    )
    assert done.status_code == 200, done.json
    return case


def test_the_case_shows_client_instances_and_open_work(api, case):
    body = api.as_("casey").get("/api/cases/C-10").json

    assert body["key"] == "C-10" and body["status"] == "open" and body["owner"] is None
    assert body["client"]["name"] == "Marie-Ève Tremblay"
    assert [(i["process_id"], i["status"]) for i in body["instances"]] == [("intake", "waiting")]
    assert [t["task_name"] for t in body["tasks"]] == ["contact_applicant"]
    assert body["tasks"][0]["case_key"] == "C-10"


def test_the_timeline_reads_in_english(api, case):
    timeline = api.as_("casey").get("/api/cases/C-10").json["timeline"]

    assert [e["kind"] for e in timeline][-2:] == ["process", "case"]  # oldest last
    recorded = next(e for e in timeline if e["title"] == "Record the request")
    assert recorded["actor"] == "ira"
    assert {"label": "Applicant › Legal name", "value": "Marie-Ève Tremblay"} in recorded["entries"]
    assert {"label": "Applicant › Preferred language", "value": "French"} in recorded["entries"]
    assert {"label": "Applicant › Interpreter needed", "value": "Yes"} in recorded["entries"]
    assert {"label": "Applicant › Date of birth", "value": "February 29, 1984"} in recorded[
        "entries"
    ]
    assert {"label": "Notes", "value": "Walk-in"} in recorded["entries"]
    started = next(e for e in timeline if e["kind"] == "process")
    assert started["title"] == "Started: Municipal intake"
    ats = [e["at"] for e in timeline]
    assert ats == sorted(ats, reverse=True)


def test_the_timeline_reads_in_french(api, case):
    body = api.as_("casey").get("/api/cases/C-10", headers={"Accept-Language": "fr-CA,fr;q=0.9"})
    timeline = body.json["timeline"]

    recorded = next(e for e in timeline if e["title"] == "Inscrire la demande")
    assert {"label": "Requérant › Nom légal", "value": "Marie-Ève Tremblay"} in recorded["entries"]
    assert {"label": "Requérant › Langue préférée", "value": "Français"} in recorded["entries"]
    assert {"label": "Requérant › Besoin d'un interprète", "value": "Oui"} in recorded["entries"]
    assert {"label": "Requérant › Date de naissance", "value": "29 février 1984"} in recorded[
        "entries"
    ]
    assert timeline[-1]["title"] == "Dossier ouvert"


def test_reading_a_case_is_audited(api, svc, case):
    api.as_("cole").get("/api/cases/C-10")

    with svc.sessions() as session:
        reads = session.scalars(select(AuditEvent).where(AuditEvent.action == "case.read")).all()
    assert [(r.actor, r.case_id is not None) for r in reads] == [("cole", True)]


def test_another_office_cannot_see_it(api, case):
    assert api.as_("olive").get("/api/cases/C-10").status_code == 404
    assert api.as_("omar").get("/api/cases/C-10").status_code == 404
    assert api.as_("dana").get("/api/cases/C-10").status_code == 404
    assert api.as_("ada").get("/api/cases/C-10").status_code == 200
    assert api.as_("olive").get("/api/cases/C-10?office=sudbury").status_code == 404


def test_tasks_can_be_listed_by_case(api, case):
    other = opened(api.as_("ira"), key="C-11")

    listed = api.as_("ira").get("/api/tasks?case=C-10&status=any").json["items"]

    assert {t["case_key"] for t in listed} == {"C-10"}
    assert len(listed) == 2
    assert other["key"] not in {t["case_key"] for t in listed}


def test_child_processes_join_their_parents_case(api):
    child = (
        (FIXTURES / "await_acceptance.bpmn")
        .read_bytes()
        .replace(b'id="await_acceptance"', b'id="child_process"')
    )
    upload_bytes(api.as_("dana"), "child.bpmn", child)
    upload(api.as_("dana"), FIXTURES / "spawn_children.bpmn")
    response = api.as_("casey").post(
        "/api/cases",
        json={
            "process_id": "spawn_children",
            "key": "C-20",
            "client": {"name": "Lee Martin"},
            "data": {"process_id": "child_process", "referral_ids": ["R-1", "R-2"]},
        },
    )
    assert response.status_code == 201, response.json

    body = api.as_("sam").get("/api/cases/C-20").json

    assert sorted(i["process_id"] for i in body["instances"]) == [
        "child_process",
        "child_process",
        "spawn_children",
    ]
    started = [e for e in body["timeline"] if e["title"].startswith("Started")]
    assert len(started) == 3
