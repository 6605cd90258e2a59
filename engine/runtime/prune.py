"""Keep an instance's task tree bounded, however long the instance lives.

SpiffWorkflow keeps every completed task forever. Its tree walks start at the root and stop at
depth 1,000, so a loop silently stalls after ~250 iterations, and every step costs time in
proportion to history. Caseway keeps human-visible history in its own rows (human tasks, audit
events), so the engine only needs the part of the tree that can still matter: the deepest
completed task above every unfinished one, and everything below it.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.util.task import TaskState  # type: ignore[import-untyped]

_DONE = TaskState.COMPLETED | TaskState.CANCELLED
REMEMBERED_HUMAN_TASKS = 32
_MEMORY = "caseway_finished_human_tasks"


def finished_human_tasks(workflow: Any) -> list[str]:
    """Ids of the latest human tasks pruned away, so a late completion is "not ready", not 404."""
    top = workflow.top_workflow
    memory: list[str] | None = getattr(top, _MEMORY, None)
    if memory is None:
        memory = []
        setattr(top, _MEMORY, memory)
    return memory


def remember_finished_human_tasks(workflow: Any, task_ids: list[str]) -> None:
    memory = finished_human_tasks(workflow)
    memory.extend(task_ids)
    del memory[:-REMEMBERED_HUMAN_TASKS]


def prune_history(workflow: Any) -> int:
    """Drop finished tasks that no unfinished task descends from; returns how many were dropped."""
    dropped = _prune_one(workflow)
    for subprocess in list(workflow.subprocesses.values()):
        if subprocess.task_tree is not None and not subprocess.completed:
            dropped += _prune_one(subprocess)
    return dropped


def _prune_one(workflow: Any) -> int:
    root = workflow.task_tree
    anchor = _anchor(workflow, root)
    if anchor is None or anchor.parent is root or anchor is root:
        return 0
    keep: set[Any] = {root.id}
    stack = [anchor]
    while stack:
        task = stack.pop()
        keep.add(task.id)
        stack.extend(task.children)
    doomed = [task_id for task_id in workflow.tasks if task_id not in keep]
    anchor._parent = root.id
    root._children = [anchor.id]
    top = workflow.top_workflow
    remember_finished_human_tasks(
        workflow,
        [str(task_id) for task_id in doomed if workflow.tasks[task_id].task_spec.manual],
    )
    for task_id in doomed:
        del workflow.tasks[task_id]
        if task_id in top.subprocesses:
            _drop_subprocess(top, task_id)
    if workflow.last_task is not None and workflow.last_task.id not in keep:
        workflow.last_task = anchor
    return len(doomed)


def _anchor(workflow: Any, root: Any) -> Any | None:
    """The deepest completed task that is an ancestor of every unfinished task."""
    # A failed task counts as unfinished: `retry` must still find it, whatever else moved on.
    unfinished = [task for task in workflow.tasks.values() if not task.has_state(_DONE)]
    if not unfinished:
        return None
    common: list[Any] | None = None
    for task in unfinished:
        path = _path_from_root(task)
        if common is None:
            common = path
            continue
        length = 0
        for mine, theirs in zip(common, path, strict=False):
            if mine is not theirs:
                break
            length += 1
        common = common[:length]
    for task in reversed(common or []):
        if task is not root and task.has_state(TaskState.COMPLETED) and task not in unfinished:
            return task
    return None


def _path_from_root(task: Any) -> list[Any]:
    path = []
    node = task.parent
    while node is not None:
        path.append(node)
        node = node.parent
    path.reverse()
    return path


def _drop_subprocess(top: Any, task_id: Any) -> None:
    subprocess = top.subprocesses.pop(task_id, None)
    if subprocess is None:
        return
    for child_id in list(subprocess.tasks):
        if child_id in top.subprocesses:
            _drop_subprocess(top, child_id)
