"""Four eyes with a fallback: a step that must be done by someone other than an earlier step's
author goes elsewhere when nobody else in the office may take it.

A small office has one supervisor; when that supervisor did the review, the approval could
before only be done by an IT admin. Now the office names where such steps go
(`office_setting`): a delegate (one named person), else the supervisors of a peer office.
Nobody configured: the step waits in its queue as before; it never goes to an admin by default.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from engine import policy
from engine.audit import record
from engine.errors import Forbidden, Invalid, NotFound
from engine.identity.users import Principal
from engine.store.models import HumanTask, OfficeSetting
from engine.supervision.moves import SYSTEM_ACTOR
from engine.supervision.people import Staff, active_absence, holders_of, load_staff


@dataclass(frozen=True)
class Fallback:
    office: str
    peer_office: str | None
    delegate: str | None


def read_fallback(session: Session, office: str) -> Fallback:
    row = session.get(OfficeSetting, office)
    if row is None:
        return Fallback(office, None, None)
    return Fallback(office, row.four_eyes_peer_office, row.four_eyes_delegate)


def set_fallback(
    session: Session,
    principal: Principal,
    office: str,
    peer_office: str | None,
    delegate: str | None,
    now: datetime,
) -> Fallback:
    """A supervisor of the office (or an admin) names the peer office and/or the delegate."""
    if not policy.supervises_office(principal, office):
        raise Forbidden("only a supervisor of this office sets where four-eyes steps go")
    if peer_office is not None and peer_office == office:
        raise Invalid("the peer office must be another office", field="peer_office")
    if delegate is not None:
        staff = load_staff(session, delegate)
        if staff is None or not staff.active:
            raise Invalid(f"no active user {delegate!r}", field="delegate")
    row = session.get(OfficeSetting, office, with_for_update=True)
    if row is None:
        row = OfficeSetting(office=office, updated_by=principal.username, updated_at=now)
        session.add(row)
    row.four_eyes_peer_office, row.four_eyes_delegate = peer_office, delegate
    row.updated_by, row.updated_at = principal.username, now
    record(
        session,
        at=now,
        actor=principal.username,
        action="office.four_eyes_fallback",
        office=office,
        peer_office=peer_office,
        delegate=delegate,
    )
    return Fallback(office, peer_office, delegate)


def route_four_eyes(session: Session, task: HumanTask, *, actor: str, now: datetime) -> None:
    """A new four-eyes task nobody in its office may take goes to the office's fallback."""
    if not task.excluded_users or task.assignee is not None:
        return
    if _can_take(
        session, task, now, [s for s in holders_of(session, task.queue) if s.office == task.office]
    ):
        return
    target = _fallback_person(session, task, now, read_fallback(session, task.office))
    if target is None:
        return
    task.assignee, task.claimed_at, task.claimed_by = target, now, SYSTEM_ACTOR
    record(
        session,
        at=now,
        actor=actor,
        action="task.route",
        instance_id=task.instance_id,
        task_id=task.id,
        assignee=target,
        reason="four_eyes_fallback",
    )


def _fallback_person(
    session: Session, task: HumanTask, now: datetime, fallback: Fallback
) -> str | None:
    if fallback.delegate is not None:
        staff = load_staff(session, fallback.delegate)
        if staff is not None and _eligible(session, task, now, staff):
            return staff.username
    if fallback.peer_office is not None:
        peers = [s for s in holders_of(session, task.queue) if s.office == fallback.peer_office]
        chosen = _can_take(session, task, now, peers)
        return chosen.username if chosen else None
    return None


def _can_take(
    session: Session, task: HumanTask, now: datetime, people: list[Staff]
) -> Staff | None:
    """The first of `people` (by username) who may take the task now, or None."""
    return next((s for s in people if _eligible(session, task, now, s)), None)


def _eligible(session: Session, task: HumanTask, now: datetime, staff: Staff) -> bool:
    if not staff.active or not policy.holds_queue(staff.roles, task.queue):
        return False
    if policy.is_admin_only(staff.roles):
        return False  # an IT admin is never the second pair of eyes by default
    if policy.four_eyes_excluded(task, staff.username):
        return False
    return active_absence(session, staff.username, now) is None


def require_office(session: Session, principal: Principal, office: str) -> None:
    if not policy.reaches_office(principal, office):
        raise NotFound(f"office {office!r} not found")
