"""`prune_history` directly: unfinished work is kept, old completed history is dropped."""

from __future__ import annotations

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.util.task import TaskState

from engine.runtime.prune import finished_human_tasks, prune_history
from engine.runtime.script_environment import SandboxedEnvironment
from engine.runtime.spiff import workflow_from_json, workflow_to_json
from engine.sandbox.limits import SandboxLimits
from engine.sandbox.runner import shared_runner
from tests.engine.test_runtime_support import load


def _workflow(fixture: str, **data: object) -> BpmnWorkflow:
    spec = load(fixture)
    environment = SandboxedEnvironment(shared_runner(SandboxLimits()), {}, lambda _: {})
    engine = PythonScriptEngine(environment=environment)
    workflow = BpmnWorkflow(spec.spec, spec.subprocess_specs, script_engine=engine)
    workflow.task_tree.data.update(data)
    workflow.do_engine_steps()
    return workflow


def _ready(workflow: BpmnWorkflow, name: str):
    return next(t for t in workflow.get_tasks(state=TaskState.READY) if t.task_spec.bpmn_id == name)


def _unfinished(workflow: BpmnWorkflow) -> dict:
    return {
        task.id: (task.state, task.task_spec.bpmn_id, dict(task.data))
        for task in workflow.tasks.values()
        if not task.has_state(TaskState.FINISHED_MASK)
    }


def test_prune_drops_old_loop_iterations_and_keeps_unfinished_tasks() -> None:
    workflow = _workflow("runtime_loop.bpmn", count=0, limit=50)
    for _ in range(20):
        _ready(workflow, "review").run()
        workflow.do_engine_steps()
    before = len(workflow.tasks)
    unfinished = _unfinished(workflow)
    dropped = prune_history(workflow)
    assert dropped > 0 and len(workflow.tasks) == before - dropped
    assert len(workflow.tasks) < 15
    assert _unfinished(workflow) == unfinished
    root = workflow.task_tree
    assert len(root.children) == 1 and root.children[0].state == TaskState.COMPLETED
    assert all(t is root or t.parent.id in workflow.tasks for t in workflow.tasks.values())
    assert len(finished_human_tasks(workflow)) == 20
    assert prune_history(workflow) == 0


def test_pruned_workflow_round_trips_and_runs_on() -> None:
    workflow = _workflow("runtime_loop.bpmn", count=0, limit=12)
    for _ in range(10):
        _ready(workflow, "review").run()
        workflow.do_engine_steps()
    prune_history(workflow)
    state = workflow_to_json(workflow)
    spec = load("runtime_loop.bpmn")
    restored = workflow_from_json(state, spec.spec, spec.subprocess_specs)
    restored.script_engine = workflow.script_engine
    assert _unfinished(restored) == _unfinished(workflow)
    for _ in range(2):
        _ready(restored, "review").run()
        restored.do_engine_steps()
    assert restored.completed
    assert restored.last_task.data["count"] == 12


def test_prune_keeps_both_parallel_branches() -> None:
    workflow = _workflow("runtime_parallel.bpmn", joins=0)
    _ready(workflow, "task_a").run()
    workflow.do_engine_steps()
    unfinished = _unfinished(workflow)
    prune_history(workflow)
    assert _unfinished(workflow) == unfinished
    names = {t.task_spec.bpmn_id for t in workflow.tasks.values()}
    assert {"task_a", "task_b", "fork"} <= names
    _ready(workflow, "task_b").run()
    workflow.do_engine_steps()
    prune_history(workflow)
    assert [t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.READY)] == ["decide"]
    assert "task_a" not in {t.task_spec.bpmn_id for t in workflow.tasks.values()}


def test_prune_inside_a_subprocess_keeps_its_user_task() -> None:
    workflow = _workflow("runtime_subprocess.bpmn")
    unfinished = _unfinished(workflow)
    prune_history(workflow)
    assert _unfinished(workflow) == unfinished
    interview = _ready(workflow, "interview")
    interview.data["answers"] = 2
    interview.run()
    workflow.do_engine_steps()
    prune_history(workflow)
    assert all(sub.completed for sub in workflow.subprocesses.values())
    assert [t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.READY)] == ["confirm"]


def test_prune_is_idempotent_and_leaves_a_finished_workflow_alone() -> None:
    workflow = _workflow("runtime_auto_loop.bpmn", count=0, limit=3)
    assert workflow.completed
    assert prune_history(workflow) == 0
    fresh = _workflow("runtime_loop.bpmn", count=0, limit=3)
    prune_history(fresh)
    assert prune_history(fresh) == 0
    assert [t.task_spec.bpmn_id for t in fresh.get_tasks(state=TaskState.READY)] == ["review"]
