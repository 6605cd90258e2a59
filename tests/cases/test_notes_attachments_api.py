"""Case notes (their author may correct them for 15 minutes) and attachments (PDF, JPEG, PNG by
content; at most 10 MB), both on the timeline."""

from __future__ import annotations

import gc
import io
from dataclasses import replace

import pytest
from sqlalchemy import select

from engine.store.models import AuditEvent
from tests.cases.helpers import counts, deploy_intake, opened

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def case(api):
    deploy_intake(api)
    return opened(api.as_("ira"), key="C-30")["key"]


def note(api, user: str, body: str, key: str = "C-30"):
    return api.as_(user).post(f"/api/cases/{key}/notes", json={"body": body})


def attach(api, user: str, content: bytes, name: str = "letter.pdf", key: str = "C-30"):
    return api.as_(user).post(
        f"/api/cases/{key}/attachments",
        data={"file": (io.BytesIO(content), name, "application/pdf")},
        content_type="multipart/form-data",
    )


def test_notes_are_written_listed_and_on_the_timeline(api, case, clock):
    first = note(api, "casey", "Called the client; voicemail full.")
    clock.advance(minutes=1)
    second = note(api, "cole", "Client came in.")

    listed = api.as_("sam").get("/api/cases/C-30/notes").json
    timeline = api.as_("sam").get("/api/cases/C-30").json["timeline"]

    assert first.status_code == second.status_code == 201
    assert first.json["author"] == "casey"
    assert [n["body"] for n in listed["items"]] == ["Client came in.", first.json["body"]]
    assert listed["total"] == 2
    notes = [e for e in timeline if e["kind"] == "note"]
    assert [n["entries"][0]["value"] for n in notes] == ["Client came in.", first.json["body"]]
    assert notes[0]["actor"] == "cole"


def test_the_author_corrects_a_note_for_15_minutes_then_it_is_fixed(api, case, clock):
    written = note(api, "casey", "Called teh client.").json
    path = f"/api/cases/C-30/notes/{written['id']}"

    fixed = api.as_("casey").patch(path, json={"body": "Called the client."})
    by_other = api.as_("cole").patch(path, json={"body": "Mine now."})
    clock.advance(minutes=15, seconds=1)
    too_late = api.as_("casey").patch(path, json={"body": "Changed my mind."})

    assert fixed.status_code == 200 and fixed.json["edited_at"] is not None
    assert by_other.status_code == 403
    assert too_late.status_code == 409
    (only,) = api.as_("casey").get("/api/cases/C-30/notes").json["items"]
    assert only["body"] == "Called the client."


def test_notes_are_refused_when_empty_too_long_or_elsewhere(api, svc, case):
    before = counts(svc)

    assert note(api, "casey", "").status_code == 422
    assert note(api, "casey", "x" * 10_001).status_code == 422
    assert note(api, "olive", "Not my office.").status_code == 404
    assert note(api, "casey", "x" * 10_000).status_code == 201
    assert counts(svc)["CaseNote"] == before["CaseNote"] + 1


def test_an_attachment_is_sniffed_stored_listed_and_downloaded(api, svc, case, clock):
    clock.advance(minutes=1)
    uploaded = attach(api, "casey", PDF, name="../../etc/lease.pdf")

    listed = api.as_("cole").get("/api/cases/C-30/attachments").json
    download = api.as_("cole").get(f"/api/cases/C-30/attachments/{uploaded.json['id']}")
    timeline = api.as_("cole").get("/api/cases/C-30").json["timeline"]

    assert uploaded.status_code == 201, uploaded.json
    assert uploaded.json["filename"] == "lease.pdf"
    assert uploaded.json["content_type"] == "application/pdf"
    assert listed["total"] == 1
    assert download.status_code == 200 and download.data == PDF
    assert download.mimetype == "application/pdf"
    assert timeline[0]["kind"] == "attachment" and timeline[0]["title"] == "Document added"
    with svc.sessions() as session:
        reads = session.scalars(
            select(AuditEvent.actor).where(AuditEvent.action == "case.attachment_read")
        ).all()
    assert reads == ["cole"]


def test_the_type_comes_from_the_content_not_the_client(api, svc, case):
    before = counts(svc)

    text = attach(api, "casey", b"<html>not a pdf</html>", name="fake.pdf")
    png = attach(api, "casey", PNG, name="scan.pdf")

    assert text.status_code == 415 and text.mimetype == "application/problem+json"
    assert png.status_code == 201 and png.json["content_type"] == "image/png"
    assert counts(svc)["CaseAttachment"] == before["CaseAttachment"] + 1


def test_more_than_10_mb_is_refused(api, svc, case):
    before = counts(svc)

    limit = attach(api, "casey", PDF + b"0" * (10 * 1024 * 1024 - len(PDF)))
    over = attach(api, "casey", PDF + b"0" * (10 * 1024 * 1024 - len(PDF) + 1))
    statuses = (limit.status_code, over.status_code)
    limit.request.input_stream.close()  # the test client's spooled body (it never closes it)
    over.request.input_stream.close()
    del limit, over
    gc.collect()

    assert statuses == (201, 413)
    assert counts(svc)["CaseAttachment"] == before["CaseAttachment"] + 1


def test_attachments_can_live_in_a_directory(api, svc, case, tmp_path):
    svc.settings = replace(svc.settings, attachments_dir=tmp_path / "files")

    uploaded = attach(api, "casey", PDF).json
    download = api.as_("casey").get(f"/api/cases/C-30/attachments/{uploaded['id']}")

    (stored,) = (tmp_path / "files").iterdir()
    assert stored.read_bytes() == PDF and download.data == PDF
    assert "lease" not in stored.name  # named by a random id, not the client's file name


def test_other_offices_see_no_attachments(api, case):
    uploaded = attach(api, "casey", PDF).json

    assert api.as_("olive").get("/api/cases/C-30/attachments").status_code == 404
    assert api.as_("olive").get(f"/api/cases/C-30/attachments/{uploaded['id']}").status_code == 404
    assert attach(api, "olive", PDF).status_code == 404
    assert api.as_("casey").get("/api/cases/C-30/attachments/999").status_code == 404
