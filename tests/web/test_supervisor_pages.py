"""The supervisor's pages: team and queue boards, bulk reassignment, absences, the report."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tests.api.helpers import open_task, start
from tests.web.conftest import WebClient

REQUEST = {"client_name": "Ana", "purpose": "dental", "amount": 100}


def _text(response) -> str:  # type: ignore[no-untyped-def]
    return re.sub(r"\s+", " ", response.data.decode())


def _office_time(moment: datetime) -> str:
    """What a supervisor in Sudbury types into a datetime-local field."""
    return moment.astimezone(ZoneInfo("America/Toronto")).strftime("%Y-%m-%dT%H:%M")


def _claimed(api, user: str, key: str) -> dict:
    task = open_task(start(api.as_("casey"), "discretionary_benefit", key).json, "record_request")
    api.as_(user).post(f"/api/tasks/{task['id']}/claim")
    return task


def test_the_team_board_counts_each_workers_tasks(web: WebClient, api, deployed):
    _claimed(api, "casey", "CASE-1")
    _claimed(api, "casey", "CASE-2")
    web.login("sam")

    page = _text(web.get("/team"))

    row = page[page.index('href="/team/casey"') :]
    assert re.search(r'data-label="Open tasks" class="num">2<', row)
    assert "/team/cole" in page and "/team/olive" not in page  # own office only


def test_bulk_reassignment_moves_the_selected_tasks(web: WebClient, api, deployed):
    first = _claimed(api, "casey", "CASE-1")
    second = _claimed(api, "casey", "CASE-2")
    web.login("sam")

    page = _text(web.get("/team/casey"))
    moved = web.client.post(
        "/reassign",
        data={
            "task_id": [first["id"], second["id"]],
            "to": "cole",
            "next": "/team/casey",
            "csrf_token": web.token(),
        },
    )

    assert "CASE-1" in page and "CASE-2" in page and '<option value="cole">' in page
    assert moved.headers["Location"] == "/team/casey"
    assert "2 task(s) reassigned." in _text(web.get("/team/casey"))
    for task in (first, second):
        assert api.as_("sam").get(f"/api/tasks/{task['id']}").json["assignee"] == "cole"


def test_bulk_reassignment_is_all_or_nothing(web: WebClient, api, deployed):
    task = _claimed(api, "casey", "CASE-1")
    web.login("sam")

    web.client.post(
        "/reassign", data={"task_id": [task["id"]], "to": "ira", "csrf_token": web.token()}
    )

    assert "cannot go to that person" in _text(web.get("/team"))
    assert api.as_("sam").get(f"/api/tasks/{task['id']}").json["assignee"] == "casey"


def test_the_queue_board_lists_unclaimed_work(web: WebClient, api, deployed):
    start(api.as_("casey"), "discretionary_benefit", "CASE-1")
    web.login("sam")

    board = _text(web.get("/queues"))
    queue = _text(web.get("/queues/caseworker"))

    assert 'href="/queues/caseworker">Caseworker</a>' in board
    assert "CASE-1" in queue and "Give the selected tasks to" in queue


def test_an_absence_moves_work_to_the_cover_and_shows_on_the_board(
    web: WebClient, api, deployed, clock
):
    task = _claimed(api, "casey", "CASE-1")
    web.login("sam")
    starts, ends = _office_time(clock.now()), _office_time(clock.now() + timedelta(days=3))

    added = web.post(
        "/absences",
        {"user": "casey", "starts_at": starts, "ends_at": ends, "cover": "cole", "reason": "sick"},
    )

    assert added.status_code == 302
    assert "The absence of casey is recorded." in _text(web.get("/absences"))
    assert api.as_("sam").get(f"/api/tasks/{task['id']}").json["assignee"] == "cole"
    board = _text(web.get("/team"))
    assert "covered by cole" in board and "Covering for casey" in board


def test_a_bad_absence_is_explained(web: WebClient, api, deployed, clock):
    web.login("sam")
    starts = _office_time(clock.now())

    bad = web.post(
        "/absences", {"user": "casey", "starts_at": starts, "ends_at": starts, "reason": "x"}
    )
    empty = web.post(
        "/absences", {"user": "casey", "starts_at": "", "ends_at": "", "reason": "sick"}
    )

    assert bad.status_code == 422 and empty.status_code == 422
    page = _text(bad)
    assert "Choose a reason." in page or "The end must be after the start" in page
    assert f'value="{starts}"' in page  # what was typed is kept
    assert "Give the start and the end as a date and a time." in _text(empty)


def test_an_absence_can_start_now(web: WebClient, api, deployed, clock):
    web.login("sam")
    ends = _office_time(clock.now() + timedelta(days=2))

    added = web.post(
        "/absences",
        {"user": "casey", "from_now": "1", "starts_at": "", "ends_at": ends, "reason": "sick"},
    )

    assert added.status_code == 302
    assert "Away now" in _text(web.get("/absences"))


def test_ending_an_absence_then_handing_the_work_back(web: WebClient, api, deployed, clock):
    task = _claimed(api, "casey", "CASE-1")
    web.login("sam")
    starts, ends = _office_time(clock.now()), _office_time(clock.now() + timedelta(days=3))
    web.post(
        "/absences",
        {"user": "casey", "starts_at": starts, "ends_at": ends, "cover": "cole", "reason": "sick"},
    )
    absence = re.search(r'action="/absences/(\d+)/end"', _text(web.get("/absences")))
    assert absence is not None

    web.post(f"/absences/{absence.group(1)}/end", {"user": "casey"})
    clock.advance(timedelta(minutes=5))
    page = _text(web.get("/absences"))
    web.post(f"/absences/{absence.group(1)}/hand-back", {"user": "casey"})

    assert "Recently back" in page
    assert "1 task(s) handed back to casey." in _text(web.get("/absences"))
    assert api.as_("sam").get(f"/api/tasks/{task['id']}").json["assignee"] == "casey"


def test_the_report_draws_on_time_and_late_per_week(web: WebClient, api, deployed, clock):
    task = _claimed(api, "casey", "CASE-1")
    api.as_("casey").post(f"/api/tasks/{task['id']}/complete", json={"data": REQUEST})
    web.login("sam")

    page = _text(web.get("/standards"))

    assert "Completed on time and late, week by week" in page
    # the step has no deadline: "no standard", neither on time nor late, so no bar either
    assert "Nothing with a deadline was completed in the last 8 weeks." in page
    assert '<td data-label="No standard" class="num">1</td>' in page
    assert '<td data-label="On time" class="num">0</td>' in page


def test_supervisor_pages_are_for_supervisors(web: WebClient):
    web.login("casey")

    for path in ("/team", "/queues", "/standards", "/absences", "/team/cole"):
        assert web.get(path).status_code == 403


def test_reassignment_lists_offer_nobody_who_is_away(web: WebClient, api, deployed, clock):
    _claimed(api, "casey", "CASE-1")
    absence = {
        "starts_at": clock.now().isoformat(),
        "ends_at": (clock.now() + timedelta(days=5)).isoformat(),
        "cover": None,
        "reason_category": "vacation",
    }
    assert api.as_("sam").post("/api/users/cole/absences", json=absence).status_code == 201
    web.login("sam")

    held = _text(web.get("/team/casey"))
    queue = _text(web.get("/queues/caseworker"))

    assert '<option value="cole">' not in held and '<option value="cole">' not in queue
    assert '<option value="casey">' in queue and "CASE-1" in held
