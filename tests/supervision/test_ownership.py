"""Case ownership: the first caseworker to take a case owns it and gets its next steps."""

from __future__ import annotations

from tests.supervision.conftest import (
    assignee,
    audit,
    claimed_case,
    complete,
    open_task,
    put,
    start_case,
)


def test_first_claim_makes_the_owner_and_the_next_step_goes_straight_to_them(api, svc, casework):
    assess = claimed_case(api, "CASE-1", user="cole")

    complete(api, "cole", assess["id"])
    plan = open_task(api, assess["instance_id"])

    assert plan["task_name"] == "plan" and plan["assignee"] == "cole"
    assert api.as_("sam").get("/api/cases/CASE-1/owner").json["owner"] == "cole"
    assert [e["reason"] for e in audit(svc, "case.owner")] == ["first_claim"]
    (routed,) = audit(svc, "task.route")
    assert routed["task_id"] == plan["id"] and routed["reason"] == "owner"


def test_completing_an_unclaimed_task_also_makes_the_owner(api, casework):
    assess = open_task(api, start_case(api, "CASE-1"))

    complete(api, "casey", assess["id"])

    owner = api.as_("casey").get("/api/cases/CASE-1/owner").json
    assert owner["owner"] == "casey" and owner["active"] is True


def test_a_second_caseworker_does_not_take_over_the_case(api, casework):
    assess = claimed_case(api, "CASE-1", user="casey")
    complete(api, "casey", assess["id"])
    plan = open_task(api, assess["instance_id"])
    api.as_("sam").post(f"/api/tasks/{plan['id']}/assign", json={"user": None})

    api.as_("cole").post(f"/api/tasks/{plan['id']}/claim")

    assert api.as_("sam").get("/api/cases/CASE-1/owner").json["owner"] == "casey"


def test_supervisor_lane_tasks_stay_in_their_queue(api, casework):
    assess = claimed_case(api, "CASE-1")
    complete(api, "casey", assess["id"])

    complete(api, "casey", open_task(api, assess["instance_id"])["id"])

    sign_off = open_task(api, assess["instance_id"])
    assert sign_off["queue"] == "supervisor" and sign_off["assignee"] is None


def test_supervisor_changes_the_owner_and_the_open_work_follows(api, svc, casework):
    assess = claimed_case(api, "CASE-1", user="cole")

    changed = put(api, "sam", "/api/cases/CASE-1/owner", {"user": "casey"})

    assert changed.status_code == 200
    assert changed.json["owner"] == "casey" and changed.json["moved_tasks"] == 1
    assert assignee(api, assess["id"]) == "casey"
    last = audit(svc, "case.owner")[-1]
    assert (last["actor"], last["previous"], last["owner"]) == ("sam", "cole", "casey")
    (moved,) = audit(svc, "task.reassign")
    assert moved["reason"] == "ownership" and moved["previous"] == "cole"


def test_clearing_the_owner_sends_the_work_back_to_the_queue(api, casework):
    assess = claimed_case(api, "CASE-1")

    cleared = put(api, "sam", "/api/cases/CASE-1/owner", {"user": None})

    assert cleared.json["owner"] is None
    assert assignee(api, assess["id"]) is None


def test_owner_changes_are_for_supervisors_of_the_office(api, casework):
    start_case(api, "CASE-1")

    by_peer = put(api, "casey", "/api/cases/CASE-1/owner", {"user": "casey"})
    not_a_caseworker = put(api, "sam", "/api/cases/CASE-1/owner", {"user": "ira"})
    other_office = put(api, "sam", "/api/cases/CASE-1/owner", {"user": "olive"})
    unknown_case = put(api, "sam", "/api/cases/CASE-404/owner", {"user": "casey"})
    from_ottawa = put(api, "omar", "/api/cases/CASE-1/owner", {"user": "olive"})

    assert by_peer.status_code == 403
    assert not_a_caseworker.status_code == 422
    assert not_a_caseworker.json["errors"][0]["field"] == "user"
    assert other_office.status_code == 422
    assert unknown_case.status_code == 404
    assert from_ottawa.status_code == 404
    assert api.as_("olive").get("/api/cases/CASE-1/owner").status_code == 404
