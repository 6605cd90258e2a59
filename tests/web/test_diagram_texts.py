"""Diagram texts in French on the pages: task names in the inbox and on the task page, process
names instead of ids, the task's instructions, and what was entered worded from the form."""

from __future__ import annotations

import re

from engine.config import REPO_ROOT
from engine.definitions import texts
from tests.api.helpers import WORKFLOWS, open_task, start, upload

CATALOG = texts.catalog_directory(REPO_ROOT / "workflows")


def _text(response) -> str:  # type: ignore[no-untyped-def]
    return re.sub(r"\s+", " ", response.data.decode())


def _french(english: str) -> str:
    french = texts.translate(CATALOG, english, "fr")
    assert french != english, f"the shipped catalog has no French for {english!r}"
    return french.replace("'", "&#39;")


def test_french_inbox_and_task_page_show_french_task_and_process_names(web, api, deployed):
    task = open_task(start(api.as_("casey"), "discretionary_benefit").json, "record_request")
    web.login("casey")
    web.post("/language", {"lang": "fr"})

    inbox = _text(web.get("/inbox?tab=caseworker"))
    page = _text(web.get(f"/tasks/{task['id']}"))

    assert _french(task["title"]) in inbox and f">{task['title']}<" not in inbox
    assert f"<h1>{_french(task['title'])}" in page
    assert _french("Discretionary benefit request") in page  # the process, by its name
    assert 'id="diagram-labels"' in page and "diagram_labels.js" in page


def test_english_pages_keep_the_diagram_texts_as_written(web, api, deployed):
    task = open_task(start(api.as_("casey"), "discretionary_benefit").json, "record_request")
    web.login("casey")
    web.post("/language", {"lang": "en"})

    page = _text(web.get(f"/tasks/{task['id']}"))

    assert f"<h1>{task['title']}" in page and 'id="diagram-labels"' not in page


def test_the_task_page_shows_the_steps_instructions_in_french(web, api):
    assert upload(api.as_("dana"), WORKFLOWS / "client_callback.bpmn").status_code == 201
    data = {"client_name": "Marie Roy", "phone": "705-555-0100", "reason": "Rent"}
    task = open_task(start(api.as_("casey"), "client_callback", data=data).json, "return_call")
    english = texts.element_instructions(
        [("client_callback.bpmn", (WORKFLOWS / "client_callback.bpmn").read_text())], "return_call"
    )
    web.login("casey")
    web.post("/language", {"lang": "fr"})

    page = _text(web.get(f"/tasks/{task['id']}"))

    assert 'id="task-instructions"' in page and "Consignes" in page
    assert f"<h3>Consignes</h3><p>{_french(english)}</p>" in page


def test_what_was_entered_is_worded_from_the_form_in_french(web, api, deployed):
    task = open_task(start(api.as_("casey"), "discretionary_benefit").json, "record_request")
    web.login("casey")
    request = {"f.client_name": "Marie Roy", "f.purpose": "dental", "f.amount": "900"}
    assert web.post(f"/tasks/{task['id']}/complete", request).status_code == 302
    instance = api.as_("casey").get(f"/api/instances/{task['instance_id']}").json
    approval = open_task(instance, "approve_request")
    web.post("/logout")
    web.login("sam")
    web.post("/language", {"lang": "fr"})

    page = _text(web.get(f"/tasks/{approval['id']}"))

    assert f"<strong>{_french(task['title'])}</strong>" in page
    assert "<dt>Objet</dt><dd>Soins dentaires</dd>" in page
    assert "<dt>Nom du client</dt><dd>Marie Roy</dd>" in page
