"""Link events join like sequence flows; a conditional catch event fires once a command has
made its condition true."""

from __future__ import annotations

from tests.api.helpers import FIXTURES, open_task, start, upload, upload_bytes

DIAGRAM = FIXTURES / "links_and_conditions.bpmn"
FORM = FIXTURES / "collect_documents.schema.json"


def test_a_link_leads_on_and_a_condition_fires_after_the_data_changes(api):
    assert upload(api.as_("dana"), DIAGRAM, FORM).status_code == 201
    casey = api.as_("casey")

    started = start(casey, "links_and_conditions", data={"documents": "missing"}).json

    assert [t["task_name"] for t in started["tasks"]] == ["collect"]  # came through the link
    task = open_task(started, "collect")
    done = casey.post(f"/api/tasks/{task['id']}/complete", json={"data": {"documents": "complete"}})
    assert done.status_code == 200, done.json
    view = casey.get(f"/api/instances/{started['id']}").json
    task = open_task(view, "decide")  # the condition became true with the completion
    casey.post(f"/api/tasks/{task['id']}/complete", json={"data": {}})
    assert casey.get(f"/api/instances/{started['id']}").json["status"] == "completed"


def test_a_condition_already_true_fires_at_once(api):
    upload(api.as_("dana"), DIAGRAM, FORM)

    started = start(api.as_("casey"), "links_and_conditions", data={"documents": "complete"}).json

    assert sorted(t["task_name"] for t in started["tasks"]) == ["collect", "decide"]


def test_a_link_without_its_catch_is_refused_naming_it(api):
    broken = DIAGRAM.read_bytes().replace(
        b'id="led_catch" name="review"', b'id="led_catch" name="other"'
    )
    broken = broken.replace(b'name="review">', b'name="elsewhere">')

    response = upload_bytes(api.as_("dana"), "links_and_conditions.bpmn", broken)
    # (the form is not needed to find the broken link: links are checked before forms)

    assert response.status_code == 422
    assert {e["element_id"] for e in response.json["errors"]} == {"go_to_review"}
