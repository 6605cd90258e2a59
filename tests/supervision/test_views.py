"""What a supervisor sees: the team, caseloads against the target, and waiting queue work."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from engine.config import Settings
from tests.supervision.conftest import away, claimed_case, complete, open_task, start_case


def test_team_shows_each_workers_load_and_who_is_away(api, svc, clock, casework):
    first = claimed_case(api, "CASE-1")
    clock.advance(days=1)
    claimed_case(api, "CASE-2")
    clock.advance(days=2, hours=12)  # CASE-1's assessment (due in 3 days) is now late
    away(api, svc, "cole", cover="casey", reason="training", lasts=timedelta(hours=4))

    team = api.as_("sam").get("/api/team").json

    by_name = {w["username"]: w for w in team["items"]}
    assert team["office"] == "sudbury" and team["total"] == len(team["items"])
    assert set(by_name) == {"casey", "cole", "ira", "sam"}
    casey, cole = by_name["casey"], by_name["cole"]
    assert (casey["open_tasks"], casey["overdue_tasks"], casey["active_cases"]) == (2, 1, 2)
    assert casey["next_due_at"] == first["due_at"]
    assert casey["covering_for"] == ["cole"] and casey["absent_today"] is False
    assert cole["absent_now"] and cole["absent_today"]
    assert cole["absence"]["cover"] == "casey" and cole["absence"]["reason_category"] == "training"


def test_team_marks_an_absence_later_today(api, svc, casework):
    away(api, svc, "cole", cover=None, starts_in=timedelta(hours=2), lasts=timedelta(hours=1))

    cole = next(w for w in api.as_("sam").get("/api/team").json["items"] if w["username"] == "cole")

    assert cole["absent_today"] is True and cole["absent_now"] is False
    assert cole["absence"]["status"] == "scheduled"


def test_caseloads_flag_workers_over_the_target(api, svc, casework):
    svc.settings = dataclasses.replace(svc.settings, caseload_target=1)
    claimed_case(api, "CASE-1")
    claimed_case(api, "CASE-2")
    claimed_case(api, "CASE-3", user="cole")
    start_case(api, "CASE-4")

    caseloads = api.as_("sam").get("/api/caseloads").json

    lines = {c["username"]: c for c in caseloads["items"]}
    assert caseloads["target"] == 1 and caseloads["unowned_active_cases"] == 1
    assert (lines["casey"]["active_cases"], lines["casey"]["over_target"]) == (2, True)
    assert lines["casey"]["ratio"] == 2.0
    assert (lines["cole"]["active_cases"], lines["cole"]["over_target"]) == (1, False)


def test_finished_cases_leave_the_caseload(api, casework):
    assess = claimed_case(api, "CASE-1")
    complete(api, "casey", assess["id"])
    complete(api, "casey", open_task(api, assess["instance_id"])["id"])
    complete(api, "sam", open_task(api, assess["instance_id"])["id"])

    lines = {c["username"]: c for c in api.as_("sam").get("/api/caseloads").json["items"]}

    assert lines["casey"]["active_cases"] == 0


def test_queue_view_shows_unassigned_work_with_oldest_and_most_urgent(api, clock, casework):
    first = open_task(api, start_case(api, "CASE-1"))
    clock.advance(hours=5)
    start_case(api, "CASE-2")
    claimed_case(api, "CASE-3")

    queues = api.as_("sam").get("/api/queues").json

    (line,) = queues["items"]
    assert line["queue"] == "caseworker" and line["unassigned"] == 2 and line["overdue"] == 0
    assert line["oldest_created_at"] == first["created_at"]
    assert line["most_urgent_due_at"] == first["due_at"]


def test_views_are_for_supervisors_of_their_own_office(api):
    for path in ("/api/team", "/api/caseloads", "/api/queues"):
        assert api.as_("casey").get(path).status_code == 403
        assert api.as_("sam").get(f"{path}?office=ottawa").status_code == 403
        assert api.as_("ada").get(f"{path}?office=ottawa").json["office"] == "ottawa"
    olive = api.as_("omar").get("/api/team").json["items"]
    assert [w["username"] for w in olive] == ["olive", "omar"]


def test_caseload_target_comes_from_the_environment():
    assert Settings.from_env({"CASEWAY_CASELOAD_TARGET": "25"}).caseload_target == 25
    assert Settings.from_env({}).caseload_target == 60


def test_openapi_describes_the_supervision_endpoints(app):
    paths = set(app.test_client().get("/api/openapi.json").json["paths"])

    assert {
        "/api/users/{username}/absences",
        "/api/users/{username}/absences/{absence_id}/end",
        "/api/users/{username}/absences/{absence_id}/hand-back",
        "/api/cases/{business_key}/owner",
        "/api/tasks/reassign",
        "/api/team",
        "/api/caseloads",
        "/api/queues",
    } <= paths
