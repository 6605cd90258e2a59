"""Idempotency-Key: a client's retry answers the first result and never runs a command twice."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from engine import idempotency
from engine.casework import scheduler
from engine.identity.users import add_user, issue_token
from engine.store.db import transaction
from engine.store.models import AuditEvent, IdempotencyKey
from handlers import HandlerError, HandlerRegistry, default_registry
from tests.api.helpers import FIXTURES, WORKFLOWS, open_task, upload

REQUEST = {"client_name": "Pat Doe", "purpose": "dental", "amount": 400}
STARTS = {"process_id": "discretionary_benefit", "business_key": "CASE-K", "data": {}}


class Partner:
    """A partner system behind a service task, down until told otherwise."""

    up = False

    def send(self, ctx, *, partner: str) -> dict:  # type: ignore[no-untyped-def]
        if not self.up:
            raise HandlerError("partner system down")
        return {"referral_id": "R-1"}


@pytest.fixture
def partner_system() -> Partner:
    return Partner()


@pytest.fixture
def registry(partner_system: Partner) -> HandlerRegistry:
    registry = default_registry()
    registry.register("send_to_partner", partner_system.send)
    return registry


@pytest.fixture
def deployed(api):
    upload(api.as_("dana"), WORKFLOWS.parent / "tests" / "fixtures" / "discretionary_benefit.bpmn")


def keyed(key: str) -> dict[str, str]:
    return {"Idempotency-Key": key}


def audits(svc, action: str) -> int:
    with svc.sessions() as session:
        return session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
        )


def test_a_repeated_start_answers_the_same_case_and_starts_one(api, svc, deployed):
    casey = api.as_("casey")

    first = casey.post("/api/instances", json=STARTS, headers=keyed("start-1"))
    again = casey.post("/api/instances", json=STARTS, headers=keyed("start-1"))

    assert first.status_code == again.status_code == 201
    assert again.get_data() == first.get_data()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert audits(svc, "instance.start") == 1


def test_a_repeated_completion_is_applied_once(api, svc, deployed):
    casey = api.as_("casey")
    case = casey.post("/api/instances", json=STARTS).json
    task = open_task(case, "record_request")
    path = f"/api/tasks/{task['id']}/complete"

    first = casey.post(path, json={"data": REQUEST}, headers=keyed("done-1"))
    again = casey.post(path, json={"data": REQUEST}, headers=keyed("done-1"))
    unkeyed = casey.post(path, json={"data": REQUEST})

    assert first.status_code == again.status_code == 200
    assert again.json == first.json and again.headers["Idempotent-Replayed"] == "true"
    assert unkeyed.status_code == 409  # without a key a repeat is a conflict, as before
    assert audits(svc, "task.complete") == 1


def test_claim_unclaim_and_assign_replay(api, svc, deployed):
    casey, sam = api.as_("casey"), api.as_("sam")
    task = open_task(casey.post("/api/instances", json=STARTS).json, "record_request")
    base = f"/api/tasks/{task['id']}"

    claims = [casey.post(f"{base}/claim", headers=keyed("c")) for _ in range(2)]
    releases = [casey.post(f"{base}/unclaim", headers=keyed("u")) for _ in range(2)]
    assigns = [
        sam.post(f"{base}/assign", json={"user": "cole"}, headers=keyed("a")) for _ in range(2)
    ]

    for first, again in (claims, releases, assigns):
        assert first.status_code == again.status_code == 200
        assert again.json == first.json and again.headers["Idempotent-Replayed"] == "true"
    assert [audits(svc, a) for a in ("task.claim", "task.unclaim", "task.assign")] == [1, 1, 1]


def test_the_same_key_with_another_request_is_refused(api, svc, deployed):
    casey = api.as_("casey")
    casey.post("/api/instances", json=STARTS, headers=keyed("k"))

    other_body = casey.post(
        "/api/instances", json={**STARTS, "business_key": "CASE-L"}, headers=keyed("k")
    )
    reordered = casey.post(
        "/api/instances", json=dict(reversed(list(STARTS.items()))), headers=keyed("k")
    )

    assert other_body.status_code == 422
    assert other_body.mimetype == "application/problem+json"
    assert other_body.json["errors"][0]["field"] == "Idempotency-Key"
    assert reordered.status_code == 201  # the same JSON, spelled differently: a replay
    assert audits(svc, "instance.start") == 1


def test_keys_belong_to_their_user(api, svc, deployed):
    by_casey = api.as_("casey").post("/api/instances", json=STARTS, headers=keyed("shared"))
    by_cole = api.as_("cole").post(
        "/api/instances", json={**STARTS, "business_key": "CASE-K2"}, headers=keyed("shared")
    )

    assert by_casey.status_code == by_cole.status_code == 201
    assert by_casey.json["id"] != by_cole.json["id"]
    assert "Idempotent-Replayed" not in by_cole.headers


@pytest.mark.parametrize("bad", ["", "x" * 256, "clé", "tab\there"])
def test_a_malformed_key_is_refused(api, svc, deployed, bad):
    response = api.as_("casey").post("/api/instances", json=STARTS, headers=keyed(bad))

    assert response.status_code == 422
    assert "Idempotency-Key" in response.json["detail"]
    assert audits(svc, "instance.start") == 0


def test_without_a_key_nothing_changes(api, svc, deployed):
    casey = api.as_("casey")

    first = casey.post("/api/instances", json=STARTS)
    second = casey.post("/api/instances", json={**STARTS, "business_key": "CASE-K2"})

    assert first.json["id"] != second.json["id"]
    assert audits(svc, "instance.start") == 2
    with svc.sessions() as session:
        assert session.scalar(select(func.count()).select_from(IdempotencyKey)) == 0


def test_an_answer_lost_in_a_crash_is_rendered_again_from_the_case(api, svc, deployed, monkeypatch):
    """The process died after the command committed but before it stored its answer."""
    casey = api.as_("casey")
    case = casey.post("/api/instances", json=STARTS).json
    path = f"/api/tasks/{open_task(case, 'record_request')['id']}/complete"
    monkeypatch.setattr(idempotency, "store_answer", lambda *args: True)  # never stored
    other_case = {**STARTS, "business_key": "CASE-K2"}
    started = casey.post("/api/instances", json=other_case, headers=keyed("s"))
    completed = casey.post(path, json={"data": REQUEST}, headers=keyed("c"))
    monkeypatch.undo()

    started_again = casey.post("/api/instances", json=other_case, headers=keyed("s"))
    completed_again = casey.post(path, json={"data": REQUEST}, headers=keyed("c"))
    stored_again = casey.post(path, json={"data": REQUEST}, headers=keyed("c"))

    assert started_again.status_code == 201 and started_again.json == started.json
    assert completed_again.status_code == 200 and completed_again.json == completed.json
    assert started_again.headers["Idempotent-Replayed"] == "true"
    assert completed_again.headers["Idempotent-Replayed"] == "true"
    assert stored_again.get_data() == completed_again.get_data()
    assert audits(svc, "instance.start") == 2 and audits(svc, "task.complete") == 1
    with svc.sessions() as session:
        assert None not in set(session.scalars(select(IdempotencyKey.status_code)))


def test_a_failed_request_keeps_nothing_and_may_be_sent_again(api, svc, deployed):
    casey = api.as_("casey")
    case = casey.post("/api/instances", json=STARTS).json
    path = f"/api/tasks/{open_task(case, 'record_request')['id']}/complete"

    invalid = casey.post(path, json={"data": {"amount": "lots"}}, headers=keyed("x"))
    fixed = casey.post(path, json={"data": REQUEST}, headers=keyed("x"))

    assert invalid.status_code == 422
    assert fixed.status_code == 200 and "Idempotent-Replayed" not in fixed.headers


def test_concurrent_duplicates_run_once(app, api, svc, deployed):
    token = api.tokens["casey"]
    answers: list = []

    def send() -> None:
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}", **keyed("race")}
        answers.append(client.post("/api/instances", json=STARTS, headers=headers))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert [a.status_code for a in answers] == [201] * 4
    assert len({a.json["id"] for a in answers}) == 1
    assert sum(a.headers.get("Idempotent-Replayed") == "true" for a in answers) == 3
    assert audits(svc, "instance.start") == 1


def test_keys_expire_after_a_day(api, svc, clock, deployed):
    casey = api.as_("casey")
    first = casey.post("/api/instances", json=STARTS, headers=keyed("old"))
    casey.post("/api/instances", json={**STARTS, "business_key": "CASE-O"}, headers=keyed("other"))
    clock.advance(hours=25)

    later = casey.post(
        "/api/instances", json={**STARTS, "business_key": "CASE-P"}, headers=keyed("old")
    )
    scheduler.scheduler_pass(svc)  # prunes what expired

    assert later.status_code == 201 and later.json["id"] != first.json["id"]
    with svc.sessions() as session:
        assert list(session.scalars(select(IdempotencyKey.key))) == ["old"]


def test_partner_messages_and_case_messages_replay(api, svc):
    with transaction(svc.sessions) as session:
        add_user(session, "housing_org", office="partners", roles=["partner"], now=svc.clock.now())
        api.tokens["housing_org"] = issue_token(
            session, "housing_org", now=svc.clock.now(), ttl=timedelta(days=1)
        )
    upload(api.as_("dana"), FIXTURES / "await_acceptance.bpmn")
    start = {"process_id": "await_acceptance", "business_key": "R", "data": {"referral_id": "R1"}}
    case = api.as_("casey").post("/api/instances", json=start).json
    message = {"name": "referral_accepted", "correlation": {"referral_id": "R1"}, "payload": {}}
    partner = api.as_("housing_org")

    sent = [partner.post("/api/messages", json=message, headers=keyed("m")) for _ in range(2)]

    assert [s.status_code for s in sent] == [202, 202]
    assert sent[1].json == sent[0].json == {"instance_id": case["id"], "name": message["name"]}
    assert sent[1].headers["Idempotent-Replayed"] == "true"
    other = api.as_("casey").post("/api/instances", json={**start, "business_key": "R2"}).json
    direct = [
        api.as_("casey").post(
            f"/api/instances/{other['id']}/messages",
            json={"name": "referral_accepted", "payload": {}},
            headers=keyed("m"),
        )
        for _ in range(2)
    ]
    assert [d.status_code for d in direct] == [200, 200] and direct[1].json == direct[0].json
    assert audits(svc, "message.deliver") == 2


def test_the_header_is_documented(app):
    spec = app.test_client().get("/api/openapi.json").json

    for path in ("/api/instances", "/api/tasks/{task_id}/complete", "/api/messages"):
        names = [p["name"] for p in spec["paths"][path]["post"].get("parameters", [])]
        assert "Idempotency-Key" in names


def test_a_repeated_retry_runs_the_failed_step_once(api, svc, partner_system):
    casey = api.as_("casey")
    upload(api.as_("dana"), FIXTURES / "flaky_service.bpmn", FIXTURES / "flaky_prepare.schema.json")
    start = {"process_id": "flaky_referral", "business_key": "F", "data": {}}
    case = casey.post("/api/instances", json=start).json
    prepare = open_task(case, "prepare")
    casey.post(f"/api/tasks/{prepare['id']}/complete", json={"data": {"partner": "housing"}})
    partner_system.up = True

    retried = [
        casey.post(f"/api/instances/{case['id']}/retry", headers=keyed("r")) for _ in range(2)
    ]

    assert [r.status_code for r in retried] == [200, 200]
    assert retried[1].json == retried[0].json and retried[0].json["status"] == "waiting"
    assert retried[1].headers["Idempotent-Replayed"] == "true"
    assert audits(svc, "instance.retry") == 1
