"""Office closure days (beyond statutory holidays), kept in the database so supervisors can
add them from the API or CLI; business-time deadlines skip them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.audit import record
from engine.errors import ClosureExists, ClosureNotFound
from engine.identity.users import Principal
from engine.store.models import OfficeClosure


def add_closure(
    session: Session, principal: Principal, office: str, day: date, reason: str, now: datetime
) -> OfficeClosure:
    if session.get(OfficeClosure, (office, day)) is not None:
        raise ClosureExists(f"{office} is already closed on {day.isoformat()}")
    closure = OfficeClosure(
        office=office, day=day, reason=reason, created_by=principal.username, created_at=now
    )
    session.add(closure)
    record(
        session,
        at=now,
        actor=principal.username,
        action="closure.add",
        office=office,
        day=day.isoformat(),
        reason=reason,
    )
    return closure


def remove_closure(
    session: Session, principal: Principal, office: str, day: date, now: datetime
) -> None:
    closure = session.get(OfficeClosure, (office, day))
    if closure is None:
        raise ClosureNotFound(f"{office} has no closure on {day.isoformat()}")
    session.delete(closure)
    record(
        session,
        at=now,
        actor=principal.username,
        action="closure.remove",
        office=office,
        day=day.isoformat(),
    )


def list_closures(session: Session, office: str) -> list[OfficeClosure]:
    return list(
        session.scalars(
            select(OfficeClosure).where(OfficeClosure.office == office).order_by(OfficeClosure.day)
        )
    )


def closure_days(session: Session, office: str) -> Callable[[], list[date]]:
    """A loader of the office's closure days, for RunContext: it reads them only if called."""
    return lambda: list(
        session.scalars(select(OfficeClosure.day).where(OfficeClosure.office == office))
    )
