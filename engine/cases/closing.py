"""Close a case: its unfinished processes are terminated through the runtime (open tasks
cancelled, timers and message waits dropped) and the case marked closed, in one transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.audit import record
from engine.cases import permissions, records
from engine.cases.lookup import case_owner, locked_case
from engine.casework import commands
from engine.errors import CaseClosed, Invalid
from engine.identity.users import Principal
from engine.services import Services
from engine.store.models import Case, ProcessInstance

# Why a case closed, with its labels (en, fr); the API lists the keys.
CLOSE_REASONS: dict[str, tuple[str, str]] = {
    "completed": ("Services completed", "Services terminés"),
    "ineligible": ("Not eligible", "Non admissible"),
    "withdrawn": ("Withdrawn by the client", "Retrait du client"),
    "unreachable": ("Client unreachable", "Client injoignable"),
    "moved": ("Moved out of the area", "Déménagement hors du territoire"),
    "duplicate": ("Opened in error or duplicate", "Ouvert par erreur ou en double"),
    "deceased": ("Client deceased", "Client décédé"),
}


def reason_label(reason: str, language: str) -> str:
    labels = CLOSE_REASONS.get(reason)
    if labels is None:
        return reason
    return labels[1] if language == "fr" else labels[0]


def close_case(
    svc: Services, principal: Principal, key: str, office: str | None, reason: str
) -> Case:
    if reason not in CLOSE_REASONS:
        raise Invalid(f"reason must be one of {', '.join(CLOSE_REASONS)}", field="reason")
    now = svc.clock.now()
    with commands.guarded(svc) as session:
        case = locked_case(session, principal, key, office)
        permissions.require_may_close(principal, case, reason, case_owner(session, case))
        if case.status == "closed":
            raise CaseClosed(f"case {key!r} is already closed")
        running = _running(session, case)
        for instance in running:
            commands.terminate_locked(svc, session, instance, actor=principal.username, now=now)
        case.status, case.closed_at, case.closed_by = "closed", now, principal.username
        case.close_reason = reason
        record(
            session,
            at=now,
            actor=principal.username,
            action="case.close",
            case_id=case.id,
            case_key=case.key,
            reason=reason,
            terminated=[i.id for i in running],
        )
        return case


def close_from_process(
    svc: Services,
    session: Session,
    instance: ProcessInstance,
    reason: str,
    *,
    actor: str,
    now: datetime,
) -> None:
    """A process closed its case (the `close_case` handler: e.g. the applicant could not be
    reached after the configured attempts). The case's other unfinished processes stop; the
    asking one runs on to its end. Already closed: nothing to do."""
    case = session.get(Case, instance.case_id, with_for_update=True)
    if case is None or case.status == "closed":
        return
    others = [i for i in _running(session, case) if i.id != instance.id]
    for other in others:
        commands.terminate_locked(svc, session, other, actor=actor, now=now)
    case.status, case.closed_at, case.closed_by = "closed", now, actor
    case.close_reason = reason
    record(
        session,
        at=now,
        actor=actor,
        action="case.close",
        case_id=case.id,
        case_key=case.key,
        reason=reason,
        instance_id=instance.id,
        terminated=[i.id for i in others],
    )


def _running(session: Session, case: Case) -> list[ProcessInstance]:
    return list(
        session.scalars(
            select(ProcessInstance)
            .where(
                ProcessInstance.case_id == case.id,
                ProcessInstance.status.in_(records.RUNNING),
            )
            .order_by(ProcessInstance.created_at, ProcessInstance.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).all()
    )
