"""Who may take a task and who is away: the facts every assignment rule checks first."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from engine import policy
from engine.errors import Forbidden, Invalid
from engine.identity.users import Principal
from engine.store.models import Absence, HumanTask, User, UserRole


@dataclass(frozen=True)
class Staff:
    username: str
    display_name: str
    office: str
    roles: frozenset[str]
    active: bool


_STAFF = (
    select(User.username, User.display_name, User.office, User.active, UserRole.role)
    .outerjoin(UserRole, UserRole.user_id == User.id)
    .where(User.username == bindparam("username"))
)


def load_staff(session: Session, username: str) -> Staff | None:
    """The user with their roles, in one statement (routing runs it inside commands)."""
    rows = session.execute(_STAFF, {"username": username}).all()
    if not rows:
        return None
    first = rows[0]
    roles = frozenset(row.role for row in rows if row.role is not None)
    return Staff(first.username, first.display_name, first.office, roles, first.active)


def holders_of(session: Session, queue: str) -> list[Staff]:
    """Active people holding the queue's role, in any office (with all their roles, so the
    policy can tell an admin from another office), by username."""
    holders = select(UserRole.user_id).where(UserRole.role == queue)
    found: dict[str, Staff] = {}
    for row in session.execute(
        select(User.username, User.display_name, User.office, User.active, UserRole.role)
        .join(UserRole, UserRole.user_id == User.id)
        .where(User.id.in_(holders), User.active.is_(True))
        .order_by(User.username)
    ):
        known = found.get(row.username)
        roles = (known.roles if known else frozenset()) | {row.role}
        found[row.username] = Staff(row.username, row.display_name, row.office, roles, row.active)
    return list(found.values())


def task_problem(task: HumanTask, staff: Staff | None, username: str) -> str | None:
    """Why `username` cannot take this task, or None when they can (the policy's rule)."""
    return policy.assignee_problem(task, staff, username)


_ACTIVE_ABSENCE = (
    select(Absence)
    .where(
        Absence.username == bindparam("username"),
        Absence.cancelled.is_(False),
        Absence.starts_at <= bindparam("now"),
        Absence.ends_at > bindparam("now"),
    )
    .order_by(Absence.starts_at.desc(), Absence.id.desc())
    .limit(1)
)


def active_absence(session: Session, username: str, now: datetime) -> Absence | None:
    return session.scalar(_ACTIVE_ABSENCE, {"username": username, "now": now})


def absent_among(session: Session, usernames: Collection[str], now: datetime) -> dict[str, Absence]:
    """Who of these people is away right now (one statement for a whole list)."""
    if not usernames:
        return {}
    rows = session.scalars(
        select(Absence)
        .where(
            Absence.username.in_(sorted(set(usernames))),
            Absence.cancelled.is_(False),
            Absence.starts_at <= now,
            Absence.ends_at > now,
        )
        .order_by(Absence.starts_at, Absence.id)
    )
    return {absence.username: absence for absence in rows}  # the latest start wins


# -- serializing routing with absences ------------------------------------------------------
# Whether someone is away is read, then acted on (a task lands on them). An absence being
# recorded at that moment is not yet visible, and its own sweep of their tasks has already run:
# the task would land on someone away. Both sides therefore lock the person's `app_user` row
# first, the absence exclusively and the readers shared, so one waits for the other to commit.
# Readers take FOR KEY SHARE: they never wait for each other, nor for an ordinary update of the
# row (a login), only for an absence being recorded. SQLite needs none of it: BEGIN IMMEDIATE
# already lets one writer in at a time.
_HOLD = select(User.id).where(User.username == bindparam("username"))


def hold_person(session: Session, username: str) -> None:
    """Keep the person's absences as they are until this transaction ends (readers' lock)."""
    session.execute(_HOLD.with_for_update(read=True, key_share=True), {"username": username})


def lock_people(session: Session, usernames: Collection[str]) -> None:
    """Take the people's rows exclusively, by username (one order everywhere, so two absences
    recorded at once, each naming the other's worker as cover, queue instead of deadlocking)."""
    names = sorted(set(usernames))
    if names:
        session.execute(
            select(User.id)
            .where(User.username.in_(names))
            .order_by(User.username)
            .with_for_update()
        )


def refuse_absent(session: Session, username: str, now: datetime) -> None:
    hold_person(session, username)
    problem = policy.absence_problem(username, active_absence(session, username, now))
    if problem is not None:
        raise Invalid(problem, field="user")


def require_supervisor(principal: Principal) -> None:
    if not policy.may(principal, policy.Action.SUPERVISE):
        raise Forbidden("only supervisors can do this")


def supervised_office(principal: Principal, office: str | None) -> str:
    """The office a supervisor acts on: their own; admins may name any (default: their own)."""
    require_supervisor(principal)
    if office is None or office == principal.office:
        return principal.office
    refusal = policy.office_refusal(principal, office)
    if refusal is not None:
        raise refusal
    return office


def reach_user(session: Session, principal: Principal, username: str) -> Staff:
    """The worker a request is about: themselves, or someone a supervisor of theirs manages."""
    staff = load_staff(session, username)
    refusal = policy.user_refusal(principal, username, staff)
    if refusal is not None:
        raise refusal
    assert staff is not None  # user_refusal answers NotFound when there is no such person
    return staff
