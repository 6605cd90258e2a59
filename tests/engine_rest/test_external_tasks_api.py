"""The Camunda 7 external-task API: fetch-and-lock, locks that expire, long polling, scopes,
complete / failure / BPMN error, and bad bodies answered 400 naming the field."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from engine.casework import commands
from engine.clock import FakeClock
from engine.identity.users import Principal
from engine.services import Services
from engine.store.models import AuditEvent
from tests.api.helpers import start
from tests.engine_rest.conftest import Rest, fetch

DATA = {"client": "Ana Lévesque", "age": 41, "score": 2.5, "urgent": True, "needs": ["food"]}


def _letter(api: Any, key: str = "CASE-1", data: dict | None = None) -> str:
    response = start(api.as_("casey"), "letters", key, DATA if data is None else data)
    assert response.status_code == 201, response.get_json()
    return str(response.get_json()["id"])


def _instance(api: Any, instance_id: str) -> dict[str, Any]:
    return dict(api.as_("sam").get(f"/api/instances/{instance_id}").get_json())


def test_fetch_and_lock_gives_the_task_with_its_typed_variables(
    api: Any, rest: dict[str, Rest]
) -> None:
    instance_id = _letter(api)

    [task] = fetch(rest["letters"], options={"variables": ["client", "age", "needs", "urgent"]})

    assert task["topicName"] == "send-letter" and task["activityId"] == "send_letter"
    assert task["processInstanceId"] == instance_id and task["workerId"] == "w1"
    assert task["processDefinitionKey"] == "letters" and task["businessKey"] == "CASE-1"
    assert task["priority"] == 5 and task["retries"] is None
    assert task["lockExpirationTime"] == "2027-01-04T14:01:00.000+0000"
    assert task["variables"] == {
        "client": {"type": "String", "value": "Ana Lévesque", "valueInfo": {}},
        "age": {"type": "Integer", "value": 41, "valueInfo": {}},
        "needs": {"type": "Json", "value": '["food"]', "valueInfo": {}},
        "urgent": {"type": "Boolean", "value": True, "valueInfo": {}},
    }
    assert fetch(rest["letters"], worker="w2") == [], "a locked task is not fetched twice"


def test_a_lock_that_ran_out_lets_another_worker_fetch_the_task(
    api: Any, rest: dict[str, Rest], clock: FakeClock
) -> None:
    _letter(api)
    [first] = fetch(rest["letters"], worker="w1")

    clock.advance(seconds=61)
    [again] = fetch(rest["letters"], worker="w2")
    late = rest["letters"].post(f"/external-task/{first['id']}/complete", {"workerId": "w1"})

    assert again["id"] == first["id"] and again["workerId"] == "w2"
    assert late.status_code == 400
    assert late.get_json()["type"] == "BadUserRequestException"
    assert "locked by worker 'w2'" in late.get_json()["message"]


def test_extend_lock_keeps_the_task_and_unlock_gives_it_back(
    api: Any, rest: dict[str, Rest], clock: FakeClock
) -> None:
    _letter(api)
    [task] = fetch(rest["letters"], worker="w1")
    path = f"/external-task/{task['id']}"

    extended = rest["letters"].post(
        f"{path}/extendLock", {"workerId": "w1", "newDuration": 300_000}
    )
    clock.advance(seconds=120)
    still_locked = fetch(rest["letters"], worker="w2")
    by_other = rest["letters"].post(f"{path}/extendLock", {"workerId": "w2", "newDuration": 1000})
    unlocked = rest["letters"].post(f"{path}/unlock")

    assert extended.status_code == 204 and still_locked == []
    assert by_other.status_code == 400
    assert unlocked.status_code == 204
    assert [t["id"] for t in fetch(rest["letters"], worker="w2")] == [task["id"]]


def test_a_long_poll_answers_as_soon_as_a_task_appears(
    svc: Services, rest: dict[str, Rest], clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    looks: list[float] = []

    casey = Principal("casey", "sudbury", frozenset({"caseworker"}))

    def sleep(seconds: float) -> None:  # the poll's wait: a case starts while it waits
        looks.append(seconds)
        if len(looks) == 2:
            commands.start_instance(svc, casey, commands.StartRequest("letters", "CASE-2", DATA))
        clock.advance(seconds=seconds)

    monkeypatch.setattr(clock, "sleep", sleep, raising=False)
    before = clock.now()

    found = fetch(rest["letters"], asyncResponseTimeout=20_000)

    assert len(found) == 1
    assert looks == [0.5, 0.5] and (clock.now() - before).total_seconds() == 1.0


def test_a_long_poll_with_nothing_to_do_waits_its_timeout_on_the_clock(
    rest: dict[str, Rest], clock: FakeClock
) -> None:
    before = clock.now()

    assert fetch(rest["letters"], asyncResponseTimeout=3_000) == []
    assert (clock.now() - before).total_seconds() == 3.0


def test_complete_moves_the_case_on_with_the_workers_variables(
    api: Any, rest: dict[str, Rest]
) -> None:
    instance_id = _letter(api)
    [task] = fetch(rest["letters"])

    response = rest["letters"].post(
        f"/external-task/{task['id']}/complete",
        {
            "workerId": "w1",
            "variables": {
                "letterId": {"value": "L-77", "type": "String"},
                "pages": {"value": 3},
                "receipt": {"value": '{"ok": true}', "type": "Json"},
            },
            "localVariables": {"attempt": {"value": 1, "type": "Integer"}},
        },
    )

    instance = _instance(api, instance_id)
    assert response.status_code == 204
    assert instance["status"] == "completed"
    assert instance["data"]["letterId"] == "L-77" and instance["data"]["receipt"] == {"ok": True}
    assert instance["data"]["pages"] == 3 and "attempt" not in instance["data"]
    again = rest["letters"].post(f"/external-task/{task['id']}/complete", {"workerId": "w1"})
    assert again.status_code == 404 and again.get_json()["type"] == "InvalidRequestException"


def test_failures_count_retries_down_then_open_an_incident_that_a_retry_clears(
    api: Any, rest: dict[str, Rest], clock: FakeClock
) -> None:
    instance_id = _letter(api)
    [task] = fetch(rest["letters"])
    path = f"/external-task/{task['id']}/failure"
    failure = {"workerId": "w1", "errorMessage": "printer offline", "errorDetails": "lp0 jammed"}

    first = rest["letters"].post(path, {**failure, "retries": 1, "retryTimeout": 30_000})
    waiting = fetch(rest["letters"])
    clock.advance(seconds=31)
    [retried] = fetch(rest["letters"])
    last = rest["letters"].post(path, {**failure, "retries": 0})

    assert first.status_code == 204 and waiting == []
    assert retried["retries"] == 1 and retried["errorMessage"] == "printer offline"
    assert retried["errorDetails"] == "lp0 jammed"
    assert last.status_code == 204
    clock.advance(seconds=600)
    assert fetch(rest["letters"]) == [], "no retries left: not fetched"
    [incident] = [i for i in _instance(api, instance_id)["incidents"] if i["resolved_at"] is None]
    assert "printer offline" in incident["message"]

    retry = api.as_("sam").post(f"/api/instances/{instance_id}/retry")

    assert retry.status_code in (200, 204), retry.get_json()
    [back] = fetch(rest["letters"])
    assert back["retries"] == 1
    assert all(i["resolved_at"] for i in _instance(api, instance_id)["incidents"])


def test_a_bpmn_error_is_caught_by_the_boundary_event(api: Any, rest: dict[str, Rest]) -> None:
    instance_id = _letter(api)
    [task] = fetch(rest["letters"])

    response = rest["letters"].post(
        f"/external-task/{task['id']}/bpmnError",
        {
            "workerId": "w1",
            "errorCode": "NO_ADDRESS",
            "errorMessage": "no postal address on file",
            "variables": {"reason": {"value": "no address", "type": "String"}},
        },
    )

    instance = _instance(api, instance_id)
    assert response.status_code == 204
    assert instance["status"] == "completed" and instance["data"]["reason"] == "no address"
    assert fetch(rest["letters"]) == []


def test_a_bpmn_error_nothing_catches_is_an_incident(api: Any, rest: dict[str, Rest]) -> None:
    instance_id = _letter(api)
    [task] = fetch(rest["letters"])

    response = rest["letters"].post(
        f"/external-task/{task['id']}/bpmnError", {"workerId": "w1", "errorCode": "UNHEARD_OF"}
    )

    instance = _instance(api, instance_id)
    assert response.status_code == 204
    assert instance["status"] == "waiting"
    assert any("UNHEARD_OF" in i["message"] for i in instance["incidents"])


def test_zeebe_task_definitions_send_tasks_and_message_end_events_wait_for_workers(
    api: Any, rest: dict[str, Rest]
) -> None:
    response = start(api.as_("casey"), "benefits_check", "CASE-9", {})
    instance_id = response.get_json()["id"]
    done = []

    for topic in ("check-benefits", "notify-partner", "close-file"):
        [task] = fetch(rest["any"], topic=topic)
        assert task["processInstanceId"] == instance_id
        if topic == "check-benefits":
            assert task["retries"] == 3, "zeebe:taskDefinition retries"
        body = {"workerId": "w1", "variables": {topic: {"value": True}}}
        assert rest["any"].post(f"/external-task/{task['id']}/complete", body).status_code == 204
        done.append(topic)

    instance = _instance(api, instance_id)
    assert instance["status"] == "completed"
    assert all(instance["data"][topic] for topic in done)


def test_a_worker_sees_only_its_office_and_topics(api: Any, rest: dict[str, Rest]) -> None:
    _letter(api)

    other_office = fetch(rest["ottawa"])
    other_topic = rest["letters"].post(
        "/external-task/fetchAndLock",
        {"workerId": "w", "maxTasks": 1, "topics": [{"topicName": "x", "lockDuration": 1}]},
    )
    [task] = fetch(rest["letters"])
    foreign = rest["ottawa"].post(f"/external-task/{task['id']}/complete", {"workerId": "w1"})

    assert other_office == []
    assert other_topic.status_code == 403
    assert other_topic.get_json()["type"] == "AuthorizationException"
    assert "x" in other_topic.get_json()["message"]
    assert foreign.status_code == 404


def test_staff_tokens_do_not_fetch_and_worker_tokens_stay_out_of_the_api(
    api: Any, app: Any, rest: dict[str, Rest], staff: dict[str, str], workers: dict[str, str]
) -> None:
    client = app.test_client()
    body = {
        "workerId": "w",
        "maxTasks": 1,
        "topics": [{"topicName": "send-letter", "lockDuration": 1}],
    }

    as_staff = Rest(client, staff["casey"]).post("/external-task/fetchAndLock", body)
    anonymous = client.post("/engine-rest/external-task/fetchAndLock", json=body)
    inbox = client.get("/api/tasks", headers={"Authorization": f"Bearer {workers['letters']}"})

    assert as_staff.status_code == 403
    assert anonymous.status_code == 401 and anonymous.get_json()["type"]
    assert inbox.status_code == 403


def test_basic_auth_with_the_token_as_password_is_accepted(
    api: Any, app: Any, rest: dict[str, Rest], workers: dict[str, str]
) -> None:
    import base64

    _letter(api)
    good = base64.b64encode(f"letterbot:{workers['letters']}".encode()).decode()
    wrong_user = base64.b64encode(f"casey:{workers['letters']}".encode()).decode()
    body = {
        "workerId": "w",
        "maxTasks": 1,
        "topics": [{"topicName": "send-letter", "lockDuration": 1}],
    }
    client = app.test_client()

    ok = client.post(
        "/engine-rest/external-task/fetchAndLock",
        json=body,
        headers={"Authorization": f"Basic {good}"},
    )
    refused = client.post(
        "/engine-rest/external-task/fetchAndLock",
        json=body,
        headers={"Authorization": f"Basic {wrong_user}"},
    )

    garbled = client.post(
        "/engine-rest/external-task/fetchAndLock", json=body, headers={"Authorization": "Basic !x"}
    )

    assert ok.status_code == 200 and len(ok.get_json()) == 1
    assert refused.status_code == 401
    assert garbled.status_code == 401 and garbled.get_json()["type"] == "AuthenticationException"


FETCH = "/external-task/fetchAndLock"
COMPLETE = "/external-task/{id}/complete"
FAILURE = "/external-task/{id}/failure"
TOPIC = {"topicName": "send-letter", "lockDuration": 1000}


def _fetching(topic: dict[str, Any] | None = None, **body: Any) -> dict[str, Any]:
    return {"workerId": "w", "maxTasks": 1, "topics": [{**TOPIC, **(topic or {})}], **body}


def _completing(name: str, value: Any, kind: str | None = None) -> dict[str, Any]:
    typed = {"value": value} if kind is None else {"value": value, "type": kind}
    return {"workerId": "w1", "variables": {name: typed}}


BAD_BODIES = [
    (FETCH, [], "(body)"),
    (FETCH, {"maxTasks": 1, "topics": [TOPIC]}, "workerId"),
    (FETCH, _fetching(maxTasks="many"), "maxTasks"),
    (FETCH, _fetching(maxTasks=-1), "maxTasks"),
    (FETCH, _fetching(topics="send-letter"), "topics"),
    (FETCH, _fetching(topics=[]), "topics"),
    (FETCH, _fetching(topics=[{"topicName": "t"}]), "lockDuration"),
    (FETCH, _fetching({"lockDuration": "1s"}), "lockDuration"),
    (FETCH, _fetching(asyncResponseTimeout=-5), "asyncResponseTimeout"),
    (FETCH, _fetching({"variables": "all"}), "variables"),
    (FETCH, _fetching({"processVariables": {"a": 1}}), "processVariables"),
    (COMPLETE, {}, "workerId"),
    (COMPLETE, {"workerId": "w1", "variables": {"a": 5}}, "variables.a"),
    (COMPLETE, _completing("a", "x", "Integer"), "variables.a.value"),
    (COMPLETE, _completing("a", "{", "Json"), "variables.a.value"),
    (COMPLETE, _completing("a", "AAE=", "Bytes"), "variables.a.type"),
    (COMPLETE, {"workerId": "w1", "variables": ["a"]}, "variables"),
    (FAILURE, {"workerId": "w1", "retries": "3"}, "retries"),
    (FAILURE, {"workerId": "w1", "retries": 1, "retryTimeout": -1}, "retryTimeout"),
    ("/external-task/{id}/bpmnError", {"workerId": "w1"}, "errorCode"),
    ("/external-task/{id}/extendLock", {"workerId": "w1"}, "newDuration"),
    ("/process-definition/key/letters/start", _completing("x", 1, "Banana"), "variables.x.type"),
    ("/message", {"businessKey": "CASE-1"}, "messageName"),
]


@pytest.mark.parametrize(("path", "body", "field"), BAD_BODIES)
def test_malformed_bodies_answer_400_naming_the_field(
    api: Any, rest: dict[str, Rest], path: str, body: Any, field: str
) -> None:
    _letter(api)
    [task] = fetch(rest["any"], worker="w1")

    response = rest["any"].post(path.replace("{id}", task["id"]), body)

    assert response.status_code == 400, response.get_json()
    answer = response.get_json()
    assert answer["type"] == "InvalidRequestException"
    assert field in answer["message"] and answer.get("field", "").endswith(field)


def test_a_body_that_is_not_json_is_a_400(rest: dict[str, Rest]) -> None:
    response = rest["any"].client.post(
        "/engine-rest/external-task/fetchAndLock",
        data="workerId=w",
        headers={**rest["any"].headers, "Content-Type": "text/plain"},
    )

    assert response.status_code == 400 and response.get_json()["type"]


def test_start_by_key_and_correlate_a_message_by_business_key(
    api: Any, rest: dict[str, Rest]
) -> None:
    started = rest["any"].post(
        "/process-definition/key/await_reply/start",
        {
            "businessKey": "CASE-5",
            "variables": {"partner": {"value": "Food bank", "type": "String"}},
        },
    )
    body = started.get_json()

    unmatched = rest["any"].post(
        "/message", {"messageName": "partner_reply", "businessKey": "NOPE"}
    )
    matched = rest["any"].post(
        "/message",
        {
            "messageName": "partner_reply",
            "businessKey": "CASE-5",
            "processVariables": {"accepted": {"value": True, "type": "Boolean"}},
            "resultEnabled": True,
        },
    )

    assert started.status_code == 200
    assert body["definitionId"] == "await_reply:1" and body["ended"] is False
    assert unmatched.status_code == 400
    assert unmatched.get_json()["type"] == "MismatchingMessageCorrelationException"
    assert matched.status_code == 200
    assert matched.get_json()[0]["execution"]["processInstanceId"] == body["id"]
    [task] = fetch(rest["any"])
    assert task["processInstanceId"] == body["id"]
    assert task["variables"]["accepted"]["value"] is True


def test_every_change_is_audited(api: Any, rest: dict[str, Rest], svc: Services) -> None:
    _letter(api)
    [task] = fetch(rest["letters"])
    rest["letters"].post(f"/external-task/{task['id']}/complete", {"workerId": "w1"})

    with svc.readers() as session:
        actions = list(
            session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.task_id == task["id"])
                .order_by(AuditEvent.id)
            )
        )

    assert actions == ["external_task.lock", "external_task.complete"]
