"""Runtime behaviour with history pruning on: long loops, gateways, timers, subprocesses, data."""

from __future__ import annotations

import copy

import pytest

from engine.runtime import TaskNotFound, TaskNotReady
from engine.runtime.spiff import workflow_from_json
from tests.engine.test_runtime_support import RUN, Case


def _task_data(case: Case, name: str) -> dict:
    """The data SpiffWorkflow recorded for the (completed) task called `name`."""
    workflow = workflow_from_json(case.state, case.spec.spec, case.spec.subprocess_specs)
    task = next(t for t in workflow.tasks.values() if t.task_spec.bpmn_id == name)
    return task.data


# -- loops ------------------------------------------------------------------------------------


def test_user_task_loop_runs_1000_iterations_with_bounded_state() -> None:
    case = Case("runtime_loop.bpmn", {"count": 0, "limit": 1000})
    sizes = {}
    for iteration in range(1, 1001):
        assert case.names() == ["review"], iteration
        case.complete("review", {"note": f"pass {iteration}"})
        sizes[iteration] = len(case.state)
    assert case.outcome.status == "completed"
    assert case.outcome.data["count"] == 1000
    # Bounded state is what keeps each step's cost flat (bench/history.py times it).
    assert sizes[999] <= 1.5 * sizes[10], (sizes[10], sizes[999])


def test_automatic_loop_of_3000_iterations_finishes_in_one_command() -> None:
    # The history is pruned as the loop runs, so the one command ends with a small state
    # (its speed is a benchmark's business, not a test's: bench/history.py).
    case = Case("runtime_auto_loop.bpmn", {"count": 0, "limit": 3000})
    assert case.outcome.status == "completed", case.outcome.incident
    assert case.outcome.data["count"] == 3000
    assert len(case.state) < 200_000, len(case.state)


# -- semantics kept while pruning -------------------------------------------------------------


@pytest.mark.parametrize("order", [("task_a", "task_b"), ("task_b", "task_a")])
def test_parallel_join_fires_once_and_merges_both_branches(order: tuple[str, str]) -> None:
    case = Case("runtime_parallel.bpmn", {"joins": 0})
    assert case.names() == ["task_a", "task_b"]
    first, second = order
    case.complete(first, {first: "done"})
    assert case.names() == [second]
    case.complete(second, {second: "done"})
    assert case.names() == ["decide"]
    assert case.outcome.data["joins"] == 1
    assert case.outcome.data["task_a"] == case.outcome.data["task_b"] == "done"
    case.complete("decide")
    assert case.outcome.status == "completed"
    assert case.outcome.data["joins"] == 1


def test_non_interrupting_timer_runs_reminder_and_keeps_the_task() -> None:
    case = Case("runtime_timers.bpmn", {"reminders": 0})
    handle = case.task_id("handle")
    assert {(t.name, t.interrupting, t.attached_to) for t in case.outcome.timers} == {
        ("remind_timer", False, handle),
        ("deadline", True, handle),
    }
    case.clock.advance(minutes=30)
    case.do(case.runtime.fire_timers)
    assert case.outcome.data["reminders"] == 0
    case.clock.advance(minutes=31)
    case.do(case.runtime.fire_timers)
    assert case.outcome.data["reminders"] == 1
    assert case.names() == ["handle"] and case.task_id("handle") == handle
    assert [t.name for t in case.outcome.timers] == ["deadline"]
    case.complete("handle", {"outcome": "granted"})
    assert case.outcome.status == "completed"
    assert case.outcome.data["outcome"] == "granted"


def test_interrupting_timer_cancels_the_task_and_escalates() -> None:
    case = Case("runtime_timers.bpmn", {"reminders": 0})
    handle = case.task_id("handle")
    case.clock.advance(days=1, minutes=1)
    case.do(case.runtime.fire_timers)
    assert case.names() == ["escalate"]
    assert case.outcome.data["reminders"] == 1
    assert case.outcome.timers == []
    with pytest.raises(TaskNotReady):
        case.runtime.complete_task(case.spec, case.state, handle, {}, RUN)
    case.complete("escalate")
    assert case.outcome.status == "completed"


def test_completing_after_the_deadline_escalates_instead() -> None:
    """Timers are refreshed before a command is applied: a late completion is refused."""
    case = Case("runtime_timers.bpmn", {"reminders": 0})
    handle = case.task_id("handle")
    case.clock.advance(days=2)
    with pytest.raises(TaskNotReady):
        case.runtime.complete_task(case.spec, case.state, handle, {}, RUN)


def test_embedded_subprocess_with_user_task() -> None:
    case = Case("runtime_subprocess.bpmn")
    assert case.names() == ["interview"]
    case.complete("interview", {"answers": 4})
    assert case.names() == ["confirm"]
    assert case.outcome.data["score"] == 8
    case.complete("confirm")
    assert case.outcome.status == "completed"
    assert case.outcome.data["score"] == 8


def test_call_activity_with_user_task() -> None:
    case = Case("runtime_call_activity.bpmn", {"income": 700}, process="parent_case")
    assert case.names() == ["check"]
    case.complete("check", {"checked_by": "casey"})
    assert case.outcome.status == "completed", case.outcome.incident
    assert case.outcome.data["summary"] == "eligible"
    assert case.outcome.data["checked_by"] == "casey"


# -- data traps -------------------------------------------------------------------------------


def test_later_script_does_not_change_data_recorded_for_a_completed_task() -> None:
    case = Case("runtime_nested_data.bpmn")
    members = [{"name": "partner", "age": 38}]
    case.complete("task_a", {"members": members})
    assert case.names() == ["task_b"]
    assert _task_data(case, "task_a")["members"] == [{"name": "partner", "age": 38}]
    assert _task_data(case, "append")["members"] == [
        {"name": "partner", "age": 38, "checked": True},
        {"name": "applicant", "age": 40},
    ]
    assert members == [{"name": "partner", "age": 38}]
    case.complete("task_b", {"reviewed": True})
    assert case.names() == ["task_c"]
    assert case.outcome.data["members"][1]["name"] == "applicant"
    assert case.outcome.data["reviewed"] is True


def test_outcome_data_is_a_snapshot() -> None:
    case = Case("runtime_loop.bpmn", {"count": 0, "limit": 3})
    before = case.complete("review", {"notes": [{"text": "first"}]})
    frozen = copy.deepcopy(before.data)
    before.data["notes"].append({"text": "changed by the caller"})
    case.complete("review")
    assert case.outcome.data["notes"] == frozen["notes"]


def test_mutating_submitted_dict_after_the_call_does_not_change_state() -> None:
    case = Case("runtime_loop.bpmn", {"count": 0, "limit": 2})
    submitted = {"notes": [{"text": "first"}]}
    case.complete("review", submitted)
    state = case.state
    submitted["notes"][0]["text"] = "tampered"
    submitted["notes"].append({"text": "added"})
    assert case.outcome.data["notes"] == [{"text": "first"}]
    case.complete("review")
    assert case.outcome.data["notes"] == [{"text": "first"}]
    assert "tampered" not in state


# -- command errors ---------------------------------------------------------------------------


@pytest.mark.parametrize("task_id", ["not-a-uuid", "00000000-0000-4000-8000-000000000000"])
def test_complete_unknown_task_raises_task_not_found(task_id: str) -> None:
    case = Case("runtime_loop.bpmn", {"count": 0, "limit": 5})
    with pytest.raises(TaskNotFound):
        case.runtime.complete_task(case.spec, case.state, task_id, {}, RUN)


def test_complete_a_completed_task_raises_task_not_ready() -> None:
    case = Case("runtime_loop.bpmn", {"count": 0, "limit": 5})
    done = case.task_id("review")
    case.complete("review")
    with pytest.raises(TaskNotReady):
        case.runtime.complete_task(case.spec, case.state, done, {}, RUN)
    assert case.outcome.data["count"] == 1


def test_complete_a_completed_parallel_task_raises_task_not_ready() -> None:
    case = Case("runtime_parallel.bpmn", {"joins": 0})
    done = case.task_id("task_a")
    case.complete("task_a")
    with pytest.raises(TaskNotReady):
        case.runtime.complete_task(case.spec, case.state, done, {}, RUN)


@pytest.mark.parametrize("order", [("first_task", "second_task"), ("second_task", "first_task")])
def test_tasks_in_either_of_two_subprocesses_can_be_completed(order: tuple[str, str]) -> None:
    case = Case("runtime_two_subprocesses.bpmn")
    assert case.names() == ["first_task", "second_task"]
    case.complete(order[0], {order[0]: "done"})
    assert case.names() == [order[1]]
    case.complete(order[1], {order[1]: "done"})
    assert case.outcome.status == "completed"
    assert case.outcome.data == {"first_task": "done", "second_task": "done"}


def test_loop_inside_a_subprocess_stays_bounded_and_data_shows_its_progress() -> None:
    case = Case("runtime_subprocess_loop.bpmn", {"visits": 0, "visit_limit": 300})
    sizes = {}
    for visit in range(1, 301):
        assert case.names() == ["visit"], visit
        case.complete("visit")
        sizes[visit] = len(case.state)
        if visit == 3:
            assert case.outcome.status == "waiting"
            assert case.outcome.data["visits"] == 3
    assert case.outcome.status == "completed"
    assert case.outcome.data["done"] == 300
    assert sizes[299] <= 2 * sizes[10], sizes


def test_terminate_cancels_everything() -> None:
    case = Case("runtime_timers.bpmn", {"reminders": 0})
    case.do(case.runtime.terminate)
    assert case.outcome.status == "terminated"
    assert case.outcome.open_tasks == [] and case.outcome.timers == []
    case.clock.advance(days=3)
    case.do(case.runtime.fire_timers)
    assert case.outcome.status == "terminated"
    assert case.outcome.data["reminders"] == 0 and case.outcome.open_tasks == []
