"""Every state change is one command, one transaction: lock → load → run → save → commit.

If anything fails before commit, nothing is written. The instance row is locked (FOR UPDATE on
PostgreSQL, BEGIN IMMEDIATE on SQLite) and carries a version column as the portable guard.
"""

from __future__ import annotations

import copy
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, bindparam, delete, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from engine import errors, policy
from engine.audit import record
from engine.cases import records as case_records
from engine.casework import outcomes, queues
from engine.casework.external_sync import reset_exhausted
from engine.casework.sync import apply_outcome, unpack_state
from engine.casework.visibility import can_view_instance
from engine.casework.work_queues import known_keys
from engine.deadlines.closures import closure_days
from engine.deadlines.tracking import stored_dues
from engine.definitions.compile import CompileOptions, SourceFile, compile_bundle, split_uploads
from engine.definitions.deploy import Deployed, definition_version, deploy, latest_definition
from engine.definitions.forms import EMPTY_FORM, FormSource, validate_submission
from engine.errors import Conflict, Forbidden, Invalid, NotFound
from engine.identity.users import Principal
from engine.runtime import LoadedSpec, Outcome, RunContext
from engine.runtime.engine import canonical_correlation
from engine.runtime.timing import message_start_names, starts_on_a_timer
from engine.services import CachedForm, Services
from engine.statuses import ClosedReason, InstanceStatus
from engine.store.db import transaction
from engine.store.models import (
    Case,
    Definition,
    DefinitionForm,
    HumanTask,
    Incident,
    MessageWait,
    ProcessInstance,
    TaskDraft,
    Timer,
    User,
)

log = logging.getLogger(__name__)

SYSTEM_SCHEDULER = Principal("scheduler", "default", frozenset({policy.Role.SYSTEM.value}))
SYSTEM_MESSENGER = Principal("messages", "*", frozenset({policy.Role.SYSTEM.value}))


@dataclass(frozen=True)
class StartRequest:
    process_id: str
    business_key: str
    data: dict[str, Any]
    version: int | None = None


# -- deploy -----------------------------------------------------------------------------------


def deploy_files(svc: Services, principal: Principal, files: list[SourceFile]) -> list[Deployed]:
    if not policy.may(principal, policy.Action.DESIGN):
        raise Forbidden("only designers can deploy definitions")
    diagrams, uploaded_forms = split_uploads(files)
    compiled = compile_bundle(
        diagrams,
        FormSource(svc.settings.forms_dir, uploaded_forms),
        svc.registry,
        compile_options(svc),
    )
    try:
        with transaction(svc.sessions) as session:
            deployed = deploy(session, compiled, actor=principal.username, now=svc.clock.now())
            for item in deployed:
                if item.created:
                    _schedule_timer_start(svc, session, item)
            return deployed
    except IntegrityError as exc:
        raise Conflict("another deploy of the same process finished first; try again") from exc


def compile_options(svc: Services) -> CompileOptions:
    """The deploy's routing settings, with the queues that exist now (for unknown-queue
    warnings)."""
    with svc.readers() as session:
        known = known_keys(session)
    return CompileOptions(
        default_queue=svc.settings.default_queue,
        known_queues=known,
        manual_tasks=svc.settings.manual_tasks,
    )


def _schedule_timer_start(svc: Services, session: Session, item: Deployed) -> None:
    """A process that starts on a timer gets one waiting instance per office for each deployed
    version (so each office's staff see their own tasks); the previous version's schedules are
    stopped so the two do not both fire."""
    definition = session.get_one(Definition, item.definition_id)
    spec = _spec(svc, definition)
    if not starts_on_a_timer(spec.spec):
        return
    now = svc.clock.now()
    for old in session.scalars(
        select(ProcessInstance).where(
            ProcessInstance.process_id == item.process_id,
            ProcessInstance.business_key.like(f"schedule:{item.process_id}:%"),
            ProcessInstance.business_key.not_like("%:run:%"),  # runs finish on their own
            ProcessInstance.status.in_([InstanceStatus.WAITING, InstanceStatus.RUNNING]),
        )
    ):
        old_definition = session.get_one(Definition, old.definition_id)
        outcome = svc.runtime.terminate(
            _spec(svc, old_definition), unpack_state(old.state), _run(svc, session, old)
        )
        _save(svc, session, old, outcome, actor="scheduler", now=now)
    offices = sorted(set(session.scalars(select(User.office))) - {"*"}) or ["default"]
    for office in offices:
        key = f"schedule:{item.process_id}:{office}"
        create_instance(svc, session, SYSTEM_SCHEDULER, definition, key, {}, office, case_id=None)


# -- instances --------------------------------------------------------------------------------


def start_instance(svc: Services, principal: Principal, request: StartRequest) -> str:
    """Start a process on the case of `business_key` in the caller's office (made if new).

    The data must satisfy the process's start form; a closed case, or one already running this
    process, is a Conflict. Nothing is written unless the start succeeds.
    """
    if not policy.may(principal, policy.Action.START_INSTANCE):
        raise Forbidden("only caseworkers, intake workers and supervisors start cases")
    if not request.business_key.strip():
        raise Invalid("business_key must not be empty", field="business_key")
    now = svc.clock.now()
    with transaction(svc.sessions) as session:
        definition = _definition(session, request.process_id, request.version)
        require_started_by_hand(svc, definition)
        validate_start_data(svc, session, definition, request.data)
        office = principal.office if principal.office != "*" else "default"
        case, created = case_records.for_business_key(
            session, office, request.business_key, request.data, actor=principal.username, now=now
        )
        case_records.check_startable(session, case, definition.process_id)
        instance_id = create_instance(
            svc,
            session,
            principal,
            definition,
            request.business_key,
            request.data,
            office,
            case_id=case.id,
        )
        if created:
            record_case_open(session, case, instance_id, principal.username, now)
        return instance_id


def record_case_open(
    session: Session, case: Case, instance_id: str, actor: str, now: datetime
) -> None:
    """Recorded after the first instance's start, so a keyed request's audited action is the
    start (idempotency answers again from that instance)."""
    record(
        session,
        at=now,
        actor=actor,
        action="case.open",
        instance_id=instance_id,
        case_id=case.id,
        case_key=case.key,
        office=case.office,
    )


def require_started_by_hand(svc: Services, definition: Definition) -> None:
    """A process that starts on a message is started by that message, never by a person: an
    instance started by hand would wait for it forever."""
    names = message_start_names(_spec(svc, definition).spec)
    if names:
        raise Conflict(
            f"{definition.process_id!r} starts when message {sorted(names)[0]!r} arrives; "
            "it cannot be started by hand"
        )


def validate_start_data(
    svc: Services, session: Session, definition: Definition, data: dict[str, Any]
) -> None:
    """FormInvalid (422, one error per field) when `data` does not satisfy the start form."""
    if definition.start_form_key:
        validate_submission(
            form_schema(session, definition.id, definition.start_form_key, svc), data
        )


def create_instance(
    svc: Services,
    session: Session,
    principal: Principal,
    definition: Definition,
    business_key: str,
    data: dict[str, Any],
    office: str,
    depth: int = 0,
    *,
    case_id: int | None,
    fired_start: bool = False,
    message: str | None = None,
) -> str:
    """Run a new instance until it waits and save it; `case_id` is None only for timer-started
    schedules and their runs, which serve no client. `fired_start`: a run of a timer start
    event that just fired (engine.casework.timer_starts). With `message`, the start event that
    awaits it catches it (the data is the message's payload)."""
    now = svc.clock.now()
    instance_id = str(uuid.uuid4())
    run = RunContext(instance_id, business_key, office, closures=closure_days(session, office))
    if message is not None:
        outcome = svc.runtime.start_on_message(_spec(svc, definition), message, data, run)
    else:
        starter = svc.runtime.start_fired if fired_start else svc.runtime.start
        outcome = starter(_spec(svc, definition), data, run)
    instance = ProcessInstance(
        id=instance_id,
        definition_id=definition.id,
        process_id=definition.process_id,
        version=definition.version,
        business_key=business_key,
        office=office,
        case_id=case_id,
        status=InstanceStatus.RUNNING,
        state=b"",
        data_json="{}",
        started_by=principal.username,
        created_at=now,
        updated_at=now,
    )
    session.add(instance)
    session.flush()
    record(
        session,
        at=now,
        actor=principal.username,
        action="instance.start",
        instance_id=instance_id,
        case_id=case_id,
        process_id=definition.process_id,
        version=definition.version,
        business_key=business_key,
    )
    _save(
        svc, session, instance, outcome, actor=principal.username, now=now, depth=depth, fresh=True
    )
    return instance_id


def complete_task(
    svc: Services,
    principal: Principal,
    task_id: str,
    data: dict[str, Any],
    *,
    acting_for: ActingFor | None = None,
) -> tuple[HumanTask, ProcessInstance]:
    """Complete (claiming first if unclaimed); returns the closed task and its instance.

    Deadlines that passed fire first, in their own transaction, so a task escalated at its
    deadline cannot be completed after it. The usual case (nothing due) finds that out under the
    instance lock in the command's own transaction: one connection and one lock per completion.
    """
    submitted = copy.deepcopy(data)
    for may_fire in (True, False):
        try:
            return _complete_locked(svc, principal, task_id, submitted, may_fire, acting_for)
        except _TimersDue as due:
            fire_due_timers(svc, due.instance_id)
    raise AssertionError("unreachable: the second pass never raises _TimersDue")


ActingFor = Callable[[Session, HumanTask, datetime, dict[str, Any]], Principal]
"""Run under the instance lock, in the completion's transaction, before any check: it may take
the task over for someone outside the staff (a client's self-service link), add to the submitted
data (the names of files it stored), and returns who acts. Whatever it changes commits or rolls
back with the completion."""


class _TimersDue(Exception):
    """Raised under the lock to roll back and fire an instance's due timers first."""

    def __init__(self, instance_id: str) -> None:
        super().__init__(instance_id)
        self.instance_id = instance_id


def _complete_locked(
    svc: Services,
    principal: Principal,
    task_id: str,
    submitted: Any,
    may_fire: bool,
    acting_for: ActingFor | None = None,
) -> tuple[HumanTask, ProcessInstance]:
    now = svc.clock.now()
    with _guarded(svc) as session:
        locked = _lock_instance_of_task(session, task_id, now)
        instance, task = locked.instance, locked.task
        if acting_for is not None:
            principal = acting_for(session, task, now, submitted)
        if not policy.may_see_task(principal, task):
            raise errors.TaskNotVisible(f"task {task_id} not found")
        if locked.timers_due and may_fire:
            raise _TimersDue(instance.id)
        if task.closed_reason == ClosedReason.ESCALATED:
            raise Conflict("the task's deadline passed and it was escalated; it can't be completed")
        refusal = policy.complete_refusal(principal, task)
        if refusal is not None:
            raise refusal
        if task.assignee is None:
            queues.claim(session, principal, task, now)
        schema = form_schema(session, instance.definition_id, task.form_key, svc)
        validate_submission(schema, submitted, today=office_today(svc, instance.office, now))
        # the case data is parsed only for forms that declare outcomes (most do not)
        seen = json.loads(instance.data_json) if outcomes.declared(schema) else {}
        outcome_rows = outcomes.extract(schema, submitted, seen)
        outcome = svc.runtime.complete_task(
            _spec_by_id(svc, session, instance.definition_id),
            unpack_state(instance.state),
            task.id,
            submitted,
            _run(svc, session, instance),
        )
        record(
            session,
            at=now,
            actor=principal.username,
            action="task.complete",
            instance_id=instance.id,
            task_id=task.id,
            task_name=task.task_name,
        )
        _save(
            svc,
            session,
            instance,
            outcome,
            actor=principal.username,
            now=now,
            completed_task_id=task.id,
            submitted=submitted,
            no_timers=not locked.has_timers,
            no_waits=not locked.has_waits,
        )
        session.execute(delete(TaskDraft).where(TaskDraft.task_id == task.id))
        if outcome_rows:
            outcomes.add_rows(
                session,
                outcome_rows,
                office=instance.office,
                case_key=instance.business_key,
                case_id=instance.case_id,
                instance_id=instance.id,
                task_id=task.id,
                actor=principal.username,
                now=now,
                zone=ZoneInfo(svc.runtime.calendar_for(instance.office).timezone),
            )
        return task, instance


def office_today(svc: Services, office: str, now: datetime) -> date:
    """Today in the office's zone: the bound for `x-not-future` dates in forms."""
    return now.astimezone(ZoneInfo(svc.runtime.calendar_for(office).timezone)).date()


@dataclass(frozen=True)
class _LockedTask:
    instance: ProcessInstance
    task: HumanTask
    timers_due: bool
    # Whether the instance has timer / message-wait rows: when it has none, saving the outcome
    # need not read them to compare.
    has_timers: bool
    has_waits: bool


def _lock_of_task_statement() -> Select[ProcessInstance, HumanTask, bool, bool, bool]:
    of_instance = Timer.instance_id == ProcessInstance.id
    return (
        select(
            ProcessInstance,
            HumanTask,
            exists().where(of_instance, Timer.due_at <= bindparam("now")).label("timers_due"),
            exists().where(of_instance).label("has_timers"),
            exists().where(MessageWait.instance_id == ProcessInstance.id).label("has_waits"),
        )
        .join(HumanTask, HumanTask.instance_id == ProcessInstance.id)
        .where(HumanTask.id == bindparam("task_id"))
        .with_for_update(of=ProcessInstance)
        .execution_options(populate_existing=True)
    )


# Built once (it runs on every completion; composing it costs more than running it).
_LOCK_OF_TASK = _lock_of_task_statement()


def _lock_instance_of_task(session: Session, task_id: str, now: datetime) -> _LockedTask:
    """Lock the instance a task belongs to and load the task, with what the instance's timer and
    wait rows hold, in one statement; an unknown task is the same 404 as one the caller may
    not see."""
    found = session.execute(_LOCK_OF_TASK, {"task_id": task_id, "now": now}).one_or_none()
    if found is None:
        raise errors.TaskNotVisible(f"task {task_id} not found")
    instance, task, timers_due, has_timers, has_waits = found
    return _LockedTask(instance, task, bool(timers_due), bool(has_timers), bool(has_waits))


def deliver_message(
    svc: Services, principal: Principal, instance_id: str, name: str, payload: Any
) -> None:
    fire_due_timers(svc, instance_id)
    now = svc.clock.now()
    with _guarded(svc) as session:
        instance = _lock_instance(session, instance_id)
        if not can_view_instance(session, principal, instance):
            raise NotFound(f"instance {instance_id} not found")
        if not policy.may(principal, policy.Action.MESSAGE_INSTANCE):
            raise Forbidden("you cannot send messages to cases")
        outcome = svc.runtime.deliver_message(
            _spec_by_id(svc, session, instance.definition_id),
            unpack_state(instance.state),
            name,
            payload,
            _run(svc, session, instance),
        )
        record(
            session,
            at=now,
            actor=principal.username,
            action="message.deliver",
            instance_id=instance.id,
            message=name,
        )
        _save(svc, session, instance, outcome, actor=principal.username, now=now)


def deliver_correlated_message(
    svc: Services, principal: Principal, name: str, correlation: dict[str, Any], payload: Any
) -> str:
    """Route a partner's message to the one instance waiting for it with that correlation.

    The lookup reads the indexed message_wait rows; no workflow is loaded to find the target.
    """
    if not policy.may(principal, policy.Action.SEND_MESSAGE):
        raise Forbidden("you cannot send messages")
    if not correlation:
        raise Invalid("give at least one correlation key", field="correlation")
    key = canonical_correlation(correlation)
    with svc.readers() as session:
        query = select(MessageWait.instance_id).where(
            MessageWait.message_name == name, MessageWait.correlation == key
        )
        office = policy.correlation_office(principal)
        if office is not None:
            query = query.join(ProcessInstance, ProcessInstance.id == MessageWait.instance_id)
            query = query.where(ProcessInstance.office == office)
        targets = sorted(set(session.scalars(query)))
    if not targets:
        raise NotFound(f"no case is waiting for message {name!r} with that correlation")
    if len(targets) > 1:
        raise Conflict(f"{len(targets)} cases wait for message {name!r} with that correlation")
    deliver_message(svc, SYSTEM_MESSENGER.with_name(principal.username), targets[0], name, payload)
    return targets[0]


def retry_instance(svc: Services, principal: Principal, instance_id: str) -> None:
    """Run a failed step again once its cause is fixed; open incidents are marked resolved."""
    now = svc.clock.now()
    with _guarded(svc) as session:
        instance = _lock_instance(session, instance_id)
        if not can_view_instance(session, principal, instance):
            raise NotFound(f"instance {instance_id} not found")
        if not policy.may(principal, policy.Action.RETRY_INSTANCE):
            raise Forbidden("you cannot retry cases")
        if instance.status != InstanceStatus.ERROR:
            if not reset_exhausted(session, instance, principal.username, now):
                raise Conflict(f"instance is {instance.status}, not in error")
            _resolve_incidents(session, instance, principal, now)  # external tasks fetched again
            record(session, at=now, actor=principal.username, action="instance.retry",
                   instance_id=instance.id)  # fmt: skip
            return
        outcome = svc.runtime.retry(
            _spec_by_id(svc, session, instance.definition_id),
            unpack_state(instance.state),
            _run(svc, session, instance),
        )
        _resolve_incidents(session, instance, principal, now)
        record(
            session,
            at=now,
            actor=principal.username,
            action="instance.retry",
            instance_id=instance.id,
        )
        _save(svc, session, instance, outcome, actor=principal.username, now=now)


def _resolve_incidents(
    session: Session, instance: ProcessInstance, principal: Principal, now: datetime
) -> None:
    for incident in session.scalars(
        select(Incident).where(Incident.instance_id == instance.id, Incident.resolved_at.is_(None))
    ):
        incident.resolved_at = now
        incident.resolved_by = principal.username


def patch_instance_data(
    svc: Services, principal: Principal, instance_id: str, data: dict[str, Any]
) -> None:
    """A supervisor fixes the data a failed step needs (then retries it): merged into the failed
    step's data, checked against that step's form when it has one, audited with the field
    names (never the values: they are the client's)."""
    now = svc.clock.now()
    with _guarded(svc) as session:
        instance = _lock_instance(session, instance_id)
        if not can_view_instance(session, principal, instance):
            raise NotFound(f"instance {instance_id} not found")
        if not policy.may_fix_case_data(principal):
            raise Forbidden("only supervisors fix case data")
        if instance.status != InstanceStatus.ERROR:
            raise Conflict(f"instance is {instance.status}, not in error")
        spec = _spec_by_id(svc, session, instance.definition_id)
        state, run = unpack_state(instance.state), _run(svc, session, instance)
        schema = _failing_step_form(svc, session, instance)
        if schema is not None:
            merged = {**svc.runtime.failed_data(spec, state, run), **data}
            known = schema.get("properties", {})
            validate_submission(schema, {k: v for k, v in merged.items() if k in known})
        outcome = svc.runtime.patch_failed_data(spec, state, data, run)
        record(
            session,
            at=now,
            actor=principal.username,
            action="instance.data_fix",
            instance_id=instance.id,
            case_id=instance.case_id,
            fields=sorted(data),
        )
        _save(svc, session, instance, outcome, actor=principal.username, now=now)


@dataclass(frozen=True)
class FailedStep:
    """What a supervisor needs to correct a failed step: its form (None when the step has
    none, e.g. a service task) and the data it ran with."""

    instance: ProcessInstance
    form: CachedForm | None
    data: dict[str, Any]


def failed_step(svc: Services, principal: Principal, instance_id: str) -> FailedStep:
    """Read-only: the same visibility and role rules as `patch_instance_data`, so a page
    offers the editor exactly when the fix would be accepted."""
    with svc.readers() as session:
        instance = session.get(ProcessInstance, instance_id)
        if instance is None or not can_view_instance(session, principal, instance):
            raise NotFound(f"instance {instance_id} not found")
        if not policy.may_fix_case_data(principal):
            raise Forbidden("only supervisors fix case data")
        if instance.status != InstanceStatus.ERROR:
            raise Conflict(f"instance is {instance.status}, not in error")
        spec = _spec_by_id(svc, session, instance.definition_id)
        run = _run(svc, session, instance)
        data = svc.runtime.failed_data(spec, unpack_state(instance.state), run)
        task_id = session.scalar(
            select(Incident.task_id)
            .where(Incident.instance_id == instance.id, Incident.resolved_at.is_(None))
            .order_by(Incident.id.desc())
            .limit(1)
        )
        task = session.get(HumanTask, task_id) if task_id else None
        form = task_form(session, instance.definition_id, task.form_key, svc) if task else None
        return FailedStep(instance, form, data)


def _failing_step_form(
    svc: Services, session: Session, instance: ProcessInstance
) -> dict[str, Any] | None:
    """The form of the step an open incident names, when that step is a human task."""
    task_id = session.scalar(
        select(Incident.task_id)
        .where(Incident.instance_id == instance.id, Incident.resolved_at.is_(None))
        .order_by(Incident.id.desc())
        .limit(1)
    )
    task = session.get(HumanTask, task_id) if task_id else None
    if task is None or not task.form_key:
        return None
    return form_schema(session, instance.definition_id, task.form_key, svc)


def fire_due_timers(svc: Services, instance_id: str, *, actor: str = "scheduler") -> bool:
    """Fire one instance's due timers in one transaction; False if nothing was due or another
    worker holds the instance (SKIP LOCKED: that worker is firing them)."""
    now = svc.clock.now()
    with svc.readers() as session:  # the common case: nothing due, so no lock and no commit
        if not _has_due_timer(session, instance_id, now):
            return False
    with _guarded(svc) as session:
        instance = session.scalar(
            select(ProcessInstance)
            .where(ProcessInstance.id == instance_id)
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        )
        return instance is not None and _fire_locked(svc, session, instance, now, actor)


def _has_due_timer(session: Session, instance_id: str, now: datetime) -> bool:
    found = session.scalar(
        select(Timer.id).where(Timer.instance_id == instance_id, Timer.due_at <= now).limit(1)
    )
    return found is not None


@dataclass(frozen=True)
class FiredBatch:
    """What one claim of due timers did: how many instances it locked, how many fired, and
    which failed (rolled back to their savepoint, left due; the caller skips them)."""

    claimed: int
    fired: int
    failed: tuple[str, ...] = ()


def fire_due_batch(
    svc: Services, *, limit: int, skip: frozenset[str] = frozenset(), actor: str = "scheduler"
) -> FiredBatch:
    """Claim up to `limit` instances with due timers that no other worker holds, earliest due
    first, in one statement, and fire each in its own savepoint; one commit for the batch.

    The claim is FOR UPDATE OF process_instance SKIP LOCKED (PostgreSQL): concurrent workers
    each lock different instances, and the locks hold until the batch commits, so no timer
    fires twice; a worker killed mid-batch rolls the whole batch back, leaving it due for the
    next one. On SQLite the transaction's BEGIN IMMEDIATE makes the worker the only writer.
    One statement and one commit per batch instead of per instance is what lets workers scale.
    """
    now = svc.clock.now()
    claim = (
        select(ProcessInstance)
        .join(Timer, Timer.instance_id == ProcessInstance.id)
        .where(Timer.due_at <= now)
        .order_by(Timer.due_at, Timer.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=ProcessInstance)
        .execution_options(populate_existing=True)
    )
    if skip:
        claim = claim.where(ProcessInstance.id.not_in(sorted(skip)))
    fired, failed = 0, []
    with _guarded(svc) as session:
        instances = list({i.id: i for i in session.scalars(claim)}.values())
        for instance in instances:
            try:
                with session.begin_nested():
                    fired += int(_fire_locked(svc, session, instance, now, actor))
            except Exception:  # one broken instance must not stop (or undo) the others
                log.exception("firing the timers of instance %s failed", instance.id)
                failed.append(instance.id)
    return FiredBatch(len(instances), fired, tuple(failed))


def _fire_locked(
    svc: Services, session: Session, instance: ProcessInstance, now: datetime, actor: str
) -> bool:
    due = session.scalars(
        select(Timer).where(Timer.instance_id == instance.id, Timer.due_at <= now)
    ).all()
    if not due:
        return False
    from engine.casework import timer_starts  # noqa: PLC0415 - it builds on this module

    if timer_starts.is_schedule(instance):
        return timer_starts.fire_schedule(svc, session, instance, list(due), now, actor)
    outcome = svc.runtime.fire_timers(
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
    _drop_stuck_timers(session, instance, {(t.id, t.due_at) for t in due}, now)
    return True


def _drop_stuck_timers(
    session: Session, instance: ProcessInstance, before: set[tuple[str, datetime]], now: datetime
) -> None:
    """A timer that is still due, unchanged, after firing would be claimed again forever and
    starve every later timer: remove it and open an incident instead."""
    session.flush()
    for timer in session.scalars(
        select(Timer).where(Timer.instance_id == instance.id, Timer.due_at <= now)
    ).all():
        if (timer.id, timer.due_at) in before:
            message = f"timer {timer.task_name} did not advance after firing; it was stopped"
            session.add(
                Incident(
                    instance_id=instance.id,
                    task_id=timer.id,
                    task_name=timer.task_name,
                    kind="timer",
                    message=message,
                    created_at=now,
                )
            )
            session.delete(timer)


MAX_START_DEPTH = 5


def _save(
    svc: Services,
    session: Session,
    instance: ProcessInstance,
    outcome: Outcome,
    *,
    actor: str,
    now: datetime,
    depth: int = 0,
    **kwargs: Any,
) -> None:
    """Write the outcome, then start the processes its handlers asked for and close the case
    when one asked for it (same transaction)."""
    apply_outcome(session, instance, outcome, actor=actor, now=now, **kwargs)
    if outcome.closes and outcome.incident is None and instance.case_id is not None:
        from engine.cases.closing import close_from_process  # closing builds on this module

        close_from_process(svc, session, instance, outcome.closes[-1], actor=actor, now=now)
    for start in outcome.starts:
        problem = None
        definition = latest_definition(session, start.process_id)
        if definition is None:
            problem = f"cannot start {start.process_id!r}: it is not deployed"
        elif depth >= MAX_START_DEPTH:
            problem = f"cannot start {start.process_id!r}: processes nest deeper than {depth}"
        if problem is not None:
            session.add(
                Incident(instance_id=instance.id, kind="start", message=problem, created_at=now)
            )
            instance.status = InstanceStatus.ERROR
            continue
        assert definition is not None  # checked above; narrows the type for the call below
        starter = Principal(actor, instance.office, frozenset({policy.Role.SYSTEM.value}))
        child = create_instance(  # the child joins its parent's case, whatever its key
            svc,
            session,
            starter,
            definition,
            start.business_key,
            dict(start.data),
            instance.office,
            depth + 1,
            case_id=instance.case_id,
        )
        record(
            session,
            at=now,
            actor=actor,
            action="instance.spawn",
            instance_id=instance.id,
            child_instance_id=child,
            process_id=start.process_id,
        )
    if outcome.thrown:  # messages and signals for other cases (or partners)
        from engine.casework.thrown_messages import deliver_thrown  # noqa: PLC0415

        deliver_thrown(svc, session, instance, outcome.thrown, actor=actor, now=now, depth=depth)


def terminate_locked(
    svc: Services, session: Session, instance: ProcessInstance, *, actor: str, now: datetime
) -> None:
    """Stop a locked, unfinished instance for good: its open tasks are cancelled and its timers
    and message waits dropped, through the runtime like any other command."""
    outcome = svc.runtime.terminate(
        _spec_by_id(svc, session, instance.definition_id),
        unpack_state(instance.state),
        _run(svc, session, instance),
    )
    _save(svc, session, instance, outcome, actor=actor, now=now)


def lock_instance(session: Session, instance_id: str) -> ProcessInstance:
    return _lock_instance(session, instance_id)


# -- helpers ----------------------------------------------------------------------------------


def form_schema(
    session: Session, definition_id: int, form_key: str | None, svc: Services | None = None
) -> dict[str, Any]:
    form = task_form(session, definition_id, form_key, svc)
    return form.schema if form is not None else EMPTY_FORM


def task_form(
    session: Session, definition_id: int, form_key: str | None, svc: Services | None = None
) -> CachedForm | None:
    """The form snapshot of a definition version (cached per process when `svc` is given)."""
    if not form_key:
        return None

    def load() -> CachedForm | None:
        row = session.get(DefinitionForm, (definition_id, form_key))
        if row is None:
            return None
        ui = json.loads(row.ui_schema_json) if row.ui_schema_json else None
        return CachedForm(json.loads(row.schema_json), ui)

    return svc.forms.get(definition_id, form_key, load) if svc is not None else load()


def find_definition(session: Session, process_id: str, version: int | None) -> Definition:
    return _definition(session, process_id, version)


def _definition(session: Session, process_id: str, version: int | None) -> Definition:
    if version is None:
        found = latest_definition(session, process_id)
    else:
        found = definition_version(session, process_id, version)
    if found is None:
        raise NotFound(f"no deployed process {process_id!r}" + (f" v{version}" if version else ""))
    return found


def _run(svc: Services, session: Session, instance: ProcessInstance) -> RunContext:
    return RunContext(
        instance.id,
        instance.business_key,
        instance.office,
        closures=closure_days(session, instance.office),
        deadlines=stored_dues(session, instance.id),
    )


def _spec(svc: Services, definition: Definition) -> LoadedSpec:
    return svc.specs.get(definition.id, definition.spec_json)


def _spec_by_id(svc: Services, session: Session, definition_id: int) -> LoadedSpec:
    """The parsed spec without reading the definition row when it is cached (the usual case)."""
    return svc.specs.get(
        definition_id,
        lambda: session.scalars(
            select(Definition.spec_json).where(Definition.id == definition_id)
        ).one(),
    )


def _lock_instance(session: Session, instance_id: str) -> ProcessInstance:
    instance = session.get(
        ProcessInstance, instance_id, with_for_update=True, populate_existing=True
    )
    if instance is None:
        raise NotFound(f"instance {instance_id} not found")
    return instance


def guarded(svc: Services) -> _guarded:
    """A command transaction (optimistic-lock failures are Conflicts)."""
    return _guarded(svc)


class _guarded:
    """A transaction whose optimistic-lock failure surfaces as a Conflict, not a crash."""

    def __init__(self, svc: Services) -> None:
        self._ctx = transaction(svc.sessions)

    def __enter__(self) -> Session:
        return self._ctx.__enter__()

    def __exit__(self, *exc: Any) -> None:
        try:
            self._ctx.__exit__(*exc)
        except StaleDataError as err:
            raise Conflict("the case changed while this command ran; try again") from err
