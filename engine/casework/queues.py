"""Human tasks: who may see and act on them, claiming, assignment and the inbox query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, true, union_all
from sqlalchemy.orm import Session

from engine import policy
from engine.audit import record
from engine.errors import AssigneeInvalid, TaskNotVisible
from engine.identity.users import Principal
from engine.statuses import TaskStatus
from engine.store.models import HumanTask
from engine.supervision import ownership, people


def visible_task(session: Session, principal: Principal, task_id: str) -> HumanTask:
    task = session.get(HumanTask, task_id)
    if task is None or not policy.may_see_task(principal, task):
        raise TaskNotVisible(f"task {task_id} not found")
    return task


def lock_visible_task(session: Session, principal: Principal, task_id: str) -> HumanTask:
    """The task row locked for this transaction (two clicks on "claim": one winner, one
    conflict); unknown and invisible tasks are the same 404."""
    task = session.get(HumanTask, task_id, with_for_update=True, populate_existing=True)
    if task is None or not policy.may_see_task(principal, task):
        raise TaskNotVisible(f"task {task_id} not found")
    return task


def claim(session: Session, principal: Principal, task: HumanTask, now: datetime) -> None:
    refusal = policy.claim_refusal(principal, task)
    if refusal is not None:
        raise refusal
    if task.assignee == principal.username:
        return
    task.assignee = principal.username
    task.claimed_at = now
    task.claimed_by = principal.username
    record(
        session,
        at=now,
        actor=principal.username,
        action="task.claim",
        instance_id=task.instance_id,
        task_id=task.id,
    )
    ownership.adopt_on_claim(session, task, principal, now)


def unclaim(session: Session, principal: Principal, task: HumanTask, now: datetime) -> None:
    refusal = policy.release_refusal(principal, task)
    if refusal is not None:
        raise refusal
    previous = task.assignee
    task.assignee = None
    task.claimed_at = None
    record(
        session,
        at=now,
        actor=principal.username,
        action="task.unclaim",
        instance_id=task.instance_id,
        task_id=task.id,
        previous=previous,
    )


def assign(
    session: Session, principal: Principal, task: HumanTask, username: str | None, now: datetime
) -> None:
    """A supervisor hands the task to a user who works its queue, or back to the queue."""
    refusal = policy.assign_refusal(principal, task)
    if refusal is not None:
        raise refusal
    if username is not None:
        problem = policy.assignee_problem(task, people.load_staff(session, username), username)
        if problem is not None:
            raise AssigneeInvalid(problem)
        people.refuse_absent(session, username, now)
    previous = task.assignee
    task.assignee = username
    task.claimed_at = now if username else None
    task.claimed_by = principal.username if username else None
    record(
        session,
        at=now,
        actor=principal.username,
        action="task.assign",
        instance_id=task.instance_id,
        task_id=task.id,
        previous=previous,
        assignee=username,
    )


def eligible_assignees(
    session: Session, principal: Principal, task: HumanTask, now: datetime
) -> list[tuple[str, str]]:
    """(username, display name) of everyone `assign` would accept for this task right now, by
    the same rules (queue, office, four eyes, absence); empty for anyone who cannot assign."""
    if policy.assign_refusal(principal, task) is not None:
        return []
    candidates = [
        staff
        for staff in people.holders_of(session, task.queue)
        if policy.assignee_problem(task, staff, staff.username) is None
    ]
    away = people.absent_among(session, [staff.username for staff in candidates], now)
    return [
        (staff.username, staff.display_name)
        for staff in candidates
        if policy.absence_problem(staff.username, away.get(staff.username)) is None
    ]


SORTS = ("priority", "due", "created")  # urgent first (then soonest due), soonest due, newest


@dataclass(frozen=True)
class InboxFilter:
    queue: str | None = None
    mine: bool = False
    status: str = TaskStatus.OPEN
    overdue_at: datetime | None = None
    due_before: datetime | None = None
    process_id: str | None = None
    instance_id: str | None = None
    case_key: str | None = None
    limit: int = 50
    offset: int = 0
    sort: str = "due"
    search: str | None = None  # words, each found in one of SEARCHABLE (case-insensitive)


# What the inbox search looks in: the task, its case and client, the detail line. A new
# searchable column is one more entry here; nothing else changes.
SEARCHABLE: tuple[Any, ...] = (
    HumanTask.title,
    HumanTask.business_key,
    HumanTask.case_key,
    HumanTask.client_name,
    HumanTask.detail,
)

# Sort keys as (column name, descending); due dates sort with "no deadline" last.
_ORDERS: dict[str, tuple[tuple[str, bool], ...]] = {
    "due": (("due_at", False), ("created_at", False), ("id", False)),
    "created": (("created_at", True), ("id", True)),
    "raised": (("priority", True), ("due_at", False), ("created_at", False), ("id", False)),
}


def inbox(
    session: Session, principal: Principal, wanted: InboxFilter
) -> tuple[list[HumanTask], int]:
    """Tasks the user may work in the wanted order (default: soonest due first, no due date
    last); one page and the total."""
    if _open_slices_apply(wanted):
        return _open_inbox(session, principal, wanted)
    query = _visible(select(HumanTask), principal)
    if wanted.status != "any":
        query = query.where(HumanTask.status == wanted.status)
    if wanted.queue:
        query = query.where(HumanTask.queue == wanted.queue)
    if wanted.mine:
        query = query.where(HumanTask.assignee == principal.username)
    if wanted.overdue_at is not None:
        query = query.where(HumanTask.due_at < wanted.overdue_at)
    if wanted.due_before is not None:
        query = query.where(HumanTask.due_at < wanted.due_before)
    if wanted.process_id:
        query = query.where(HumanTask.process_id == wanted.process_id)
    if wanted.instance_id:
        query = query.where(HumanTask.instance_id == wanted.instance_id)
    if wanted.case_key:
        query = query.where(HumanTask.case_key == wanted.case_key)
    if wanted.search:
        query = query.where(search_condition(wanted.search))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    order = _ORDERS["raised" if wanted.sort == "priority" else _sort(wanted)]
    ordered = query.order_by(*_order_by(lambda name: getattr(HumanTask, name), order))
    rows = list(session.scalars(ordered.limit(wanted.limit).offset(wanted.offset)))
    return rows, total


def count_open(session: Session, principal: Principal, wanted: InboxFilter) -> int:
    """How many open tasks an inbox tab holds: per-slice index-only counts, no rows read."""
    return _sliced(session, principal, wanted, _filters(wanted), _ORDERS["due"], 0, 0)[1]


def search_condition(text: str) -> ColumnElement[bool]:
    """Every word (at most five) appears in the title, the case key or the detail line."""
    conditions = []
    for word in text.lower().split()[:5]:
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        conditions.append(
            or_(*[func.lower(column).like(pattern, escape="\\") for column in SEARCHABLE])
        )
    return and_(true(), *conditions)


def _sort(wanted: InboxFilter) -> str:
    return wanted.sort if wanted.sort in ("due", "created") else "due"


def _order_by(column: Any, order: tuple[tuple[str, bool], ...]) -> list[Any]:
    out = []
    for name, descending in order:
        expression = column(name).desc() if descending else column(name).asc()
        out.append(expression.nulls_last() if name == "due_at" else expression)
    return out


def _open_slices_apply(wanted: InboxFilter) -> bool:
    """The everyday inbox pages: open tasks, filtered at most by queue, mine, due date and a
    search."""
    return (
        wanted.status == TaskStatus.OPEN
        and not wanted.process_id
        and not wanted.instance_id
        and not wanted.case_key
    )


def _filters(wanted: InboxFilter) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if wanted.queue:
        where.append(HumanTask.queue == wanted.queue)
    for bound in (wanted.overdue_at, wanted.due_before):
        if bound is not None:
            where.append(HumanTask.due_at < bound)
    if wanted.search:
        where.append(search_condition(wanted.search))
    return where


def _open_inbox(
    session: Session, principal: Principal, wanted: InboxFilter
) -> tuple[list[HumanTask], int]:
    """The open inbox in the wanted order. "Urgent first" reads the few raised tasks (their own
    small partial index) and then the rest in due order: two windows, one page."""
    where = _filters(wanted)
    if wanted.sort != "priority":
        order = _ORDERS[_sort(wanted)]
        return _sliced(session, principal, wanted, where, order, wanted.offset, wanted.limit)
    raised = [*where, HumanTask.priority > 0]
    rows, raised_total = _sliced(
        session, principal, wanted, raised, _ORDERS["raised"], wanted.offset, wanted.limit
    )
    rest = [*where, HumanTask.priority <= 0]
    more, rest_total = _sliced(
        session,
        principal,
        wanted,
        rest,
        _ORDERS["due"],
        max(0, wanted.offset - raised_total),
        wanted.limit - len(rows),
    )
    return rows + more, raised_total + rest_total


def _sliced(
    session: Session,
    principal: Principal,
    wanted: InboxFilter,
    where: list[ColumnElement[bool]],
    order: tuple[tuple[str, bool], ...],
    offset: int,
    limit: int,
) -> tuple[list[HumanTask], int]:
    """The inbox as disjoint slices, each one ordered scan of a partial index over open tasks.

    "My queues in my office, or assigned to me" as one OR cannot walk an index in due order,
    so at a million open tasks it sorted every visible row for each page. Each slice below reads
    at most offset + limit rows in index order; the page is the merge of those few rows, and the
    total is the sum of per-slice counts (index-only scans). `limit` 0 counts only.
    """
    slices = _slices(principal, wanted)
    if not slices:
        return [], 0
    names = [name for name, _ in order]
    heads = []
    counts = []
    for condition in slices:
        conditions = [HumanTask.status == TaskStatus.OPEN, condition, *where]
        counts.append(
            select(func.count()).select_from(HumanTask).where(*conditions).scalar_subquery()
        )
        if limit > 0:
            ordered = (
                select(*[getattr(HumanTask, name) for name in names])
                .where(*conditions)
                .order_by(*_order_by(lambda name: getattr(HumanTask, name), order))
                .limit(offset + limit)
                .subquery()
            )
            heads.append(select(*[ordered.c[name] for name in names]))
    total = int(session.scalar(select(sum(counts[1:], counts[0]))) or 0)
    if limit <= 0 or offset >= total:
        return [], total
    merged = union_all(*heads).subquery()
    page = (
        select(HumanTask)
        .join(merged, HumanTask.id == merged.c.id)
        .order_by(*_order_by(lambda name: merged.c[name], order))
        .limit(limit)
        .offset(offset)
    )
    return list(session.scalars(page)), total


def _slices(principal: Principal, wanted: InboxFilter) -> list[ColumnElement[bool]]:
    """Disjoint conditions whose union is what the user sees (and asked for)."""
    mine = HumanTask.assignee == principal.username
    if wanted.mine:
        return [mine]
    if policy.sees_every_task(principal):
        return [true()]
    office = HumanTask.office == principal.office
    if policy.sees_office_tasks(principal):
        return [office, and_(mine, HumanTask.office != principal.office)]
    held = sorted(policy.held_queues(principal))
    if wanted.queue:
        held = [q for q in held if q == wanted.queue]
    slices: list[ColumnElement[bool]] = [and_(office, HumanTask.queue == q) for q in held]
    outside = or_(HumanTask.office != principal.office, HumanTask.queue.not_in(held))
    slices.append(and_(mine, outside) if held else mine)
    if not wanted.queue:  # tasks naming the user, in none of the slices above
        not_mine = or_(HumanTask.assignee.is_(None), HumanTask.assignee != principal.username)
        named = _named(principal)
        slices.append(and_(named, not_mine, outside) if held else and_(named, not_mine))
    return slices


def _named(principal: Principal) -> ColumnElement[bool]:
    """The user is one of the task's candidate users (stored ",ann,bob,")."""
    escaped = principal.username.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return HumanTask.candidate_users.like(f"%,{escaped},%", escape="\\")


def _visible(query: Select[Any], principal: Principal) -> Select[Any]:
    return query.where(visible_task_condition(principal))


def visible_task_condition(principal: Principal) -> ColumnElement[bool]:
    """policy.may_see_task as a SQL condition over human_task."""
    if policy.sees_every_task(principal):
        return true()
    mine = HumanTask.assignee == principal.username
    office = HumanTask.office == principal.office
    if policy.sees_office_tasks(principal):
        return or_(office, mine, _named(principal))
    held = sorted(policy.held_queues(principal))
    return or_(and_(office, HumanTask.queue.in_(held)), mine, _named(principal))
