"""Long-lived cases: SpiffWorkflow silently stalls loops after ~250 iterations; ours must not."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.store.models import ProcessInstance
from tests.api.helpers import FIXTURES, start, upload

pytestmark = pytest.mark.slow


def test_a_thousand_iteration_loop_completes(api, svc):
    upload(api.as_("dana"), FIXTURES / "loop_review.bpmn")
    case = start(api.as_("casey"), "loop_review", "CASE-LOOP", {"count": 0, "limit": 1000}).json
    casey = api.as_("casey")
    sizes = {}

    for iteration in range(1, 1001):
        task = casey.get(f"/api/tasks?instance_id={case['id']}").json["items"][0]
        response = casey.post(f"/api/tasks/{task['id']}/complete", json={"data": {}})
        assert response.status_code == 200, response.json
        if iteration in (10, 999):
            with svc.sessions() as session:
                sizes[iteration] = len(session.get(ProcessInstance, case["id"]).state)

    final = casey.get(f"/api/instances/{case['id']}").json
    assert final["status"] == "completed"
    assert final["data"]["count"] == 1000
    assert sizes[999] < sizes[10] * 2
    with svc.sessions() as session:
        assert session.scalars(select(ProcessInstance.status)).all() == ["completed"]
