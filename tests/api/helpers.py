"""Small helpers shared by the API tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.config import REPO_ROOT

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
WORKFLOWS = REPO_ROOT / "workflows"


def upload(user: Any, *paths: Path) -> Any:
    files = [(open(p, "rb"), p.name) for p in paths]  # noqa: SIM115 - closed by the client
    try:
        return user.post(
            "/api/definitions", data={"file": files}, content_type="multipart/form-data"
        )
    finally:
        for handle, _ in files:
            handle.close()


def upload_bytes(user: Any, name: str, content: bytes) -> Any:
    import io

    return user.post(
        "/api/definitions",
        data={"file": [(io.BytesIO(content), name)]},
        content_type="multipart/form-data",
    )


def start(user: Any, process_id: str, key: str = "CASE-1", data: dict | None = None) -> Any:
    return user.post(
        "/api/instances", json={"process_id": process_id, "business_key": key, "data": data or {}}
    )


def open_task(instance: dict[str, Any], name: str) -> dict[str, Any]:
    found = [t for t in instance["tasks"] if t["task_name"] == name and t["status"] == "open"]
    assert found, f"no open task {name}; tasks: {instance['tasks']}"
    return found[0]
