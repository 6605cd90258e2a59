"""Move a case and its open work to another office: instances, open tasks (back to that
office's queues, unclaimed) and ownership (the new office's supervisor assigns an owner)."""

from __future__ import annotations

from sqlalchemy import select

from engine.audit import record
from engine.cases import permissions, records
from engine.cases.lookup import locked_case
from engine.casework import commands
from engine.errors import CaseClosed, CaseExists, Invalid, OfficeUnknown
from engine.identity.users import Principal
from engine.services import Services
from engine.store.models import Case, CaseOwner, HumanTask, ProcessInstance, User


def transfer_case(
    svc: Services, principal: Principal, key: str, office: str | None, target: str
) -> Case:
    now = svc.clock.now()
    with commands.guarded(svc) as session:
        case = locked_case(session, principal, key, office)
        permissions.require_supervisor(principal, case, "transfer this case")
        if case.status == "closed":
            raise CaseClosed(f"case {key!r} is closed")
        if target == case.office:
            raise Invalid(f"case {key!r} is already in office {target!r}", field="office")
        if session.scalar(select(User.id).where(User.office == target).limit(1)) is None:
            raise OfficeUnknown(f"no staff work in office {target!r}", field="office")
        if records.find(session, target, case.key) is not None:
            raise CaseExists(f"office {target!r} already has a case {case.key!r}", field="office")
        source = case.office
        instances = session.scalars(
            select(ProcessInstance).where(ProcessInstance.case_id == case.id).with_for_update()
        ).all()
        keys = {case.key} | {i.business_key for i in instances}
        for instance in instances:
            instance.office = target
        tasks = session.scalars(
            select(HumanTask)
            .where(
                HumanTask.instance_id.in_([i.id for i in instances]),
                HumanTask.status == "open",
            )
            .with_for_update()
        ).all()
        for task in tasks:
            task.office = target
            task.assignee = task.claimed_at = task.claimed_by = None
        previous = {}
        for business_key in sorted(keys):
            owner = session.get(CaseOwner, (source, business_key))
            if owner is not None:
                previous[business_key] = owner.owner
                session.delete(owner)
        case.office = target
        record(
            session,
            at=now,
            actor=principal.username,
            action="case.transfer",
            case_id=case.id,
            case_key=case.key,
            office=source,
            to_office=target,
            tasks=[t.id for t in tasks],
            previous_owners=previous,
        )
        return case
