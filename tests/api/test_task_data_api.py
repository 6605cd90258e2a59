"""What a completion may write (the task's form decides, a formless task takes nothing) and
what answers a completion of someone else's task (409, as claiming it does)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.helpers import FIXTURES, WORKFLOWS, open_task, start, upload

REQUEST = {"client_name": "Pat Doe", "purpose": "dental", "amount": 400}


def complete(user: Any, task_id: str, data: Any) -> Any:
    return user.post(f"/api/tasks/{task_id}/complete", json={"data": data})


def fields(response: Any) -> set[str]:
    return {e["field"] for e in response.json["errors"]}


@pytest.fixture
def benefit(api: Any) -> dict:
    upload(api.as_("dana"), WORKFLOWS.parent / "tests" / "fixtures" / "discretionary_benefit.bpmn")
    return start(api.as_("casey"), "discretionary_benefit", "CASE-D").json


@pytest.fixture
def loop(api: Any) -> dict:
    """A case whose open task ("Review") has no form."""
    upload(api.as_("dana"), FIXTURES / "loop_review.bpmn")
    return start(api.as_("casey"), "loop_review", "LOOP-D", {"count": 0, "limit": 3}).json


def test_a_formless_task_takes_no_data(api, loop):
    task = open_task(loop, "review")

    refused = complete(api.as_("casey"), task["id"], {"approved": True, "count": 99})
    still = api.as_("casey").get(f"/api/instances/{loop['id']}").json

    assert refused.status_code == 422
    assert fields(refused) == {"data.approved", "data.count"}
    assert still["data"] == {"count": 0, "limit": 3}
    assert open_task(still, "review")["status"] == "open"


def test_a_formless_task_completes_with_empty_data(api, loop):
    task = open_task(loop, "review")

    done = complete(api.as_("casey"), task["id"], {})

    assert done.status_code == 200 and done.json["status"] == "completed"
    detail = api.as_("casey").get(f"/api/tasks/{task['id']}").json
    assert detail["form"]["schema"]["additionalProperties"] is False


def test_fields_the_form_does_not_have_are_refused_by_name(api, benefit):
    task = open_task(benefit, "record_request")

    refused = complete(api.as_("casey"), task["id"], {**REQUEST, "approved": True})

    assert refused.status_code == 422
    assert fields(refused) == {"data.approved"}
    assert "approved" not in api.as_("casey").get(f"/api/instances/{benefit['id']}").json["data"]


def test_completing_a_task_someone_else_holds_is_a_conflict_like_claiming_it(api, benefit):
    task = open_task(benefit, "record_request")
    api.as_("casey").post(f"/api/tasks/{task['id']}/claim")

    claim = api.as_("cole").post(f"/api/tasks/{task['id']}/claim")
    steal = complete(api.as_("cole"), task["id"], REQUEST)

    assert claim.status_code == steal.status_code == 409
    assert "casey" in steal.json["detail"]
