"""Case ownership: an active case has a primary caseworker who receives its caseworker tasks
(continuity of care). A case is a business key within an office; it is active while one of its
instances is running, waiting or stopped on an incident."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Exists, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine import policy
from engine.audit import record
from engine.errors import Invalid, NotFound
from engine.identity.users import Principal
from engine.statuses import ACTIVE_INSTANCE_STATUSES, TaskStatus
from engine.store.models import CaseOwner, HumanTask, ProcessInstance
from engine.supervision.moves import move_task
from engine.supervision.people import load_staff, supervised_office
from engine.supervision.routing import Router

ACTIVE_STATUSES = ACTIVE_INSTANCE_STATUSES
# Timer-started schedules (`schedule:<process>:<office>`) are not client cases: nobody owns them.
SCHEDULE_PREFIX = "schedule:"


@dataclass(frozen=True)
class Ownership:
    office: str
    business_key: str
    owner: str | None
    assigned_at: datetime | None
    assigned_by: str | None
    active: bool
    moved_tasks: int = 0


def adopt_on_claim(session: Session, task: HumanTask, principal: Principal, now: datetime) -> None:
    """The first caseworker to claim (or complete) a caseworker task of an unowned case owns it."""
    if (
        task.queue != policy.CASE_QUEUE
        or not policy.owns_cases(principal.roles)
        or task.business_key.startswith(SCHEDULE_PREFIX)
        or session.get(CaseOwner, (task.office, task.business_key)) is not None
    ):
        return
    try:
        with session.begin_nested():  # two first claims at once: the first insert wins
            session.add(_row(task.office, task.business_key, principal.username, "system", now))
    except IntegrityError:
        return
    _audit(
        session,
        task.office,
        task.business_key,
        task.instance_id,
        principal.username,
        now,
        owner=principal.username,
        previous=None,
        reason="first_claim",
    )


def get_owner(
    session: Session, principal: Principal, business_key: str, office: str | None
) -> Ownership:
    """Any worker of the office may see who carries a case."""
    office = office or principal.office
    may_see = policy.may(principal, policy.Action.WORK) and policy.reaches_office(principal, office)
    if not may_see:
        raise NotFound(f"case {business_key!r} not found")
    _latest_instance(session, office, business_key)
    return _ownership(session, office, business_key)


def set_owner(
    session: Session,
    principal: Principal,
    business_key: str,
    username: str | None,
    office: str | None,
    now: datetime,
) -> Ownership:
    """A supervisor makes `username` the owner (None: nobody); the open caseworker tasks the
    previous owner held follow the case to the new owner (or the queue), each move audited."""
    get_owner(session, principal, business_key, office)  # a case you cannot see: 404 before 403
    office = supervised_office(principal, office)
    latest = _latest_instance(session, office, business_key)
    if username is not None:
        _check_owner(session, username, office)
    row = session.get(CaseOwner, (office, business_key), with_for_update=True)
    previous = row.owner if row is not None else None
    if previous == username:
        return _ownership(session, office, business_key)
    if username is None:
        if row is not None:
            session.delete(row)
    elif row is None:
        session.add(_row(office, business_key, username, principal.username, now))
    else:
        row.owner, row.assigned_at, row.assigned_by = username, now, principal.username
    _audit(
        session,
        office,
        business_key,
        latest,
        principal.username,
        now,
        owner=username,
        previous=previous,
        reason="supervisor",
    )
    moved = _follow(session, office, business_key, previous, username, principal.username, now)
    session.flush()
    return replace(_ownership(session, office, business_key), moved_tasks=moved)


def _follow(
    session: Session,
    office: str,
    business_key: str,
    previous: str | None,
    owner: str | None,
    actor: str,
    now: datetime,
) -> int:
    if previous is None:
        return 0
    tasks = session.scalars(
        select(HumanTask)
        .where(
            HumanTask.office == office,
            HumanTask.business_key == business_key,
            HumanTask.status == TaskStatus.OPEN,
            HumanTask.queue == policy.CASE_QUEUE,
            HumanTask.assignee == previous,
        )
        .order_by(HumanTask.id)
        .with_for_update()
    ).all()
    router = Router(session, now)
    moved = 0
    for task in tasks:
        to = router.destination(task, owner).assignee if owner else None
        moved += move_task(session, task, to, actor=actor, reason="ownership", now=now)
    return moved


def _check_owner(session: Session, username: str, office: str) -> None:
    staff = load_staff(session, username)
    if staff is None or not staff.active:
        raise Invalid(f"no active user {username!r}", field="user")
    if staff.office != office:
        raise Invalid(f"{username} works in office {staff.office!r}, not {office!r}", field="user")
    if not policy.owns_cases(staff.roles):
        raise Invalid(f"{username} does not hold role 'caseworker'", field="user")


def _latest_instance(session: Session, office: str, business_key: str) -> str:
    found = session.scalar(
        select(ProcessInstance.id)
        .where(ProcessInstance.office == office, ProcessInstance.business_key == business_key)
        .order_by(ProcessInstance.created_at.desc(), ProcessInstance.id)
        .limit(1)
    )
    if found is None:
        raise NotFound(f"case {business_key!r} not found in office {office!r}")
    return found


def active_case(office: Any, business_key: Any) -> Exists:
    """SQL test that the case (columns or values) has an instance still in progress."""
    return exists().where(
        ProcessInstance.office == office,
        ProcessInstance.business_key == business_key,
        ProcessInstance.status.in_(ACTIVE_STATUSES),
    )


def _ownership(session: Session, office: str, business_key: str) -> Ownership:
    row = session.get(CaseOwner, (office, business_key))
    return Ownership(
        office=office,
        business_key=business_key,
        owner=row.owner if row else None,
        assigned_at=row.assigned_at if row else None,
        assigned_by=row.assigned_by if row else None,
        active=bool(session.scalar(select(active_case(office, business_key)))),
    )


def _row(office: str, business_key: str, owner: str, by: str, now: datetime) -> CaseOwner:
    return CaseOwner(
        office=office, business_key=business_key, owner=owner, assigned_at=now, assigned_by=by
    )


def _audit(
    session: Session,
    office: str,
    business_key: str,
    instance_id: str,
    actor: str,
    now: datetime,
    *,
    owner: str | None,
    previous: str | None,
    reason: str,
) -> None:
    record(
        session,
        at=now,
        actor=actor,
        action="case.owner",
        instance_id=instance_id,
        office=office,
        business_key=business_key,
        owner=owner,
        previous=previous,
        reason=reason,
    )
