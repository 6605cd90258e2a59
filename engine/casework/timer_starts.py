"""When a timer start event fires: a new instance per firing, started in the firing's
transaction.

A process that starts on a timer has one schedule instance per office (`schedule:<process>:
<office>`, made at deploy by `commands._schedule_timer_start`) holding the start event's timer.
The scheduler claims its timer row like any other (FOR UPDATE … SKIP LOCKED), so each firing
is taken by exactly one worker; here the firing is consumed from the schedule and a fresh
instance of the same version starts in the same office, past its start event. Runs are keyed
`schedule:<process>:<office>:run:<when>` and, like the schedule, serve no client case.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from engine.audit import record
from engine.casework.commands import (
    SYSTEM_SCHEDULER,
    _drop_stuck_timers,
    _run,
    _save,
    _spec_by_id,
    create_instance,
)
from engine.casework.sync import unpack_state
from engine.services import Services
from engine.store.models import Definition, ProcessInstance, Timer
from engine.supervision.ownership import SCHEDULE_PREFIX

RUN_MARK = ":run:"


def is_schedule(instance: ProcessInstance) -> bool:
    key = instance.business_key
    return instance.case_id is None and key.startswith(SCHEDULE_PREFIX) and RUN_MARK not in key


def fire_schedule(
    svc: Services,
    session: Session,
    instance: ProcessInstance,
    due: list[Timer],
    now: datetime,
    actor: str,
) -> bool:
    """Consume the schedule's due firings and start one instance for each (locked schedule)."""
    outcome, fired = svc.runtime.take_start_firings(
        _spec_by_id(svc, session, instance.definition_id),
        unpack_state(instance.state),
        _run(svc, session, instance),
    )
    for timer in sorted(due, key=lambda t: t.due_at):
        record(
            session,
            at=now,
            actor=actor,
            action="timer.fire",
            instance_id=instance.id,
            task_id=timer.id,
            task_name=timer.task_name,
            due_at=timer.due_at.isoformat(),
        )
    _save(svc, session, instance, outcome, actor=actor, now=now)
    definition = session.get_one(Definition, instance.definition_id)
    starter = SYSTEM_SCHEDULER.with_name(actor)
    for number in range(fired):
        key = f"{instance.business_key}{RUN_MARK}{now.isoformat()}" + (
            f"#{number}" if number else ""
        )
        run_id = create_instance(
            svc,
            session,
            starter,
            definition,
            key,
            {},
            instance.office,
            case_id=None,
            fired_start=True,
        )
        record(
            session,
            at=now,
            actor=actor,
            action="instance.timer_start",
            instance_id=run_id,
            schedule_instance_id=instance.id,
        )
    _drop_stuck_timers(session, instance, {(t.id, t.due_at) for t in due}, now)
    return True
