"""The designer's queue table page: list, add and edit queues with the API's rules."""

from __future__ import annotations

import re

from tests.web.conftest import WebClient


def _text(response) -> str:  # type: ignore[no-untyped-def]
    return re.sub(r"\s+", " ", response.data.decode())


def test_designer_adds_and_edits_a_queue(web: WebClient):
    web.login("dana")

    added = web.post(
        "/design/queues/new",
        {"key": "appeals", "title_en": "Appeals", "title_fr": "Appels", "roles": "caseworker"},
    )
    edited = web.post(
        "/design/queues/appeals",
        {"title_en": "Appeals", "title_fr": "Appels", "roles": "supervisor", "users": "cole"},
    )
    listed = _text(web.get("/design/queues"))

    assert added.status_code == 302 and edited.status_code == 302
    assert 'href="/design/queues/appeals"' in listed
    assert "supervisor, cole" in listed and "Every office" in listed


def test_a_bad_queue_key_is_explained_on_the_page(web: WebClient):
    web.login("dana")

    response = web.post("/design/queues/new", {"key": "Bad Key"})

    assert response.status_code == 422
    assert "lower-case letters" in _text(response)


def test_caseworkers_may_not_open_the_queue_table(web: WebClient):
    web.login("casey")

    assert web.get("/design/queues").status_code == 403


def test_the_inbox_names_a_designers_queue_by_its_title_in_the_pages_language(web, api):
    from tests.api.helpers import FIXTURES, start, upload

    dana = api.as_("dana")
    deployed = upload(dana, FIXTURES / "dialects" / "spiff_housing.bpmn").json
    (offer,) = deployed["missing_queues"]
    body = {**offer["create"]["body"], "title_en": "Housing desk", "title_fr": "Logement"}
    assert dana.post(offer["create"]["href"], json={**body, "users": ["cole"]}).status_code == 201
    start(api.as_("casey"), "spiff_housing", "HOUSE-2")
    web.login("cole")

    english = web.get("/inbox?tab=mine").data.decode()
    french = web.get("/inbox?tab=mine", headers={"Accept-Language": "fr"}).data.decode()

    assert "Queue: Housing desk" in english and ">housing_review<" not in english
    assert "Logement" in french
