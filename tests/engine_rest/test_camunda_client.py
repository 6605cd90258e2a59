"""The published Camunda 7 Python client (`camunda-external-task-client-python3`), unmodified,
against a served Caseway: configured only with the base URL and a bearer token, it starts a
case, completes a task, fails with retries until an incident, and throws a BPMN error that a
boundary event catches.

The server runs on the test's FakeClock: the client's 30-second long polls pass in clock time
(the poll sleeps through the clock), never in real time.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from engine.clock import FakeClock
from tests.engine_rest.conftest import DIAGRAMS
from tests.web.browser import live_server

with warnings.catch_warnings():  # the client's pydantic v1-style validators warn on import
    warnings.simplefilter("ignore", DeprecationWarning)
    from camunda.client.engine_client import EngineClient
    from camunda.external_task.external_task import ExternalTask, TaskResult
    from camunda.external_task.external_task_worker import (
        ExternalTaskWorker,
        NoExternalTaskFound,
    )

from tests.api.helpers import upload


@pytest.fixture
def base_url(app: Any, api: Any, workers: dict[str, str]) -> Iterator[str]:
    assert upload(api.as_("dana"), *DIAGRAMS).status_code == 201
    with live_server(app) as url:
        yield f"{url}/engine-rest"


def _config(token: str) -> dict[str, Any]:
    return {"auth_bearer": {"access_token": token}}


def _worker(base_url: str, token: str, name: str = "letters-1") -> ExternalTaskWorker:
    return ExternalTaskWorker(worker_id=name, base_url=base_url, config=_config(token))


def _instance(api: Any, instance_id: str) -> dict[str, Any]:
    return dict(api.as_("sam").get(f"/api/instances/{instance_id}").get_json())


def test_the_client_starts_a_case_and_completes_its_task(
    api: Any, base_url: str, workers: dict[str, str]
) -> None:
    engine = EngineClient(base_url, config=_config(workers["letters"]))
    started = engine.start_process("letters", {"client": "Ana"}, business_key="CASE-1")
    seen: list[str] = []

    def send(task: ExternalTask) -> TaskResult:
        seen.append(task.get_variable("client"))
        return task.complete({"letterId": "L-1", "pages": 2})

    _worker(base_url, workers["letters"]).fetch_and_execute("send-letter", send)

    instance = _instance(api, started["id"])
    assert seen == ["Ana"]
    assert instance["status"] == "completed"
    assert instance["data"]["letterId"] == "L-1" and instance["data"]["pages"] == 2


def test_the_clients_failures_retry_then_open_an_incident(
    api: Any, base_url: str, workers: dict[str, str], clock: FakeClock
) -> None:
    engine = EngineClient(base_url, config=_config(workers["letters"]))
    instance_id = engine.start_process("letters", {"client": "Ana"}, business_key="CASE-2")["id"]
    worker = _worker(base_url, workers["letters"])
    retries_seen: list[int | None] = []

    def fail(task: ExternalTask) -> TaskResult:
        retries_seen.append(task._context["retries"])
        return task.failure("printer offline", "lp0 jammed", max_retries=3, retry_timeout=60_000)

    for _ in range(4):
        worker.fetch_and_execute("send-letter", fail)
        clock.advance(seconds=61)  # past the retry timeout
    with pytest.raises(NoExternalTaskFound):
        worker.fetch_and_execute("send-letter", fail)

    incidents = _instance(api, instance_id)["incidents"]
    assert retries_seen == [None, 3, 2, 1]
    assert [i["message"] for i in incidents if i["resolved_at"] is None] == ["printer offline"]

    assert api.as_("sam").post(f"/api/instances/{instance_id}/retry").status_code < 300
    worker.fetch_and_execute("send-letter", lambda task: task.complete({"sent": True}))
    assert _instance(api, instance_id)["status"] == "completed"


def test_the_clients_bpmn_error_is_caught_by_the_boundary_event(
    api: Any, base_url: str, workers: dict[str, str]
) -> None:
    engine = EngineClient(base_url, config=_config(workers["letters"]))
    instance_id = engine.start_process("letters", {}, business_key="CASE-3")["id"]

    _worker(base_url, workers["letters"]).fetch_and_execute(
        "send-letter",
        lambda task: task.bpmn_error("NO_ADDRESS", "no address on file", {"reason": "moved"}),
    )

    instance = _instance(api, instance_id)
    assert instance["status"] == "completed"
    assert instance["data"]["reason"] == "moved"


def test_the_client_correlates_a_message_by_business_key(
    api: Any, base_url: str, workers: dict[str, str]
) -> None:
    engine = EngineClient(base_url, config=_config(workers["any"]))
    instance_id = engine.start_process("await_reply", {}, business_key="CASE-4")["id"]

    answer = engine.correlate_message("partner_reply", business_key="CASE-4")

    assert answer[0]["execution"]["processInstanceId"] == instance_id
    _worker(base_url, workers["any"]).fetch_and_execute(
        "send-letter", lambda task: task.complete({"filed": True})
    )
    assert _instance(api, instance_id)["status"] == "completed"


def test_a_token_of_another_office_fetches_nothing(
    api: Any, base_url: str, workers: dict[str, str]
) -> None:
    EngineClient(base_url, config=_config(workers["letters"])).start_process(
        "letters", {}, business_key="CASE-5"
    )

    with pytest.raises(NoExternalTaskFound):
        _worker(base_url, workers["ottawa"], "ottawa-1").fetch_and_execute(
            "send-letter", lambda task: task.complete({})
        )
