"""Scenario 1, the floor: the five-task process with bare SpiffWorkflow, in memory.

Per user task: deserialize the whole state, complete the task, run the engine steps (script and
gateway), serialize again. That is the least any service storing Spiff state per command can
pay; the service scenario divides by it. The in-memory figure (no serialization) is shown too.

    .venv/bin/python -m bench floor
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow  # type: ignore[import-untyped]
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer  # type: ignore[import-untyped]
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser  # type: ignore[import-untyped]
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG  # type: ignore[import-untyped]
from SpiffWorkflow.util.task import TaskState  # type: ignore[import-untyped]

from bench.common import QUICK, Scenario, ms, summarize
from bench.seed import FIVE_TASKS

PROCESS_ID = "five_tasks"
TASK_DATA: dict[str, dict[str, Any]] = {
    "record_intake": {"client_name": "A. Client", "phone": "705-555-0100"},
    "assess_needs": {"urgent": True, "needs": ["housing", "income"]},
    "plan_support": {"plan": "Warm referral to the housing partner"},
    "review_plan": {"approved": True},
    "close_case": {"outcome": "stabilized"},
}
Step = Callable[[], None]


def load_spec() -> tuple[Any, dict[str, Any]]:
    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(FIVE_TASKS))
    return parser.get_spec(PROCESS_ID), parser.get_subprocess_specs(PROCESS_ID)


def serializer() -> Any:
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))


def complete_next(workflow: Any) -> None:
    task = workflow.get_next_task(state=TaskState.READY, manual=True)
    task.data.update(TASK_DATA[task.task_spec.bpmn_id])
    task.run()
    workflow.do_engine_steps()


def in_memory_instance(spec: Any, subs: dict[str, Any], samples: list[float]) -> None:
    workflow = BpmnWorkflow(spec, subs)
    workflow.do_engine_steps()
    for _ in TASK_DATA:
        started = time.perf_counter()
        complete_next(workflow)
        samples.append(time.perf_counter() - started)
    assert workflow.completed


def stateless_instance(spec: Any, subs: dict[str, Any], ser: Any, samples: list[float]) -> int:
    """Each task: deserialize → complete → engine steps → serialize. Returns final state bytes."""
    workflow = BpmnWorkflow(spec, subs)
    workflow.do_engine_steps()
    state = ser.serialize_json(workflow)
    for _ in TASK_DATA:
        started = time.perf_counter()
        workflow = ser.deserialize_json(state)
        complete_next(workflow)
        state = ser.serialize_json(workflow)
        samples.append(time.perf_counter() - started)
    assert workflow.completed
    return len(state)


def measure(instances: int) -> dict[str, Any]:
    spec, subs = load_spec()
    ser = serializer()
    for _ in range(20):  # warm-up: imports, caches
        stateless_instance(spec, subs, ser, [])
    memory: list[float] = []
    stateless: list[float] = []
    state_bytes = 0
    for _ in range(instances):
        in_memory_instance(spec, subs, memory)
        state_bytes = stateless_instance(spec, subs, ser, stateless)
    return {
        "in_memory_per_task_s": summarize(memory),
        "floor_per_task_s": summarize(stateless),
        "final_state_bytes": state_bytes,
    }


def floor_per_task_median(instances: int = 100) -> float:
    """The floor's per-task median in seconds (the service scenario divides by it)."""
    return float(measure(instances)["floor_per_task_s"]["median"])


def run() -> Scenario:
    instances = 100 if QUICK else 500
    data = measure(instances)
    rows = []
    for label, key in (
        ("in memory, no serialization", "in_memory_per_task_s"),
        ("deserialize → task → steps → serialize (floor)", "floor_per_task_s"),
    ):
        stats = data[key]
        rows.append([label, int(stats["n"]), ms(stats["median"]), ms(stats["p95"])])
    return Scenario(
        name="floor",
        title="1. Floor: bare SpiffWorkflow, five-task process, per user task",
        database="none (in memory)",
        sample=f"{instances} instances × 5 user tasks, after 20 warm-up instances",
        header=["what", "tasks", "p50 ms", "p95 ms"],
        rows=rows,
        notes=[
            "Spiff's default serializer (SPIFF_CONFIG), spec included in the state as bare "
            f"Spiff does; final state {data['final_state_bytes']:,} bytes of JSON",
        ],
        data=data,
    )
