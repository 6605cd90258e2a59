"""Scripts and timer expressions read the engine's clock, in the office's time zone."""

from __future__ import annotations

from datetime import UTC, datetime

from engine.casework import timers
from tests.api.helpers import FIXTURES, start, upload

DIAGRAM = FIXTURES / "clocked_script.bpmn"


def test_scripts_see_the_injected_clock_in_office_time(api, svc, clock):
    clock.set(datetime(2027, 1, 5, 3, 30, tzinfo=UTC))  # 22:30 on Jan 4 in Toronto
    assert upload(api.as_("dana"), DIAGRAM).status_code == 201

    started = start(api.as_("casey"), "clocked_script").json

    assert started["data"]["opened_on"] == "2027-01-04"  # the office's day, not UTC's
    assert started["data"]["opened_at"] == "2027-01-04T22:30:00"
    assert started["data"]["opened_utc"] == "2027-01-05T03:30:00+00:00"
    (timer,) = started["timers"]
    # datetime.now() + 2h, a naive office time, is read in the office zone: due in 2 hours.
    assert timer["due_at"] == "2027-01-05T05:30:00+00:00"
    clock.advance(hours=2, seconds=1)
    timers.tick(svc)
    view = api.as_("casey").get(f"/api/instances/{started['id']}").json
    assert [t["task_name"] for t in view["tasks"]] == ["check"]
