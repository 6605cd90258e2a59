"""Compensation: a throw undoes the completed activities of a subprocess by running their
handlers, latest first; a case that is not cancelled runs none."""

from __future__ import annotations

from tests.api.helpers import FIXTURES, open_task, start, upload, upload_bytes

DIAGRAM = FIXTURES / "book_and_cancel.bpmn"
FORM = FIXTURES / "confirm_stay.schema.json"


def _finish(api, cancel: bool) -> dict:
    casey = api.as_("casey")
    started = start(casey, "book_and_cancel").json
    task = open_task(started, "confirm")
    done = casey.post(f"/api/tasks/{task['id']}/complete", json={"data": {"cancel": cancel}})
    assert done.status_code == 200, done.json
    return casey.get(f"/api/instances/{started['id']}").json


def test_cancelling_runs_the_handlers_of_completed_bookings_latest_first(api):
    assert upload(api.as_("dana"), DIAGRAM, FORM).status_code == 201

    view = _finish(api, cancel=True)

    assert view["status"] == "completed", view["incidents"]
    assert view["data"]["bookings"] == ["room", "transport"]
    assert view["data"]["undone"] == ["transport", "room"]
    assert view["data"]["status"] == "cancelled"


def test_keeping_the_bookings_runs_no_handler(api):
    upload(api.as_("dana"), DIAGRAM, FORM)

    view = _finish(api, cancel=False)

    assert view["status"] == "completed"
    assert "undone" not in view["data"]


def test_a_compensation_boundary_without_a_handler_is_refused_not_a_500(api):
    broken = DIAGRAM.read_bytes().replace(
        b'<bpmn:association id="as_room" associationDirection="One" sourceRef="undo_room" '
        b'targetRef="cancel_room" />',
        b"",
    )

    response = upload_bytes(api.as_("dana"), "book_and_cancel.bpmn", broken)

    assert response.status_code == 422
    assert response.json["errors"][0]["element_id"] == "undo_room"
