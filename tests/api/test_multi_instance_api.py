"""A sequential multi-instance user task completed without its output item is a 422 naming
the field (it was a 500), and with it the loop collects every answer."""

from __future__ import annotations

from tests.api.helpers import FIXTURES, open_task, start, upload

DIAGRAM = FIXTURES / "review_each_document.bpmn"
FORM = FIXTURES / "document_verdict.schema.json"


def test_each_document_is_reviewed_and_a_missing_verdict_is_named(api):
    assert upload(api.as_("dana"), DIAGRAM, FORM).status_code == 201
    casey = api.as_("casey")
    started = start(casey, "review_each_document", data={"documents": ["id card", "lease"]}).json

    first = open_task(started, "review")
    missing = casey.post(f"/api/tasks/{first['id']}/complete", json={"data": {}})

    assert missing.status_code == 422, missing.json
    assert missing.json["errors"][0]["field"] == "verdict"
    for verdict in ("accepted", "refused"):
        view = casey.get(f"/api/instances/{started['id']}").json
        task = open_task(view, "review")
        done = casey.post(f"/api/tasks/{task['id']}/complete", json={"data": {"verdict": verdict}})
        assert done.status_code == 200, done.json
    final = casey.get(f"/api/instances/{started['id']}").json
    assert final["status"] == "completed"
    assert final["data"]["verdicts"] == ["accepted", "refused"]
