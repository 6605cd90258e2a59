"""Where work meant for a person goes right now: to them, to their cover while they are away
(following covers who are away themselves), or back to the queue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from engine import policy
from engine.audit import record
from engine.store.models import Absence, AbsenceTask, CaseOwner, HumanTask
from engine.supervision.moves import SYSTEM_ACTOR
from engine.supervision.people import Staff, active_absence, hold_person, load_staff, task_problem


@dataclass(frozen=True)
class Destination:
    assignee: str | None
    # The absence that sent the work elsewhere (None: it went where it was meant to go).
    absence: Absence | None = None


class Router:
    """Resolves destinations; caches people and absences, so moving many tasks stays cheap.

    Each person's row is held (people.hold_person) before their absences are read, so an
    absence recorded meanwhile either committed before (and is seen) or waits for this
    transaction (and its own sweep then finds the task)."""

    def __init__(self, session: Session, now: datetime) -> None:
        self.session = session
        self.now = now
        self._staff: dict[str, Staff | None] = {}
        self._away: dict[str, Absence | None] = {}

    def staff(self, username: str) -> Staff | None:
        if username not in self._staff:
            self._staff[username] = load_staff(self.session, username)
        return self._staff[username]

    def absence(self, username: str) -> Absence | None:
        if username not in self._away:
            hold_person(self.session, username)
            self._away[username] = active_absence(self.session, username, self.now)
        return self._away[username]

    def destination(self, task: HumanTask, username: str) -> Destination:
        diverted: Absence | None = None
        current: str | None = username
        seen: set[str] = set()
        while current is not None and current not in seen:
            seen.add(current)
            if task_problem(task, self.staff(current), current) is not None:
                return Destination(None, diverted)
            away = self.absence(current)
            if away is None:
                return Destination(current, diverted)
            diverted = diverted or away
            current = away.cover
        return Destination(None, diverted)


def route_new_task(session: Session, task: HumanTask, *, actor: str, now: datetime) -> None:
    """Continuity of care: a new caseworker task of an owned case goes straight to the owner,
    or, while the owner is away, to the cover (or the queue when nobody covers)."""
    if task.queue != policy.CASE_QUEUE:
        return
    owner = session.get(CaseOwner, (task.office, task.business_key))
    if owner is None:
        return
    where = Router(session, now).destination(task, owner.owner)
    if where.assignee is None and where.absence is None:
        return  # the owner cannot take it (role, four eyes): it waits in the queue as usual
    task.assignee = where.assignee
    task.claimed_at = now if where.assignee else None
    task.claimed_by = SYSTEM_ACTOR if where.assignee else None
    record(
        session,
        at=now,
        actor=actor,
        action="task.route",
        instance_id=task.instance_id,
        task_id=task.id,
        assignee=where.assignee,
        owner=owner.owner,
        reason="absence" if where.absence else "owner",
        absence_id=where.absence.id if where.absence else None,
    )
    if where.absence is not None:
        session.flush()  # the task row first: the absence's record of it refers to it
        session.add(
            AbsenceTask(
                absence_id=where.absence.id, task_id=task.id, moved_to=where.assignee, moved_at=now
            )
        )
