"""Opening a case: generated keys, the client block, start forms, and refusals that leave
nothing behind."""

from __future__ import annotations

import pytest

from tests.api.helpers import start
from tests.cases.helpers import IN_PERSON, MARIE, counts, deploy_intake, open_case, opened


@pytest.fixture(autouse=True)
def deployed(api):
    deploy_intake(api)


def test_a_case_gets_the_next_key_of_its_office_and_year(api):
    first = opened(api.as_("ira"))
    second = opened(api.as_("casey"), client={"name": "Jordan Smith"})
    other_office = opened(api.as_("olive"), client={"name": "Olive's client"})

    assert (first["key"], second["key"]) == ("C-2027-000001", "C-2027-000002")
    assert other_office["key"] == "C-2027-000001"
    assert first["status"] == "open" and first["office"] == "sudbury"
    assert first["client"] == {
        "name": "Marie-Ève Tremblay",
        "preferred_language": "fr",
        "date_of_birth": "1984-02-29",
        "contact": {"email": "me@example.org", "phone": "705-555-0199", "address": None},
        "safe_contact": True,
        "interpreter_needed": False,
    }
    instance = api.as_("ira").get(f"/api/instances/{first['instance_id']}").json
    assert instance["business_key"] == "C-2027-000001" and instance["status"] == "waiting"


def test_the_first_task_carries_the_case_key_and_client_name(api):
    case = opened(api.as_("ira"))

    inbox = api.as_("ira").get("/api/tasks").json["items"]
    (task,) = [t for t in inbox if t["instance_id"] == case["instance_id"]]
    single = api.as_("ira").get(f"/api/tasks/{task['id']}").json

    assert (task["case_key"], task["client_name"]) == (case["key"], "Marie-Ève Tremblay")
    assert (single["case_key"], single["client_name"]) == (case["key"], "Marie-Ève Tremblay")


def test_a_given_key_is_used_and_a_duplicate_is_a_conflict_leaving_nothing(api, svc):
    opened(api.as_("ira"), key="C-1001")
    before = counts(svc)

    again = open_case(api.as_("casey"), key="C-1001")

    assert again.status_code == 409
    assert again.mimetype == "application/problem+json"
    assert counts(svc) == before


def test_an_unknown_process_is_404_leaving_nothing(api, svc):
    before = counts(svc)

    response = api.as_("ira").post(
        "/api/cases", json={"process_id": "nope", "client": MARIE, "data": {}}
    )

    assert response.status_code == 404
    assert counts(svc) == before


def test_start_data_is_checked_against_the_start_form_per_field(api, svc):
    before = counts(svc)

    missing = open_case(api.as_("ira"), data={"applicant": {"name": "X"}})
    wrong = open_case(api.as_("ira"), data={"channel": "pigeon"})

    assert missing.status_code == wrong.status_code == 422
    assert {e["field"] for e in missing.json["errors"]} == {"data.channel"}
    assert [e["field"] for e in wrong.json["errors"]] == ["data.channel"]
    assert counts(svc) == before
    assert opened(api.as_("ira"))["key"] == "C-2027-000001"  # no number was used up


def test_the_client_block_is_validated(api, svc):
    before = counts(svc)

    bad = open_case(
        api.as_("ira"),
        client={"name": "", "preferred_language": "de", "date_of_birth": "1984-02-30"},
    )

    assert bad.status_code == 422
    assert counts(svc) == before


def test_designers_cannot_open_cases(api):
    assert open_case(api.as_("dana")).status_code == 403


# -- POST /api/instances finds or makes the case ------------------------------------------------


def test_starting_an_instance_makes_its_case_once(api):
    first = start(api.as_("ira"), "intake", "C-1002", IN_PERSON)
    again = start(api.as_("ira"), "intake", "C-1002", IN_PERSON)

    assert first.status_code == 201
    assert again.status_code == 409
    assert api.as_("ira").get("/api/cases?q=C-1002").json["total"] == 1
    assert api.as_("sam").get("/api/instances?business_key=C-1002").json["total"] == 1


def test_an_instance_without_start_data_is_refused_not_broken(api):
    response = start(api.as_("ira"), "intake", "C-1001", {})

    assert response.status_code == 422
    assert response.json["errors"] == [{"field": "data.channel", "message": "is required"}]
    assert api.as_("sam").get("/api/instances?business_key=C-1001").json["total"] == 0


def test_another_process_joins_the_existing_case(api):
    from tests.api.helpers import FIXTURES, upload

    upload(api.as_("dana"), FIXTURES / "await_acceptance.bpmn")
    case = opened(api.as_("ira"), key="C-7")

    joined = start(api.as_("casey"), "await_acceptance", "C-7", {})

    detail = api.as_("sam").get("/api/cases/C-7").json
    assert joined.status_code == 201
    assert {i["process_id"] for i in detail["instances"]} == {"intake", "await_acceptance"}
    assert case["instance_id"] in {i["id"] for i in detail["instances"]}


def test_nothing_starts_on_a_closed_case(api):
    opened(api.as_("ira"), key="C-8")
    assert (
        api.as_("sam").post("/api/cases/C-8/close", json={"reason": "duplicate"}).status_code == 200
    )

    response = start(api.as_("ira"), "intake", "C-8", IN_PERSON)

    assert response.status_code == 409
