"""DMN as Camunda 7 evaluates it: every hit policy's result shape, and a DRD whose decisions
require other decisions, driven through the API."""

from __future__ import annotations

import io

import pytest

from tests.api.helpers import FIXTURES, start, upload

BPMN = FIXTURES / "eligibility.bpmn"
DMN = FIXTURES / "eligibility.dmn"


def _deploy(api, dmn: bytes):
    files = [
        (io.BytesIO(BPMN.read_bytes()), "eligibility.bpmn"),
        (io.BytesIO(dmn), "eligibility.dmn"),
    ]
    return api.as_("dana").post(
        "/api/definitions", data={"file": files}, content_type="multipart/form-data"
    )


def test_every_hit_policy_gives_its_result_shape(api):
    assert upload(api.as_("dana"), BPMN, DMN).status_code == 201

    done = start(api.as_("casey"), "eligibility", data={"household_size": 5, "income": 15000})

    assert done.status_code == 201, done.json
    data = api.as_("casey").get(f"/api/instances/{done.json['id']}").json["data"]
    assert done.json["status"] == "completed"
    assert data["benefits"] == [
        "food",
        "rent",
        "transit",
    ]  # RULE ORDER, band from a required decision
    assert data["amounts"] == [300, 500, 50]
    assert data["urgencies"] == ["high", "medium", "low"]  # OUTPUT ORDER: by the output values
    assert data["urgency"] == "medium"  # PRIORITY
    assert data["allowance_total"] == 850  # COLLECT SUM
    assert data["program_count"] == 2  # COLLECT COUNT
    assert data["largest_allowance"] == 500  # COLLECT MAX
    assert data["smallest_allowance"] == 50  # COLLECT MIN
    assert data["tags"] == ["low income", "resident"]  # COLLECT
    assert "band" not in data  # a required decision's result feeds the next, nothing more


def test_a_small_household_gets_fewer_rules(api):
    upload(api.as_("dana"), BPMN, DMN)

    done = start(api.as_("casey"), "eligibility", data={"household_size": 2, "income": 50000})

    data = done.json["data"]
    assert data["benefits"] == ["transit"]
    assert data["allowance_total"] == 550
    assert data["program_count"] == 0
    assert data["urgency"] == "low"


def test_two_unique_rules_matching_is_an_incident_not_a_guess(api):
    overlapping = DMN.read_bytes().replace(b"<text>&gt;= 4</text>", b"<text>&gt;= 1</text>")
    assert _deploy(api, overlapping).status_code == 201

    done = start(api.as_("casey"), "eligibility", data={"household_size": 2, "income": 1})

    assert done.json["status"] == "error"
    incident = api.as_("sam").get(f"/api/instances/{done.json['id']}").json["incidents"][0]
    assert "UNIQUE" in incident["message"] and "1, 2" in incident["message"]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            b'hitPolicy="COLLECT" aggregation="SUM"',
            b'hitPolicy="FIRST" aggregation="SUM"',
            "COLLECT",
        ),
        (b'href="#household_band"', b'href="#nowhere"', "nowhere"),
        (b'hitPolicy="UNIQUE"', b'hitPolicy="SOMETIMES"', "SOMETIMES"),
    ],
)
def test_a_broken_decision_is_refused_at_deploy(api, old, new, message):
    response = _deploy(api, DMN.read_bytes().replace(old, new, 1))

    assert response.status_code == 422, response.json
    assert any(message in e["message"] for e in response.json["errors"]), response.json
