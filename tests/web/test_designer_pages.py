"""The designer's pages: definitions with versions, the viewer, the modeler, moving cases."""

from __future__ import annotations

import re

from tests.api.helpers import WORKFLOWS, start, upload_bytes
from tests.web.conftest import WebClient

BENEFIT = WORKFLOWS.parent / "tests" / "fixtures" / "discretionary_benefit.bpmn"


def _text(response) -> str:  # type: ignore[no-untyped-def]
    return re.sub(r"\s+", " ", response.data.decode())


def _v2(api) -> None:
    changed = BENEFIT.read_bytes().replace(b"Record the benefit request", b"Record the request")
    assert upload_bytes(api.as_("dana"), BENEFIT.name, changed).status_code == 201


def test_definitions_list_versions_and_running_cases(web: WebClient, api, deployed):
    start(api.as_("casey"), "discretionary_benefit")
    _v2(api)
    web.login("dana")

    page = _text(web.get("/definitions"))

    assert "Discretionary benefit request" in page
    assert 'href="/definitions/discretionary_benefit/versions/2"' in page
    assert 'href="/modeler/discretionary_benefit/1"' in page
    assert 'href="/definitions/discretionary_benefit/migrate?from=1"' in page


def test_the_viewer_and_the_modeler_load_the_deployed_xml(web: WebClient, deployed):
    web.login("dana")

    viewer = _text(web.get("/definitions/discretionary_benefit/versions/1"))
    modeler = _text(web.get("/modeler/discretionary_benefit/1"))
    blank = _text(web.get("/modeler"))

    xml = "/api/definitions/discretionary_benefit/versions/1/xml"
    assert f'data-xml-url="{xml}"' in viewer and "read only" in viewer
    assert f'data-xml-url="{xml}"' in modeler
    assert 'data-validate-url="/api/definitions/validate"' in modeler
    assert '<meta name="csrf-token"' in modeler
    assert 'data-xml-url="/assets/diagrams/new.bpmn"' in blank
    with web.get("/assets/diagrams/new.bpmn") as starter:  # a file response: close it
        assert starter.status_code == 200
    assert web.get("/definitions/discretionary_benefit/versions/9").status_code == 404


def test_the_modeler_speaks_french_to_bpmn_js_too(web: WebClient, deployed):
    web.login("dana")
    web.post("/language", {"lang": "fr"})

    page = web.get("/modeler").data.decode()

    assert '"Create start event": "Cr\\u00e9er un \\u00e9v\\u00e9nement de d\\u00e9but"' in page


def test_moving_cases_is_checked_before_it_is_done(web: WebClient, api, deployed):
    case = start(api.as_("casey"), "discretionary_benefit").json["id"]
    _v2(api)
    web.login("dana")

    dry = _text(web.get("/definitions/discretionary_benefit/migrate?from=1&to=2"))
    moved = _text(web.post("/definitions/discretionary_benefit/migrate", {"from": 1, "to": 2}))

    assert "Dry run: v1 → v2" in dry and "1 case would move." in dry and case in dry
    assert "Move 1 case to v2" in dry
    assert "Result: v1 → v2" in moved and "1 case moved." in moved
    assert api.as_("casey").get(f"/api/instances/{case}").json["version"] == 2


def test_choosing_the_same_version_twice_is_explained(web: WebClient, deployed):
    web.login("dana")

    response = web.get("/definitions/discretionary_benefit/migrate?from=1&to=1")

    assert response.status_code == 422
    assert "Choose two different versions." in _text(response)


def test_designer_pages_are_for_designers(web: WebClient, deployed):
    web.login("sam")

    for path in ("/definitions", "/modeler", "/definitions/discretionary_benefit/migrate"):
        assert web.get(path).status_code == 403


def test_the_what_if_page_replays_past_cases_through_a_candidate(web: WebClient, api, deployed):
    for n in range(3):
        start(api.as_("casey"), "discretionary_benefit", f"WHATIF-{n}")
    web.login("dana")
    changed = BENEFIT.read_bytes().replace(b"Record the benefit request", b"Record the request")

    listed = _text(web.get("/definitions"))
    empty = web.post("/definitions/discretionary_benefit/whatif", {"weeks": "4"})
    from_modeler = web.post(
        "/definitions/discretionary_benefit/whatif", {"weeks": "4", "xml": changed.decode()}
    )
    broken = web.post(
        "/definitions/discretionary_benefit/whatif", {"weeks": "4", "xml": "<not a diagram"}
    )

    assert 'href="/definitions/discretionary_benefit/whatif"' in listed
    assert empty.status_code == 422 and "choose the candidate" in _text(empty)
    page = _text(from_modeler)
    assert from_modeler.status_code == 200, page
    assert "3 cases replayed" in page and 'id="whatif-tasks"' in page
    assert broken.status_code == 422
    versions = api.as_("dana").get("/api/definitions").json["items"]
    assert [v["versions"] for v in versions if v["process_id"] == "discretionary_benefit"] == [[1]]
