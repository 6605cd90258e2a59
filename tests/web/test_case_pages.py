"""Case pages through the Flask test client: opening a case (errors beside their fields, nothing
lost), finding it without accents, reading it, notes, documents, closing and transferring — each
offered exactly to those the case rules let act, and other offices never see it (404)."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest

from tests.cases.helpers import APPLICANT, MARIE, deploy_intake, opened
from tests.web.conftest import WebClient

NEW_CASE = {
    "process_id": "intake",
    "f.client.name": "Marie-Ève Tremblay",
    "f.client.preferred_language": "fr",
    "f.client.date_of_birth": "1984-02-29",
    "f.client.email": "me@example.org",
    "f.client.phone": "705-555-0199",
    "f.client.safe_contact": "true",
    "f.channel": "in_person",
}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _text(response) -> str:  # type: ignore[no-untyped-def]
    return re.sub(r"\s+", " ", response.data.decode())


@pytest.fixture
def intake(api):
    deploy_intake(api)


@pytest.fixture
def case(api, intake) -> str:
    return opened(api.as_("ira"), key="C-10", client=MARIE)["key"]


def test_new_case_offers_only_processes_a_person_starts(web: WebClient, api, intake):
    web.login("ira")

    page = _text(web.get("/cases/new"))
    form = _text(web.get("/cases/new?process=intake"))

    assert "Municipal intake" in page
    assert 'name="f.client.name"' in form and 'name="f.channel"' in form
    assert "Safe contact" in form and "Interpreter needed" in form


def test_a_timer_started_process_is_not_offered(web: WebClient, api, intake):
    from tests.api.helpers import FIXTURES, upload

    assert upload(api.as_("dana"), FIXTURES / "scheduled_review.bpmn").status_code == 201
    web.login("ira")

    assert "scheduled_review" not in _text(web.get("/cases/new"))
    assert web.get("/cases/new?process=scheduled_review").status_code == 404
    assert web.post("/cases/new", {**NEW_CASE, "process_id": "scheduled_review"}).status_code == 404


def test_an_intake_worker_opens_a_case_and_lands_on_it(web: WebClient, api, intake):
    web.login("ira")

    response = web.post("/cases/new", NEW_CASE)

    assert response.status_code == 302
    page = _text(web.get(response.headers["Location"]))
    assert "Marie-Ève Tremblay" in page and "Case C-" in page
    assert "Yes: do not leave messages, do not mail" in page
    assert "Record the request" in page  # its first open task
    assert "Started: Municipal intake" in page


def test_errors_show_beside_their_fields_and_nothing_is_lost(web: WebClient, api, intake):
    web.login("ira")
    bad = {**NEW_CASE, "f.client.name": "", "f.client.email": "not-an-address", "f.channel": ""}

    response = web.post("/cases/new", bad)

    page = _text(response)
    assert response.status_code == 422
    assert 'id="field-client-name-error"' in page and 'id="field-channel-error"' in page
    assert 'id="field-client-email-error"' in page
    assert 'value="705-555-0199"' in page and 'value="1984-02-29"' in page  # kept
    assert 'value="not-an-address"' in page
    assert api.as_("ira").get("/api/cases?q=tremblay").json["total"] == 0


def test_new_case_is_not_for_designers(web: WebClient, intake):
    web.login("dana")

    assert web.get("/cases/new").status_code == 403
    assert web.post("/cases/new", NEW_CASE).status_code == 403


def test_the_search_ignores_accents_and_links_the_case(web: WebClient, case):
    web.login("casey")

    page = _text(web.get("/cases?q=Marie-Eve"))
    by_birth = _text(web.get("/cases?q=1984-02-29"))

    assert "1 case found" in page and 'href="/cases/C-10"' in page
    assert "Marie-Ève Tremblay" in by_birth


def test_another_office_finds_nothing_and_gets_404(web: WebClient, case):
    web.login("olive")

    assert "0 cases found" in _text(web.get("/cases?q=tremblay"))
    assert web.get("/cases/C-10").status_code == 404
    assert web.post("/cases/C-10/notes", {"body": "x"}).status_code == 404
    assert web.post("/cases/C-10/close", {"reason": "completed"}).status_code == 404
    assert web.post("/cases/C-10/transfer", {"to_office": "ottawa"}).status_code == 404


def test_the_case_page_reads_the_timeline_in_french(web: WebClient, api, case):
    (task,) = api.as_("ira").get("/api/tasks?case=C-10").json["items"]
    api.as_("ira").post(f"/api/tasks/{task['id']}/claim")
    done = api.as_("ira").post(
        f"/api/tasks/{task['id']}/complete",
        json={"data": {"applicant": APPLICANT, "request": "temporary_care", "urgent_need": "none"}},
    )
    assert done.status_code == 200, done.json
    web.login("casey")
    web.post("/language", {"lang": "fr", "next": "/cases/C-10"})

    page = _text(web.get("/cases/C-10"))

    assert "Requérant › Langue préférée" in page and "Français" in page
    assert "Dossier ouvert" in page and "Chronologie" in page


def test_a_caseworker_sees_no_close_or_transfer(web: WebClient, case):
    web.login("casey")

    page = _text(web.get("/cases/C-10"))

    assert "Close the case" not in page and "Transfer to office" not in page
    assert web.post("/cases/C-10/close", {"reason": "completed"}).status_code == 302
    assert "Open" in _text(web.get("/cases/C-10"))


def test_the_owner_may_close_only_as_withdrawn_or_unreachable(web: WebClient, api, svc, case):
    from engine.casework.unit_of_work import changing
    from engine.store.models import CaseOwner

    with changing(svc) as session:
        session.add(
            CaseOwner(
                office="sudbury",
                business_key="C-10",
                owner="casey",
                assigned_at=svc.clock.now(),
                assigned_by="sam",
            )
        )
    web.login("casey")

    page = _text(web.get("/cases/C-10"))

    assert "Close the case" in page and "Withdrawn by the client" in page
    assert "Services completed" not in page and "Transfer to office" not in page


def test_a_supervisor_closes_and_transfers(web: WebClient, api, case):
    opened(api.as_("ira"), key="C-11")
    web.login("sam")

    page = _text(web.get("/cases/C-10"))
    closed = web.post("/cases/C-10/close", {"reason": "completed"})
    moved = web.post("/cases/C-11/transfer", {"to_office": "ottawa"})

    assert "Close the case" in page and 'value="ottawa"' in page
    assert closed.status_code == 302
    after = _text(web.get("/cases/C-10"))
    assert (
        "The case is closed." in after and "Case closed" in after and "Services completed" in after
    )
    assert "Close the case" not in after
    assert moved.status_code == 302
    assert api.as_("omar").get("/api/cases/C-11").status_code == 200


def test_notes_are_added_and_corrected_by_their_author_for_15_minutes(
    web: WebClient, api, clock, case
):
    web.login("casey")
    web.post("/cases/C-10/notes", {"body": "Called the client."})
    (note,) = api.as_("casey").get("/api/cases/C-10/notes").json["items"]

    page = _text(web.get("/cases/C-10"))
    web.post(f"/cases/C-10/notes/{note['id']}", {"body": "Called the client twice."})
    clock.advance(timedelta(minutes=16))
    late = web.post(f"/cases/C-10/notes/{note['id']}", {"body": "Too late."})

    assert "Called the client." in page and "Correct this note" in page
    assert late.status_code == 302
    final = _text(web.get("/cases/C-10"))
    assert "Called the client twice." in final and "Too late." not in final
    assert "This note can no longer be changed." in final
    assert "Correct this note" not in final
    web.post("/logout", {})
    web.login("cole")
    assert "Correct this note" not in _text(web.get("/cases/C-10"))


def test_documents_upload_download_and_refusals(web: WebClient, case):
    web.login("casey")

    ok = web.post("/cases/C-10/attachments", {"file": (io.BytesIO(PDF), "letter.pdf")})
    wrong = web.post("/cases/C-10/attachments", {"file": (io.BytesIO(b"MZ..."), "virus.exe")})
    page = _text(web.get("/cases/C-10"))

    assert ok.status_code == 302 and wrong.status_code == 302
    assert "The file is attached." in page or "letter.pdf" in page
    assert "Only PDF, JPEG and PNG files can be attached." in page
    link = re.search(r'href="(/cases/C-10/attachments/\d+)"', page)
    assert link is not None
    download = web.get(link.group(1))
    assert download.status_code == 200 and download.data == PDF


def test_a_too_large_document_is_refused_plainly(web: WebClient, case):
    web.login("casey")
    big = b"%PDF-" + b"0" * (10 * 1024 * 1024 + 10)

    response = web.post("/cases/C-10/attachments", {"file": (io.BytesIO(big), "big.pdf")})
    response.request.input_stream.close()  # the test client's spooled body (it never closes it)

    assert response.status_code in (302, 413)
    text = _text(response) if response.status_code == 413 else _text(web.get("/cases/C-10"))
    assert "larger than 10 MB" in text


def test_inbox_rows_and_the_task_header_show_the_client_and_link_the_case(
    web: WebClient, api, case
):
    web.login("ira")

    inbox = _text(web.get("/inbox?tab=intake_worker"))
    (task,) = api.as_("ira").get("/api/tasks?case=C-10").json["items"]
    header = _text(web.get(f"/tasks/{task['id']}"))

    assert 'href="/cases/C-10"' in inbox and "Marie-Ève Tremblay" in inbox
    assert 'href="/cases/C-10"' in header and "Marie-Ève Tremblay" in header


def test_claim_is_offered_on_the_case_page_where_the_policy_allows(web: WebClient, case):
    web.login("ira")
    assert "Claim" in _text(web.get("/cases/C-10"))
    web.post("/logout", {})
    web.login("casey")  # record_application sits in the intake queue
    assert "Claim Record the request" not in _text(web.get("/cases/C-10"))


# -- incidents ----------------------------------------------------------------------------------

NO_CONTACT = {"name": "No Contact", "date_of_birth": "1980-01-01", "preferred_language": "en"}


@pytest.fixture
def broken(api, intake) -> str:
    instance = opened(api.as_("ira"), key="C-40", client={"name": "No Contact"})["instance_id"]
    (task,) = api.as_("ira").get("/api/tasks?case=C-40").json["items"]
    api.as_("ira").post(f"/api/tasks/{task['id']}/claim")
    api.as_("ira").post(
        f"/api/tasks/{task['id']}/complete",
        json={
            "data": {"request": "temporary_care", "urgent_need": "none", "applicant": NO_CONTACT}
        },
    )
    return instance


def test_incidents_are_for_supervisors_and_admins(web: WebClient, broken):
    web.login("casey")
    assert web.get("/incidents").status_code == 403
    web.post("/logout", {})
    web.login("omar")
    assert "0 cases are stopped" in _text(web.get("/incidents"))
    assert web.get(f"/incidents/{broken}").status_code == 404


def test_a_supervisor_corrects_the_data_as_json_and_the_step_runs_again(web: WebClient, broken):
    web.login("sam")

    listed = _text(web.get("/incidents"))
    editor = _text(web.get(f"/incidents/{broken}"))
    bad = web.post(f"/incidents/{broken}", {"data_json": "{not json"})
    fixed = {"applicant": {**NO_CONTACT, "phone": "705-555-0100"}}
    import json

    done = web.post(f"/incidents/{broken}", {"data_json": json.dumps(fixed)})

    assert "C-40" in listed and "no phone, email or mailing address" in listed
    assert "Data (JSON)" in editor and "No Contact" in editor
    assert bad.status_code == 422 and "Enter a JSON object" in _text(bad)
    assert done.status_code == 302
    assert "The step ran again successfully." in _text(web.get("/incidents"))
    assert "Case data corrected" in _text(web.get("/cases/C-40"))
