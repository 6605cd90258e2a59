"""Who may take a task and who is away: the facts every assignment rule checks first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from engine.errors import Forbidden, Invalid, NotFound
from engine.identity.users import Principal
from engine.store.models import Absence, HumanTask, User, UserRole

CASEWORKER = "caseworker"
# Roles that are also queues people work from; a cover must share one with the absent worker.
QUEUE_ROLES = frozenset({"intake_worker", CASEWORKER, "supervisor"})


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


def task_problem(task: HumanTask, staff: Staff | None, username: str) -> str | None:
    """Why `username` cannot take this task, or None when they can (same rules as assign)."""
    if staff is None or not staff.active:
        return f"no active user {username!r}"
    if task.queue not in staff.roles:
        return f"{username} does not hold role {task.queue!r} for this queue"
    if staff.office != task.office and "admin" not in staff.roles:
        return f"{username} works in office {staff.office!r}, not {task.office!r}"
    if task.excluded_users and username in task.excluded_users.split(","):
        return f"four eyes: {username} completed an earlier step of this decision"
    return None


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


def refuse_absent(session: Session, username: str, now: datetime) -> None:
    """Work handed to someone who is away would sit untouched: refuse it, name the cover."""
    away = active_absence(session, username, now)
    if away is not None:
        cover = f"; their cover is {away.cover}" if away.cover else ""
        raise Invalid(f"{username} is away until {away.ends_at.isoformat()}{cover}", field="user")


def require_supervisor(principal: Principal) -> None:
    if not principal.has("supervisor", "admin"):
        raise Forbidden("only supervisors can do this")


def supervised_office(principal: Principal, office: str | None) -> str:
    """The office a supervisor acts on: their own; admins may name any (default: their own)."""
    require_supervisor(principal)
    if office is None or office == principal.office:
        return principal.office
    if not principal.is_admin:
        raise Forbidden("supervisors act on their own office only")
    return office


def reach_user(session: Session, principal: Principal, username: str) -> Staff:
    """The worker a request is about: themselves, or someone a supervisor of theirs manages."""
    staff = load_staff(session, username)
    visible = staff is not None and (
        principal.is_admin or principal.username == username or staff.office == principal.office
    )
    if staff is None or not visible:
        raise NotFound(f"user {username!r} not found")
    if principal.username != username:
        require_supervisor(principal)
    return staff
