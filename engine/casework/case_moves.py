"""Move running cases from version n of a process to version m.

Why it can work: an instance's stored state names its task specs (BPMN ids) but does not contain
them; the spec is stored once per deployed version. Re-attaching a case to another version is
sound when every task the state still holds can be found by name in the target, and the waiting
tasks sit in the same place (a task that gained or lost boundary timers cannot change shape
while it waits). Predicted tasks (not yet reached) whose step was removed are dropped: the
engine predicts the new version's next steps when the case moves on.

Each case moves in its own transaction (one command, one transaction), re-checked under its row
lock, and is audited as `instance.migrate`. A dry run reports the same checks without writing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from engine import errors, policy
from engine.audit import record
from engine.casework import commands
from engine.casework.sync import apply_outcome, placement_of, unpack_state
from engine.deadlines.closures import closure_days
from engine.deadlines.tracking import stored_dues
from engine.definitions.deploy import definition_version
from engine.identity.users import Principal
from engine.runtime import LoadedSpec, Outcome, RunContext
from engine.runtime.state_moves import Blocker, check_state
from engine.services import Services
from engine.statuses import InstanceStatus
from engine.store.db import transaction
from engine.store.models import Definition, HumanTask, ProcessInstance

CANDIDATE_STATUSES = (InstanceStatus.WAITING, InstanceStatus.RUNNING, InstanceStatus.ERROR)


@dataclass(frozen=True)
class CaseCheck:
    instance_id: str
    business_key: str
    status: str
    waiting: tuple[str, ...]
    blockers: tuple[Blocker, ...]
    # Waiting tasks that gain boundary events in the target: their timers start at the move.
    timers_from_move: tuple[str, ...] = ()

    @property
    def movable(self) -> bool:
        return not self.blockers

    def as_dict(self) -> dict[str, Any]:
        return {
            "instance_id": self.instance_id,
            "business_key": self.business_key,
            "status": self.status,
            "waiting": list(self.waiting),
            "blockers": [b.as_dict() for b in self.blockers],
            "timers_from_move": list(self.timers_from_move),
        }


@dataclass(frozen=True)
class MigrationReport:
    process_id: str
    from_version: int
    to_version: int
    dry_run: bool
    moved: tuple[CaseCheck, ...]  # in a dry run: the cases that would move
    blocked: tuple[CaseCheck, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "process_id": self.process_id,
            "from_version": self.from_version,
            "to_version": self.to_version,
            "dry_run": self.dry_run,
            "moved": [c.as_dict() for c in self.moved],
            "blocked": [c.as_dict() for c in self.blocked],
        }


@dataclass(frozen=True)
class MigrationRequest:
    process_id: str
    from_version: int
    to_version: int
    instance_ids: tuple[str, ...] | None = None  # None: every running case of from_version
    dry_run: bool = True


class _Blocked(Exception):  # noqa: N818 - control flow inside one case's transaction
    def __init__(self, blocker: Blocker) -> None:
        super().__init__(blocker.message)
        self.blocker = blocker


def migrate(svc: Services, principal: Principal, wanted: MigrationRequest) -> MigrationReport:
    """Check (dry run) or move the running cases of one version to another."""
    if not policy.may(principal, policy.Action.DESIGN):
        raise errors.Forbidden("only designers move cases between versions")
    if wanted.from_version == wanted.to_version:
        raise errors.Invalid("choose two different versions", field="to_version")
    with svc.readers() as session:
        source = _version(session, wanted.process_id, wanted.from_version)
        target = _version(session, wanted.process_id, wanted.to_version)
        ids = _candidates(session, source, wanted.instance_ids)
    moved: list[CaseCheck] = []
    blocked: list[CaseCheck] = [
        _failed(svc, missing, Blocker("status", None, f"not a running case of v{source.version}"))
        for missing in dict.fromkeys(wanted.instance_ids or ())
        if missing not in ids
    ]
    for instance_id in ids:
        if wanted.dry_run:
            check = _dry_check(svc, instance_id, target)
        else:
            check = _move_one(svc, principal, instance_id, source, target)
        (moved if check.movable else blocked).append(check)
    return MigrationReport(
        wanted.process_id,
        wanted.from_version,
        wanted.to_version,
        wanted.dry_run,
        tuple(moved),
        tuple(blocked),
    )


def running_counts(session: Session, process_id: str) -> dict[int, int]:
    """Running (not finished) cases per version: what a designer could move."""
    rows = session.execute(
        select(ProcessInstance.version, ProcessInstance.id).where(
            ProcessInstance.process_id == process_id,
            ProcessInstance.status.in_(CANDIDATE_STATUSES),
        )
    ).all()
    counts: dict[int, int] = {}
    for version, _ in rows:
        counts[version] = counts.get(version, 0) + 1
    return counts


# -- moving -----------------------------------------------------------------------------------


def _dry_check(svc: Services, instance_id: str, target: Definition) -> CaseCheck:
    with svc.readers() as session:
        instance = session.get_one(ProcessInstance, instance_id)
        check, _ = _check(svc, instance, target)
        return check


def _move_one(
    svc: Services, principal: Principal, instance_id: str, source: Definition, target: Definition
) -> CaseCheck:
    commands.fire_due_timers(svc, instance_id)  # deadlines that passed apply under version n
    try:
        with transaction(svc.sessions) as session:
            instance = session.get(
                ProcessInstance, instance_id, with_for_update=True, populate_existing=True
            )
            if (
                instance is None
                or instance.definition_id != source.id
                or instance.status not in CANDIDATE_STATUSES
            ):
                raise _Blocked(Blocker("status", None, "the case moved or ended meanwhile"))
            check, state = _check(svc, instance, target)
            if not check.movable:
                return check
            _apply(svc, session, principal, instance, target, state)
            return check
    except _Blocked as exc:
        return _failed(svc, instance_id, exc.blocker)
    except StaleDataError:
        blocker = Blocker("status", None, "the case changed while it was being moved; try again")
        return _failed(svc, instance_id, blocker)


def _check(
    svc: Services, instance: ProcessInstance, target: Definition
) -> tuple[CaseCheck, dict[str, Any]]:
    state = json.loads(unpack_state(instance.state))
    waiting, blockers, reshaped, gained = check_state(state, _spec(svc, target), target.version)
    if instance.status == InstanceStatus.ERROR:
        message = "the case has an open incident; retry it before moving it"
        blockers.insert(0, Blocker("status", None, message))
    check = CaseCheck(
        instance.id, instance.business_key, instance.status, waiting, tuple(blockers), gained
    )
    return check, reshaped


def _apply(
    svc: Services,
    session: Session,
    principal: Principal,
    instance: ProcessInstance,
    target: Definition,
    state: dict[str, Any],
) -> None:
    now = svc.clock.now()
    run = RunContext(
        instance.id,
        instance.business_key,
        instance.office,
        closures=closure_days(session, instance.office),
        deadlines=stored_dues(session, instance.id),
    )
    try:
        outcome = svc.runtime.fire_timers(_spec(svc, target), json.dumps(state), run)
    except Exception as exc:  # reported as this case's blocker; the transaction rolls back
        message = f"version {target.version} cannot load this case ({type(exc).__name__}: {exc})"
        raise _Blocked(Blocker("unreadable", None, message)) from exc
    if outcome.incident is not None or outcome.status == InstanceStatus.ERROR:
        detail = outcome.incident.message if outcome.incident else "a step failed"
        message = f"the case fails under version {target.version}: {detail}"
        raise _Blocked(Blocker("unreadable", None, message))
    from_version = instance.version
    claims = _claims(session, instance.id)
    apply_outcome(session, instance, outcome, actor=principal.username, now=now)
    _keep_claims(session, outcome, claims)
    released = _refresh_tasks(session, outcome)
    instance.definition_id = target.id
    instance.version = target.version
    record(
        session,
        at=now,
        actor=principal.username,
        action="instance.migrate",
        instance_id=instance.id,
        process_id=instance.process_id,
        from_version=from_version,
        to_version=target.version,
        released_tasks=released,
    )


def _claims(session: Session, instance_id: str) -> dict[str, tuple[str, Any, Any]]:
    """Who holds each open task (by step), so a task re-opened beside new boundary events
    stays with them."""
    rows = session.scalars(
        select(HumanTask).where(HumanTask.instance_id == instance_id, HumanTask.status == "open")
    )
    return {r.task_name: (r.assignee, r.claimed_at, r.claimed_by) for r in rows if r.assignee}


def _keep_claims(
    session: Session, outcome: Outcome, claims: Mapping[str, tuple[str, Any, Any]]
) -> None:
    for view in outcome.open_tasks:
        row = session.get(HumanTask, view.task_id)
        held = claims.get(view.name)
        if row is not None and held is not None and row.assignee is None:
            row.assignee, row.claimed_at, row.claimed_by = held


def _refresh_tasks(session: Session, outcome: Outcome) -> list[str]:
    """Open task rows take the target's titles, forms and queues; a task whose queue changed
    goes back to its new queue unclaimed. Returns the released task ids."""
    released = []
    for view in outcome.open_tasks:
        row = session.get(HumanTask, view.task_id)
        if row is None:
            continue
        queue = placement_of(view).queue
        row.title = view.title
        row.form_key = _form_key(view.properties)
        if queue != row.queue:
            row.queue = queue
            if row.assignee is not None:
                row.assignee, row.claimed_at = None, None
                released.append(row.id)
    return released


def _form_key(properties: Mapping[str, str]) -> str | None:
    key = properties.get("formKey")
    if key:
        return key
    name = properties.get("formJsonSchemaFilename")
    if not name:
        return None
    return name.rsplit("/", 1)[-1].removesuffix(".json").removesuffix(".schema")


def _failed(svc: Services, instance_id: str, blocker: Blocker) -> CaseCheck:
    with svc.readers() as session:
        instance = session.get(ProcessInstance, instance_id)
        key = instance.business_key if instance is not None else ""
        status = instance.status if instance is not None else "unknown"
    return CaseCheck(instance_id, key, status, (), (blocker,))


def _spec(svc: Services, definition: Definition) -> LoadedSpec:
    return svc.specs.get(definition.id, definition.spec_json)


def _version(session: Session, process_id: str, version: int) -> Definition:
    found = definition_version(session, process_id, version)
    if found is None:
        raise errors.NotFound(f"no version {version} of process {process_id!r}")
    return found


def _candidates(
    session: Session, source: Definition, instance_ids: Iterable[str] | None
) -> list[str]:
    query = select(ProcessInstance.id).where(
        ProcessInstance.definition_id == source.id,
        ProcessInstance.status.in_(CANDIDATE_STATUSES),
    )
    if instance_ids is not None:
        query = query.where(ProcessInstance.id.in_(list(instance_ids)))
    return list(session.scalars(query.order_by(ProcessInstance.created_at, ProcessInstance.id)))
