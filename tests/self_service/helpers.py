"""A case whose next step the client can answer from home: send the missing documents."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.api.helpers import upload

HERE = Path(__file__).resolve().parent
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
CLIENT = {
    "name": "Marie-Ève Tremblay",
    "preferred_language": "fr",
    "date_of_birth": "1984-02-29",
    "contact": {"email": "me@example.org", "phone": "705-555-0199"},
}


def deploy(api: Any) -> None:
    response = upload(
        api.as_("dana"),
        HERE / "documents_from_home.bpmn",
        HERE / "client_documents.schema.json",
    )
    assert response.status_code == 201, response.json


def case_with_documents_task(api: Any, key: str = "C-40") -> tuple[str, str]:
    """(case key, id of the open "Send the missing documents" task)."""
    opened = api.as_("ira").post(
        "/api/cases",
        json={"process_id": "documents_from_home", "client": CLIENT, "data": {}, "key": key},
    )
    assert opened.status_code == 201, opened.json
    tasks = api.as_("casey").get("/api/tasks?limit=200").json["items"]
    (task,) = [t for t in tasks if t["business_key"] == key and t["task_name"] == "send_documents"]
    return key, task["id"]
