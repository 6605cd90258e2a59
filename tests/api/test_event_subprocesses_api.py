"""Event subprocesses (message, timer, signal starts; interrupting or not) and signals sent
through `POST /api/signals`, driven through the API."""

from __future__ import annotations

from engine.casework import timers
from tests.api.helpers import FIXTURES, open_task, start, upload

DIAGRAM = FIXTURES / "event_subprocesses.bpmn"


def _instance(api, instance_id: str) -> dict:
    return api.as_("casey").get(f"/api/instances/{instance_id}").json


def test_a_message_starts_a_non_interrupting_event_subprocess(api):
    assert upload(api.as_("dana"), DIAGRAM).status_code == 201
    casey = api.as_("casey")
    instance_id = start(casey, "event_subprocesses").json["id"]

    first = casey.post(
        f"/api/instances/{instance_id}/messages",
        json={"name": "client_called", "payload": {"note": "asked about the rent"}},
    )
    second = casey.post(
        f"/api/instances/{instance_id}/messages", json={"name": "client_called", "payload": {}}
    )

    assert first.status_code == 200, first.json
    assert second.status_code == 200, second.json
    names = sorted(t["task_name"] for t in second.json["tasks"] if t["status"] == "open")
    assert names == ["note_call", "note_call", "work"]  # the main flow goes on
    waiting = second.json["waiting_for"]
    assert {"message": "client_called", "correlation": None} in waiting  # still listening
    assert {"signal": "office_closed"} in waiting

    for name in ("work", "note_call", "note_call"):
        task = open_task(_instance(api, instance_id), name)
        done = casey.post(f"/api/tasks/{task['id']}/complete", json={"data": {}})
        assert done.status_code == 200, done.json
    final = _instance(api, instance_id)
    assert final["status"] == "completed"  # the untriggered timer subprocess ended with it
    assert final["timers"] == [] and final["waiting_for"] == []


def test_a_timer_starts_an_event_subprocess_and_the_main_flow_goes_on(api, svc, clock):
    upload(api.as_("dana"), DIAGRAM)
    instance_id = start(api.as_("casey"), "event_subprocesses").json["id"]
    assert [t["task_name"] for t in _instance(api, instance_id)["timers"]] == ["reminder_start"]

    clock.advance(days=7, seconds=1)
    timers.tick(svc)

    names = sorted(t["task_name"] for t in _instance(api, instance_id)["tasks"])
    assert names == ["follow_up", "work"]


def test_a_signal_interrupts_every_waiting_case_of_the_office_only(api):
    upload(api.as_("dana"), DIAGRAM)
    here = start(api.as_("casey"), "event_subprocesses", key="CASE-1").json["id"]
    other = start(api.as_("casey"), "event_subprocesses", key="CASE-2").json["id"]
    away = start(api.as_("olive"), "event_subprocesses", key="CASE-3").json["id"]

    sent = api.as_("sam").post(
        "/api/signals", json={"name": "office_closed", "data": {"why": "storm"}}
    )
    nobody = api.as_("sam").post("/api/signals", json={"name": "nothing_waits_for_this"})

    assert sent.status_code == 202, sent.json
    assert sorted(sent.json["instance_ids"]) == sorted([here, other])
    assert nobody.status_code == 202 and nobody.json["instance_ids"] == []
    closed = _instance(api, here)
    assert closed["status"] == "completed"
    assert closed["data"]["closed_by_signal"] is True
    assert [t["status"] for t in closed["tasks"]] == ["cancelled"]  # interrupted
    assert any(h["action"] == "signal.deliver" for h in closed["history"])
    away_view = api.as_("olive").get(f"/api/instances/{away}").json
    assert away_view["status"] == "waiting"


def test_only_supervisors_and_admins_send_signals_to_their_office(api):
    by_caseworker = api.as_("casey").post("/api/signals", json={"name": "office_closed"})
    elsewhere = api.as_("sam").post(
        "/api/signals", json={"name": "office_closed", "office": "ottawa"}
    )
    no_name = api.as_("sam").post("/api/signals", json={"data": {}})

    assert by_caseworker.status_code == 403
    assert elsewhere.status_code == 403
    assert no_name.status_code == 422 and no_name.json["errors"][0]["field"] == "name"


THROWS = FIXTURES / "event_subprocess_throws.bpmn"


def test_an_error_end_event_starts_the_interrupting_error_subprocess(api):
    assert upload(api.as_("dana"), THROWS).status_code == 201
    casey = api.as_("casey")

    failed = start(casey, "event_subprocess_throws", data={"outcome": "error"}).json
    fine = start(casey, "event_subprocess_throws", key="CASE-2", data={"outcome": "ok"}).json

    assert [t["task_name"] for t in failed["tasks"]] == ["ask_for_documents"]
    assert [t["task_name"] for t in fine["tasks"]] == ["work"]  # the handler waits for an error
    task = open_task(failed, "ask_for_documents")
    casey.post(f"/api/tasks/{task['id']}/complete", json={"data": {}})
    assert _instance(api, failed["id"])["status"] == "completed"


def test_an_escalation_starts_the_non_interrupting_subprocess_beside_the_flow(api):
    upload(api.as_("dana"), THROWS)
    casey = api.as_("casey")

    late = start(casey, "event_subprocess_throws", data={"outcome": "late"}).json

    assert sorted(t["task_name"] for t in late["tasks"]) == ["tell_supervisor", "work"]
    for name in ("work", "tell_supervisor"):
        task = open_task(_instance(api, late["id"]), name)
        casey.post(f"/api/tasks/{task['id']}/complete", json={"data": {}})
    assert _instance(api, late["id"])["status"] == "completed"


def test_the_wait_rows_of_event_subprocesses_agree_with_the_state(api, svc):
    from engine.casework.consistency import check_instances

    upload(api.as_("dana"), DIAGRAM)
    upload(api.as_("dana"), THROWS)
    casey = api.as_("casey")
    ids = [start(casey, "event_subprocesses").json["id"]]
    casey.post(f"/api/instances/{ids[0]}/messages", json={"name": "client_called", "payload": {}})
    ids.append(
        start(casey, "event_subprocess_throws", key="CASE-2", data={"outcome": "late"}).json["id"]
    )

    report = check_instances(svc, ids)

    assert report.checked == 2 and report.disagreements == []
