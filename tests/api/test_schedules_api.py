"""Processes that start on a timer, and office closure days that business time skips."""

from __future__ import annotations

from datetime import UTC, datetime

from engine.casework import timers
from tests.api.helpers import FIXTURES, start, upload, upload_bytes

REVIEW = FIXTURES / "scheduled_review.bpmn"


def scheduled(api, office: str = "sudbury") -> list[dict]:
    key = f"schedule:scheduled_review:{office}"
    return api.as_("ada").get(f"/api/instances?business_key={key}").json["items"]


def runs(api) -> list[dict]:
    items = api.as_("ada").get("/api/instances?process_id=scheduled_review").json["items"]
    return [i for i in items if ":run:" in i["business_key"]]


def test_a_timer_start_process_is_scheduled_on_deploy_and_each_firing_starts_a_case(
    api, svc, clock
):
    upload(api.as_("dana"), REVIEW)
    (instance,) = scheduled(api)

    assert instance["status"] == "waiting"
    for _ in range(3):
        clock.advance(hours=1, seconds=1)
        timers.tick(svc)
    clock.advance(hours=5)
    assert timers.tick(svc) == 0

    detail = api.as_("ada").get(f"/api/instances/{instance['id']}").json
    assert detail["tasks"] == [] and detail["timers"] == []  # the schedule only keeps time
    assert detail["status"] == "completed"  # R3: no firing left
    started = [api.as_("ada").get(f"/api/instances/{r['id']}").json for r in runs(api)]
    assert len(started) == 6  # three firings in each of the two offices
    assert all([t["task_name"] for t in run["tasks"]] == ["check"] for run in started)
    assert all(run["timers"] == [] for run in started)
    assert api.as_("sam").get("/api/tasks?queue=supervisor").json["total"] == 3
    assert len(scheduled(api, "ottawa")) == 1
    assert api.as_("omar").get("/api/tasks?queue=supervisor").json["total"] == 3


def test_redeploying_stops_the_previous_schedule(api, svc, clock):
    upload(api.as_("dana"), REVIEW)
    changed = REVIEW.read_bytes().replace(b"Check caseloads", b"Check every caseload")

    upload_bytes(api.as_("dana"), "scheduled_review.bpmn", changed)

    by_version = {i["version"]: i["status"] for i in scheduled(api)}
    assert by_version == {1: "terminated", 2: "waiting"}
    clock.advance(hours=1, seconds=1)
    assert timers.tick(svc) == 2  # one schedule per office


def test_supervisor_manages_closures_and_deadlines_skip_them(api, svc, clock):
    clock.set(datetime(2027, 1, 4, 15, 0, tzinfo=UTC))  # Monday 10:00 in Toronto
    sam = api.as_("sam")

    added = sam.post("/api/offices/sudbury/closures", json={"day": "2027-01-05", "reason": "Storm"})
    twice = sam.post("/api/offices/sudbury/closures", json={"day": "2027-01-05", "reason": "x"})
    by_caseworker = api.as_("casey").post(
        "/api/offices/sudbury/closures", json={"day": "2027-01-06", "reason": "x"}
    )
    other_office = api.as_("omar").get("/api/offices/sudbury/closures")
    bad_day = sam.post("/api/offices/sudbury/closures", json={"day": "2027-02-30", "reason": "x"})

    assert added.status_code == 201 and added.json["day"] == "2027-01-05"
    assert twice.status_code == 409
    assert by_caseworker.status_code == 403
    assert other_office.status_code == 404
    assert bad_day.status_code == 422 and bad_day.json["errors"][0]["field"] == "day"
    listed = api.as_("casey").get("/api/offices/sudbury/closures").json
    assert [c["day"] for c in listed["items"]] == ["2027-01-05"]

    removed = sam.client.delete("/api/offices/sudbury/closures/2027-01-05", headers=sam.headers)
    again = sam.client.delete("/api/offices/sudbury/closures/2027-01-05", headers=sam.headers)
    assert removed.status_code == 204 and again.status_code == 404


def test_business_day_deadline_skips_an_office_closure(api, svc, clock):
    clock.set(datetime(2027, 1, 4, 15, 0, tzinfo=UTC))  # Monday 10:00 in Toronto
    diagram = (FIXTURES / "wait_then_act.bpmn").read_bytes()
    business = diagram.replace(
        b"<bpmn:timeDuration>wait_for<", b"<bpmn:timeDuration>business_days(1)<"
    )
    upload_bytes(api.as_("dana"), "wait_then_act.bpmn", business)
    before = start(api.as_("casey"), "wait_then_act", "CASE-1").json
    api.as_("sam").post(
        "/api/offices/sudbury/closures", json={"day": "2027-01-05", "reason": "Storm"}
    )

    after = start(api.as_("casey"), "wait_then_act", "CASE-2").json
    elsewhere = start(api.as_("olive"), "wait_then_act", "CASE-3").json

    assert before["timers"][0]["due_at"] == "2027-01-05T15:00:00+00:00"  # Tuesday 10:00
    assert after["timers"][0]["due_at"] == "2027-01-06T15:00:00+00:00"  # Wednesday 10:00
    assert elsewhere["timers"][0]["due_at"] == "2027-01-05T15:00:00+00:00"  # Ottawa is open


WEEKDAYS = FIXTURES / "weekday_check.bpmn"


def test_a_cron_cycle_starts_a_case_each_weekday_at_nine_office_time(api, svc, clock):
    clock.set(datetime(2027, 1, 8, 15, 0, tzinfo=UTC))  # Friday 10:00 in Toronto
    assert upload(api.as_("dana"), WEEKDAYS).status_code == 201
    key = "schedule:weekday_check:sudbury"
    (schedule,) = api.as_("ada").get(f"/api/instances?business_key={key}").json["items"]

    def due() -> list[str]:
        return [
            t["due_at"]
            for t in api.as_("ada").get(f"/api/instances/{schedule['id']}").json["timers"]
        ]

    assert due() == ["2027-01-11T14:00:00+00:00"]  # Monday 09:00 EST, not Saturday
    clock.set(datetime(2027, 1, 11, 14, 0, 1, tzinfo=UTC))
    assert timers.tick(svc) == 2  # one schedule per office

    assert due() == ["2027-01-12T14:00:00+00:00"]  # then Tuesday 09:00
    items = api.as_("ada").get("/api/instances?process_id=weekday_check").json["items"]
    started = [i for i in items if ":run:" in i["business_key"]]
    assert len(started) == 2 and all(i["status"] == "waiting" for i in started)
    assert timers.tick(svc) == 0  # exactly once


def test_a_cron_cycle_that_is_not_valid_is_refused_at_deploy(api):
    broken = WEEKDAYS.read_bytes().replace(b"MON-FRI", b"MON-FUN")

    response = upload_bytes(api.as_("dana"), "weekday_check.bpmn", broken)

    assert response.status_code == 422
    assert "day of week" in response.json["errors"][0]["message"]
