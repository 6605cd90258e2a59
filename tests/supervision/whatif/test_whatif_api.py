"""POST /api/definitions/{process_id}/whatif: designers try a candidate; bad input names the
field; nothing is deployed."""

from __future__ import annotations

import io
from pathlib import Path

from tests.api.helpers import upload

HERE = Path(__file__).resolve().parent


def whatif(user, process_id: str = "check_in", **form):
    body = {"file": [(io.BytesIO((HERE / "check_in_shorter.bpmn").read_bytes()), "c.bpmn")]}
    return user.post(
        f"/api/definitions/{process_id}/whatif",
        data={**body, **form},
        content_type="multipart/form-data",
    )


def test_a_designer_gets_old_beside_new_and_nothing_is_deployed(api) -> None:
    assert upload(api.as_("dana"), HERE / "check_in.bpmn").status_code == 201

    answer = whatif(api.as_("dana"), weeks="4")

    assert answer.status_code == 200, answer.json
    assert answer.json["cases"] == 0 and "assumptions" in answer.json
    versions = api.as_("dana").get("/api/definitions").json["items"]
    assert [v["versions"] for v in versions if v["process_id"] == "check_in"] == [[1]]


def test_bad_input_names_the_field(api) -> None:
    upload(api.as_("dana"), HERE / "check_in.bpmn")

    weeks = whatif(api.as_("dana"), weeks="many")
    too_far = whatif(api.as_("dana"), weeks="99")
    estimate = whatif(api.as_("dana"), estimate="call_client")
    unknown = whatif(api.as_("dana"), process_id="nothing_here")
    caseworker = whatif(api.as_("casey"))

    assert weeks.status_code == 422 and weeks.json["errors"][0]["field"] == "weeks"
    assert too_far.status_code == 422 and too_far.json["errors"][0]["field"] == "weeks"
    assert estimate.status_code == 422 and estimate.json["errors"][0]["field"] == "estimate"
    assert unknown.status_code == 422 and unknown.json["errors"][0]["field"] == "file"
    assert caseworker.status_code == 403
