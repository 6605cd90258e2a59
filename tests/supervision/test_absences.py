"""Absences: while a worker is away their work goes to the cover (or the queue), and a
supervisor hands it back afterwards; every move is audited with its reason."""

from __future__ import annotations

from datetime import timedelta

from engine.casework import timers
from engine.identity.users import add_user
from engine.store.db import transaction
from tests.supervision.conftest import (
    assignee,
    audit,
    away,
    claimed_case,
    complete,
    open_task,
    start_case,
)


def test_absence_starting_now_moves_claimed_tasks_to_the_cover(api, svc, casework):
    first, second = claimed_case(api, "CASE-1"), claimed_case(api, "CASE-2")

    response = away(api, svc, "casey", cover="cole")

    assert response.status_code == 201
    assert response.json["status"] == "active" and response.json["moved_tasks"] == 2
    assert [assignee(api, t["id"]) for t in (first, second)] == ["cole", "cole"]
    moves = audit(svc, "task.reassign")
    assert {m["task_id"] for m in moves} == {first["id"], second["id"]}
    assert all(
        (m["actor"], m["reason"], m["previous"], m["assignee"], m["absence_id"])
        == ("sam", "absence", "casey", "cole", response.json["id"])
        for m in moves
    )


def test_absence_without_cover_sends_tasks_back_to_the_queue(api, svc, casework):
    task = claimed_case(api, "CASE-1")

    away(api, svc, "casey", cover=None, reason="sick")

    assert assignee(api, task["id"]) is None
    assert api.as_("cole").get("/api/tasks?queue=caseworker").json["total"] == 1


def test_future_absence_starts_when_the_scheduler_reaches_it(api, svc, clock, casework):
    task = claimed_case(api, "CASE-1")
    created = away(api, svc, "casey", starts_in=timedelta(days=1)).json

    timers.tick(svc)
    before = assignee(api, task["id"])
    clock.advance(days=1)
    timers.tick(svc)

    assert created["status"] == "scheduled" and created["moved_tasks"] == 0
    assert before == "casey"
    assert assignee(api, task["id"]) == "cole"
    (move,) = audit(svc, "task.reassign")
    assert move["actor"] == "scheduler" and move["reason"] == "absence"
    listed = api.as_("casey").get("/api/users/casey/absences").json
    assert listed["items"][0]["status"] == "active" and listed["items"][0]["moved_tasks"] == 1


def test_new_work_of_an_absent_owner_goes_to_the_cover_until_the_absence_ends(
    api, svc, clock, casework
):
    loop = start_case(api, "LOOP-1", "loop_review", {"count": 0, "limit": 5})
    complete(api, "casey", open_task(api, loop)["id"])  # casey now owns LOOP-1
    away(api, svc, "casey", cover="cole", lasts=timedelta(days=2))

    complete(api, "cole", open_task(api, loop)["id"])
    during = open_task(api, loop)
    clock.advance(days=3)
    timers.tick(svc)
    still_with_cover = assignee(api, during["id"])
    complete(api, "cole", during["id"])
    after = open_task(api, loop)

    assert during["assignee"] == "cole"
    assert still_with_cover == "cole"  # nothing moves back silently
    assert after["assignee"] == "casey"
    routes = audit(svc, "task.route")
    assert [(r["reason"], r["assignee"]) for r in routes] == [
        ("owner", "casey"),
        ("absence", "cole"),
        ("owner", "casey"),
    ]


def test_new_work_of_an_absent_owner_without_cover_waits_in_the_queue(api, svc, casework):
    loop = start_case(api, "LOOP-1", "loop_review", {"count": 0, "limit": 5})
    complete(api, "casey", open_task(api, loop)["id"])
    away(api, svc, "casey", cover=None)

    complete(api, "cole", open_task(api, loop)["id"])
    review = open_task(api, loop)

    assert review["assignee"] is None
    last = audit(svc, "task.route")[-1]
    assert (last["task_id"], last["reason"], last["assignee"]) == (review["id"], "absence", None)


def test_hand_back_returns_what_the_cover_still_holds(api, svc, clock, casework):
    first, second = claimed_case(api, "CASE-1"), claimed_case(api, "CASE-2")
    absence = away(api, svc, "casey", cover="cole").json
    complete(api, "cole", second["id"])
    plan = open_task(api, second["instance_id"])  # casey's case: it went to her cover

    too_early = api.as_("sam").post(f"/api/users/casey/absences/{absence['id']}/hand-back")
    api.as_("casey").post(f"/api/users/casey/absences/{absence['id']}/end")
    by_worker = api.as_("casey").post(f"/api/users/casey/absences/{absence['id']}/hand-back")
    back = api.as_("sam").post(f"/api/users/casey/absences/{absence['id']}/hand-back")

    assert too_early.status_code == 409
    assert by_worker.status_code == 403
    assert plan["assignee"] == "cole"
    assert back.status_code == 200 and back.json == {"moved": 2}
    assert [assignee(api, t["id"]) for t in (first, plan)] == ["casey", "casey"]
    handed = [m for m in audit(svc, "task.reassign") if m["reason"] == "hand_back"]
    assert {(m["task_id"], m["actor"]) for m in handed} == {
        (first["id"], "sam"),
        (plan["id"], "sam"),
    }


def test_hand_back_leaves_queue_work_someone_has_taken_since(api, svc, casework):
    first, second = claimed_case(api, "CASE-1"), claimed_case(api, "CASE-2")
    absence = away(api, svc, "casey", cover=None).json
    api.as_("cole").post(f"/api/tasks/{second['id']}/claim")
    api.as_("sam").post(f"/api/users/casey/absences/{absence['id']}/end")

    back = api.as_("sam").post(f"/api/users/casey/absences/{absence['id']}/hand-back")

    assert back.json == {"moved": 1}
    assert [assignee(api, t["id"]) for t in (first, second)] == ["casey", "cole"]


def test_cover_must_share_a_queue_in_the_same_office(api, svc):
    other_office = away(api, svc, "casey", cover="olive")
    no_caseworker_role = away(api, svc, "casey", cover="ira")
    themselves = away(api, svc, "casey", cover="casey")
    nobody = away(api, svc, "casey", cover="nobody")

    for response in (other_office, no_caseworker_role, themselves, nobody):
        assert response.status_code == 422
        assert response.json["errors"][0]["field"] == "cover"


def test_absence_period_and_reason_are_checked(api, svc):
    year_one = api.as_("sam").post(
        "/api/users/casey/absences",
        json={
            "starts_at": "0001-01-01T00:00:00+05:00",
            "ends_at": "2027-01-06T09:00:00+00:00",
            "reason_category": "leave",
        },
    )
    backwards = away(api, svc, "casey", lasts=timedelta(hours=-1))
    already_over = away(api, svc, "casey", starts_in=timedelta(days=-3), lasts=timedelta(days=1))
    no_such_reason = away(api, svc, "casey", reason="dentist appointment")
    naive = api.as_("sam").post(
        "/api/users/casey/absences",
        json={
            "starts_at": "2027-01-05T09:00",
            "ends_at": "2027-01-06T09:00",
            "reason_category": "leave",
        },
    )

    assert backwards.status_code == 422 and backwards.json["errors"][0]["field"] == "ends_at"
    assert already_over.status_code == 422
    assert no_such_reason.status_code == 422
    assert no_such_reason.json["errors"][0]["field"] == "reason_category"
    assert naive.status_code == 422
    assert year_one.status_code == 422 and year_one.json["errors"][0]["field"] == "starts_at"


def test_overlapping_absences_conflict(api, svc):
    away(api, svc, "casey", lasts=timedelta(days=5))

    overlapping = away(api, svc, "casey", starts_in=timedelta(days=4))
    after = away(api, svc, "casey", starts_in=timedelta(days=5))

    assert overlapping.status_code == 409
    assert after.status_code == 201


def test_who_may_record_and_read_absences(api, svc):
    own = away(api, svc, "casey", by="casey", cover="cole")
    for_a_colleague = away(api, svc, "cole", by="casey", cover="casey")
    other_office = away(api, svc, "casey", by="omar", cover=None)
    unknown = away(api, svc, "nobody", cover=None)

    assert own.status_code == 201 and own.json["created_by"] == "casey"
    assert for_a_colleague.status_code == 403
    assert other_office.status_code == 404
    assert unknown.status_code == 404
    assert api.as_("cole").get("/api/users/casey/absences").status_code == 403
    assert api.as_("sam").get("/api/users/casey/absences").json["total"] == 1


def test_end_early_or_cancel(api, svc, clock):
    running = away(api, svc, "casey").json
    planned = away(api, svc, "cole", cover="casey", starts_in=timedelta(days=10)).json
    clock.advance(hours=2)

    ended = api.as_("sam").post(f"/api/users/casey/absences/{running['id']}/end")
    cancelled = api.as_("cole").post(f"/api/users/cole/absences/{planned['id']}/end")
    again = api.as_("sam").post(f"/api/users/casey/absences/{running['id']}/end")
    wrong_user = api.as_("sam").post(f"/api/users/cole/absences/{running['id']}/end")

    assert ended.json["status"] == "ended"
    assert ended.json["ends_at"] == clock.now().isoformat()
    assert cancelled.json["status"] == "cancelled"
    assert again.status_code == 409
    assert wrong_user.status_code == 404
    assert [e["actor"] for e in audit(svc, "absence.end")] == ["sam"]


def test_assigning_to_someone_who_is_away_is_refused(api, svc, casework):
    task = open_task(api, start_case(api, "CASE-1"))
    away(api, svc, "casey", cover="cole")

    response = api.as_("sam").post(f"/api/tasks/{task['id']}/assign", json={"user": "casey"})

    assert response.status_code == 422
    assert "cole" in response.json["detail"]


def test_a_cover_who_is_away_passes_the_work_to_their_own_cover(api, svc, casework):
    with transaction(svc.sessions) as session:
        add_user(session, "kim", office="sudbury", roles=["caseworker"], now=svc.clock.now())
    task = claimed_case(api, "CASE-1")
    away(api, svc, "cole", cover="kim")

    away(api, svc, "casey", cover="cole")

    assert assignee(api, task["id"]) == "kim"


def test_covers_covering_for_each_other_leave_the_work_in_the_queue(api, svc, casework):
    task = claimed_case(api, "CASE-1")
    away(api, svc, "cole", cover="casey")

    away(api, svc, "casey", cover="cole")

    assert assignee(api, task["id"]) is None


def test_an_absence_over_before_the_scheduler_saw_it_moves_nothing(api, svc, clock, casework):
    task = claimed_case(api, "CASE-1")
    away(api, svc, "casey", starts_in=timedelta(hours=1), lasts=timedelta(hours=1))
    clock.advance(hours=3)

    timers.tick(svc)

    assert assignee(api, task["id"]) == "casey"
    assert audit(svc, "task.reassign") == []
