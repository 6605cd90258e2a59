"""Client self-service links through the API and the client's page: sent with a notice, used
once from home without an account, refused when used, expired, revoked or forged."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.store.models import AuditEvent, CaseAttachment, HumanTask, OutboxEntry
from tests.self_service.helpers import PDF, case_with_documents_task, deploy


@pytest.fixture
def documents_task(api):
    deploy(api)
    return case_with_documents_task(api)


def send_link(api, task_id: str, user: str = "casey", **body):
    return api.as_(user).post(f"/api/tasks/{task_id}/client-link", json=body)


def path_of(url: str) -> str:
    return url[url.index("/s/") :]


def client_page(app):
    return app.test_client()


def answer(browser, path: str, content: bytes = PDF, message: str = "Voici mes documents"):
    page = browser.get(path)
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    return browser.post(
        path,
        data={
            "csrf_token": token,
            "f.message": message,
            "files": (io.BytesIO(content), "bank-statement.pdf"),
        },
        content_type="multipart/form-data",
    )


def test_a_link_goes_out_as_a_notice_in_the_clients_language(api, svc, documents_task):
    key, task_id = documents_task

    sent = send_link(api, task_id)

    assert sent.status_code == 201, sent.json
    assert sent.json["state"] == "open" and sent.json["language"] == "fr"
    assert "/s/" in sent.json["url"]
    with svc.readers() as session:
        notice = session.scalars(
            select(OutboxEntry).where(OutboxEntry.kind == "self_service_link")
        ).one()
        assert notice.channel == "email"
        assert json.loads(notice.payload_json)["link_url"] == sent.json["url"]
    listed = api.as_("casey").get(f"/api/cases/{key}/client-links").json["items"]
    assert [item["state"] for item in listed] == ["open"]
    assert "url" not in listed[0] or listed[0]["url"] is None


def test_the_client_completes_the_task_once_from_home(app, api, svc, documents_task):
    key, task_id = documents_task
    path = path_of(send_link(api, task_id).json["url"])
    browser = client_page(app)

    shown = browser.get(path)
    assert shown.status_code == 200
    assert "Envoyer les documents manquants" in shown.text  # the client's language
    assert "Marie" not in shown.text  # nothing of the case beyond the form

    done = answer(browser, path)

    assert done.status_code == 200, done.text
    with svc.readers() as session:
        task = session.get_one(HumanTask, task_id)
        assert (task.status, task.completed_by) == ("completed", f"client:{key}")
        assert json.loads(task.submitted_json or "{}")["documents"] == ["bank-statement.pdf"]
        kept = session.scalars(select(CaseAttachment)).one()
        assert kept.content_type == "application/pdf" and kept.uploaded_by == f"client:{key}"
        actions = set(session.scalars(select(AuditEvent.action)))
        assert {"client_link.issue", "client_link.use", "task.complete"} <= actions
    again = client_page(app).get(path)
    assert again.status_code == 410
    assert "déjà été utilisé" in again.text or "already used" in again.text
    assert (
        api.as_("casey").get(f"/api/cases/{key}/client-links").json["items"][0]["state"] == "used"
    )


def test_a_form_error_keeps_the_link_and_the_task_open(app, api, svc, documents_task):
    _key, task_id = documents_task
    path = path_of(send_link(api, task_id).json["url"])
    browser = client_page(app)

    refused = answer(browser, path, content=b"not a document")

    assert refused.status_code == 422
    with svc.readers() as session:
        assert session.get_one(HumanTask, task_id).status == "open"
        assert session.scalars(select(CaseAttachment)).all() == []
    assert answer(browser, path).status_code == 200


def test_an_expired_link_says_so_and_gives_the_phone_number(app, api, clock, documents_task):
    _key, task_id = documents_task
    path = path_of(send_link(api, task_id, days=3).json["url"])

    clock.advance(timedelta(days=3, minutes=1))
    page = client_page(app).get(path)

    assert page.status_code == 410
    assert "expiré" in page.text or "expired" in page.text


def test_a_revoked_link_no_longer_works(app, api, documents_task):
    key, task_id = documents_task
    link = send_link(api, task_id).json

    revoked = api.as_("casey").post(f"/api/client-links/{link['id']}/revoke")

    assert revoked.status_code == 200 and revoked.json["state"] == "revoked"
    assert client_page(app).get(path_of(link["url"])).status_code == 410
    other_office = api.as_("olive").post(f"/api/client-links/{link['id']}/revoke")
    assert other_office.status_code == 404


def test_forged_tokens_are_refused_then_throttled(app, api, documents_task):
    _key, task_id = documents_task
    path = path_of(send_link(api, task_id).json["url"])
    browser = client_page(app)
    forged = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")

    answers = [browser.get(forged).status_code for _ in range(10)]
    blocked = browser.get(path)

    assert answers == [404] * 10
    assert blocked.status_code == 429  # even a good link waits once the address is throttled


def test_bad_requests_name_the_field(api, documents_task):
    _key, task_id = documents_task

    too_long = send_link(api, task_id, days=365)
    unknown = send_link(api, "no-such-task")
    designer = send_link(api, task_id, user="dana")

    assert too_long.status_code == 422 and "days" in json.dumps(too_long.json)
    assert unknown.status_code == 404
    assert designer.status_code in (403, 404)
