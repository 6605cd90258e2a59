"""Office closure days (beyond statutory holidays), kept in the database so supervisors can
add them from the API, the closures page or the CLI. Business-time deadlines skip them: a
closure added or removed moves the office's open deadlines it reaches, in the same
transaction (recompute.py); a dry run lists those moves and changes nothing."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.audit import record
from engine.deadlines.calendar import OfficeCalendar
from engine.deadlines.recompute import Move, recompute
from engine.errors import ClosureExists, ClosureNotFound
from engine.identity.users import Principal
from engine.store.models import OfficeClosure


@dataclass(frozen=True)
class ClosureChange:
    """A closure added or removed (or, in a dry run, that would be) and the deadlines it moves."""

    office: str
    day: date
    reason: str
    created_by: str | None
    dry_run: bool
    moves: list[Move] = field(default_factory=list)


def add_closure(
    session: Session,
    principal: Principal,
    office: str,
    day: date,
    reason: str,
    now: datetime,
    calendar: OfficeCalendar | None = None,
    *,
    dry_run: bool = False,
) -> ClosureChange:
    """`calendar`: the office's configured calendar (without its database closures)."""
    if session.get(OfficeClosure, (office, day)) is not None:
        raise ClosureExists(f"{office} is already closed on {day.isoformat()}")
    days = set(_days(session, office)) | {day}
    cause = f"closure {day.isoformat()}: {reason}"
    moves = _move(session, principal, office, day, days, calendar, now, cause, dry_run)
    if not dry_run:
        session.add(
            OfficeClosure(
                office=office, day=day, reason=reason, created_by=principal.username, created_at=now
            )
        )
        record(
            session,
            at=now,
            actor=principal.username,
            action="closure.add",
            office=office,
            day=day.isoformat(),
            reason=reason,
            moved=len(moves),
        )
    return ClosureChange(office, day, reason, principal.username, dry_run, moves)


def remove_closure(
    session: Session,
    principal: Principal,
    office: str,
    day: date,
    now: datetime,
    calendar: OfficeCalendar | None = None,
    *,
    dry_run: bool = False,
) -> ClosureChange:
    closure = session.get(OfficeClosure, (office, day))
    if closure is None:
        raise ClosureNotFound(f"{office} has no closure on {day.isoformat()}")
    reason, creator = closure.reason, closure.created_by
    days = set(_days(session, office)) - {day}
    cause = f"closure {day.isoformat()} removed: {reason}"
    moves = _move(session, principal, office, day, days, calendar, now, cause, dry_run)
    if not dry_run:
        session.delete(closure)
        record(
            session,
            at=now,
            actor=principal.username,
            action="closure.remove",
            office=office,
            day=day.isoformat(),
            moved=len(moves),
        )
    return ClosureChange(office, day, reason, creator, dry_run, moves)


def _move(
    session: Session,
    principal: Principal,
    office: str,
    day: date,
    days: set[date],
    calendar: OfficeCalendar | None,
    now: datetime,
    cause: str,
    dry_run: bool,
) -> list[Move]:
    base = calendar or OfficeCalendar(name=office)
    changed = dataclasses.replace(base, closures=base.closures | frozenset(days))
    return recompute(
        session,
        office,
        changed,
        now=now,
        cause=cause,
        actor=principal.username,
        dry_run=dry_run,
        near=day,
    )


def _days(session: Session, office: str) -> list[date]:
    return list(session.scalars(select(OfficeClosure.day).where(OfficeClosure.office == office)))


def list_closures(session: Session, office: str) -> list[OfficeClosure]:
    return list(
        session.scalars(
            select(OfficeClosure).where(OfficeClosure.office == office).order_by(OfficeClosure.day)
        )
    )


def closure_days(session: Session, office: str) -> Callable[[], list[date]]:
    """A loader of the office's closure days, for RunContext: it reads them only if called."""
    return lambda: _days(session, office)
