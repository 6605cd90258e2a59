"""The discretionary threshold is local policy: an office that sets it lower sends smaller
requests to a supervisor."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from tests.workflows.helpers import complete, deploy, open_tasks, start


@pytest.fixture
def settings(settings, tmp_path):
    config = tmp_path / "standards.json"
    config.write_text(json.dumps({"discretionary_approval_threshold": 100}))
    return replace(settings, standards_config=config)


def test_an_office_threshold_sends_smaller_requests_to_a_supervisor(api):
    deploy(api, "discretionary_benefit.bpmn")
    case = start(api.as_("casey"), "discretionary_benefit", "CASE-43", {})

    case = complete(
        api,
        "casey",
        case,
        "record_request",
        {"client_name": "Pat", "purpose": "dental", "amount": 180},
    )

    assert open_tasks(case) == ["approve_benefit"]
