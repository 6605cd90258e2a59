"""Drive one five-task instance from start to end through the HTTP API, timing every call.

Per user task the client does what a caseworker's screen does: find the case's open task
(GET /api/tasks?instance_id=…, as the office supervisor who sees every queue), claim it and
complete it as the user who works that queue.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from typing import Any

from bench.floor import TASK_DATA
from bench.seed import WORKER_FOR_QUEUE
from bench.serving import Client

OPERATIONS = ("start", "find task", "claim", "complete")
Samples = dict[str, list[float]]


def new_samples() -> Samples:
    return defaultdict(list)


def run_instance(client: Client, key: str, samples: Samples) -> str:
    """Start one instance and complete its five user tasks; returns the instance id."""
    body, elapsed = client.call(
        "POST",
        "/api/instances",
        "bench_cw",
        {"process_id": "five_tasks", "business_key": key, "data": {"source": "bench"}},
    )
    samples["start"].append(elapsed)
    instance_id = str(body["id"])
    for _ in TASK_DATA:
        complete_next(client, instance_id, samples)
    return instance_id


def complete_next(client: Client, instance_id: str, samples: Samples) -> None:
    page, elapsed = client.call("GET", f"/api/tasks?instance_id={instance_id}&limit=5", "bench_sup")
    samples["find task"].append(elapsed)
    if not page["items"]:
        raise RuntimeError(f"instance {instance_id} has no open task")
    task = page["items"][0]
    worker = WORKER_FOR_QUEUE[task["queue"]]
    _, elapsed = client.call("POST", f"/api/tasks/{task['id']}/claim", worker)
    samples["claim"].append(elapsed)
    data: dict[str, Any] = copy.deepcopy(TASK_DATA[task["task_name"]])
    _, elapsed = client.call("POST", f"/api/tasks/{task['id']}/complete", worker, {"data": data})
    samples["complete"].append(elapsed)
