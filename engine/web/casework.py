"""What a caseworker's pages show: the inbox and one task with its case. Read-only queries over
indexed rows (tasks, instances, forms); the changes go through the commands of engine.casework
(task_actions, commands), and what a page offers comes from the rules they apply."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import policy
from engine.casework import commands, queues
from engine.definitions.deploy import list_definitions
from engine.definitions.texts import element_instructions
from engine.identity.users import Principal
from engine.statuses import TaskStatus
from engine.store.models import (
    Definition,
    DefinitionFile,
    DefinitionForm,
    HumanTask,
    ProcessInstance,
)

PAGE_SIZE = 50
PAGE_SIZES = (25, 50, 100, 500)
MINE = "mine"


@dataclass(frozen=True)
class InboxQuery:
    tab: str = MINE  # "mine" or a queue key
    queue: str | None = None
    process_id: str | None = None
    due_before: datetime | None = None
    offset: int = 0
    sort: str = "priority"  # queues.SORTS
    search: str | None = None
    limit: int = PAGE_SIZE


@dataclass(frozen=True)
class Inbox:
    tabs: tuple[str, ...]
    tasks: list[HumanTask]
    total: int
    processes: list[tuple[str, str]]
    offset: int
    limit: int = PAGE_SIZE
    counts: Mapping[str, int] | None = None  # open tasks per tab


@dataclass(frozen=True)
class Step:
    """A finished step of the case, with what was entered (labelled by that step's form)."""

    task: HumanTask
    answers: tuple[dict[str, Any], dict[str, Any]]  # (the step's form schema, what was entered)


@dataclass(frozen=True)
class TaskFile:
    task: HumanTask
    instance: ProcessInstance
    process_name: str
    instructions: str  # the diagram's instructions for this step, in English (the page translates)
    schema: dict[str, Any]
    ui: dict[str, Any] | None
    values: dict[str, Any]
    steps: list[Step]
    assignees: list[tuple[str, str]]


def tabs_for(principal: Principal) -> tuple[str, ...]:
    """ "My tasks" first, then every queue the user holds (admins: every queue)."""
    return (MINE, *policy.queue_tabs(principal))


def inbox(session: Session, principal: Principal, wanted: InboxQuery) -> Inbox:
    tabs = tabs_for(principal)
    rows, total = queues.inbox(session, principal, _filter(tabs, wanted))
    processes = [(pid, name) for pid, name, _ in list_definitions(session)]
    counts = {
        tab: queues.count_open(
            session, principal, queues.InboxFilter(mine=tab == MINE, queue=_tab_queue(tab))
        )
        for tab in tabs
    }
    return Inbox(tabs, rows, total, processes, wanted.offset, wanted.limit, counts)


def next_task(
    session: Session, principal: Principal, wanted: InboxQuery, done: str
) -> HumanTask | None:
    """The first task of the same inbox view the user can work, other than the one just done:
    where "Complete and open next" goes."""
    first = replace(wanted, offset=0, limit=10)
    rows, _ = queues.inbox(session, principal, _filter(tabs_for(principal), first))
    return next((t for t in rows if t.id != done and can_work(principal, t)), None)


def _tab_queue(tab: str) -> str | None:
    return None if tab == MINE else tab


def _filter(tabs: tuple[str, ...], wanted: InboxQuery) -> queues.InboxFilter:
    tab = wanted.tab if wanted.tab in tabs else MINE
    return queues.InboxFilter(
        queue=_tab_queue(tab) or wanted.queue,
        mine=tab == MINE,
        due_before=wanted.due_before,
        process_id=wanted.process_id,
        limit=wanted.limit,
        offset=wanted.offset,
        sort=wanted.sort if wanted.sort in queues.SORTS else "priority",
        search=wanted.search,
    )


def task_file(session: Session, principal: Principal, task_id: str, now: datetime) -> TaskFile:
    task = queues.visible_task(session, principal, task_id)
    instance = session.get_one(ProcessInstance, task.instance_id)
    schema = commands.form_schema(session, instance.definition_id, task.form_key)
    ui = _ui_schema(session, instance.definition_id, task.form_key)
    if task.submitted_json:
        values = json.loads(task.submitted_json)
    else:
        values = json.loads(instance.data_json)
    return TaskFile(
        task=task,
        instance=instance,
        process_name=_process_name(session, instance),
        instructions=_instructions(session, instance, task.task_name),
        schema=schema,
        ui=ui,
        values=values if isinstance(values, dict) else {},
        steps=_steps(session, instance),
        assignees=queues.eligible_assignees(session, principal, task, now),
    )


def can_work(principal: Principal, task: HumanTask) -> bool:
    """Whether the form is offered: exactly when claiming (or completing) would be accepted."""
    return policy.claim_refusal(principal, task) is None


def _steps(session: Session, instance: ProcessInstance) -> list[Step]:
    finished = session.scalars(
        select(HumanTask)
        .where(HumanTask.instance_id == instance.id, HumanTask.status != TaskStatus.OPEN)
        .order_by(HumanTask.completed_at, HumanTask.id)
    ).all()
    return [Step(t, _answers(session, instance, t)) for t in finished]


def _answers(
    session: Session, instance: ProcessInstance, task: HumanTask
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The step's form schema and what was submitted; the page words them in its language."""
    if not task.submitted_json:
        return {}, {}
    submitted = json.loads(task.submitted_json)
    if not isinstance(submitted, dict):
        return {}, {}
    return commands.form_schema(session, instance.definition_id, task.form_key), submitted


def _ui_schema(session: Session, definition_id: int, form_key: str | None) -> dict[str, Any] | None:
    if not form_key:
        return None
    form = session.get(DefinitionForm, (definition_id, form_key))
    if form is None or not form.ui_schema_json:
        return None
    loaded = json.loads(form.ui_schema_json)
    return loaded if isinstance(loaded, dict) else None


def _instructions(session: Session, instance: ProcessInstance, element_id: str) -> str:
    files = session.execute(
        select(DefinitionFile.filename, DefinitionFile.content).where(
            DefinitionFile.definition_id == instance.definition_id
        )
    )
    return element_instructions([(name, content) for name, content in files], element_id)


def _process_name(session: Session, instance: ProcessInstance) -> str:
    definition = session.get(Definition, instance.definition_id)
    return definition.name if definition is not None else instance.process_id
