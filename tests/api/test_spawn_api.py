"""A service task can start other processes (one referral per need) in the same transaction."""

from __future__ import annotations

from tests.api.helpers import FIXTURES, start, upload, upload_bytes

SPAWN = FIXTURES / "spawn_children.bpmn"


def test_one_child_per_item_in_the_same_case(api):
    child = (
        (FIXTURES / "await_acceptance.bpmn")
        .read_bytes()
        .replace(b'id="await_acceptance"', b'id="child_process"')
    )
    upload_bytes(api.as_("dana"), "child.bpmn", child)
    upload(api.as_("dana"), SPAWN)

    parent = start(
        api.as_("casey"),
        "spawn_children",
        "CASE-S",
        {"process_id": "child_process", "referral_ids": ["R-1", "R-2"]},
    ).json

    assert parent["status"] == "completed", parent["incidents"]
    children = api.as_("casey").get("/api/instances?process_id=child_process").json["items"]
    assert len(children) == 2
    assert {c["business_key"] for c in children} == {"CASE-S"}
    ids = sorted(
        api.as_("sam").get(f"/api/instances/{c['id']}").json["data"]["referral_id"]
        for c in children
    )
    assert ids == ["R-1", "R-2"]
    spawned = [h for h in parent["history"] if h["action"] == "instance.spawn"]
    assert len(spawned) == 2


def test_starting_an_undeployed_process_is_an_incident_not_a_failure(api):
    upload(api.as_("dana"), SPAWN)

    parent = start(
        api.as_("casey"), "spawn_children", "CASE-X", {"process_id": "nope", "referral_ids": ["R"]}
    ).json

    assert parent["status"] == "error"
    assert "not deployed" in parent["incidents"][0]["message"]
