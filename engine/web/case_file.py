"""What the case page shows, read in one read-only session: the client, status, owner, open
work, the timeline, the running processes' diagrams, notes and attachments — and which actions
the rules would accept from this reader (close reasons, transfer, claim, note edits), so the
page never offers what the commands refuse."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import policy
from engine.cases import attachments, notes, permissions, timeline, views
from engine.cases.closing import CLOSE_REASONS, reason_label
from engine.cases.lookup import case_owner, readable_case
from engine.cases.records import RUNNING
from engine.identity.users import Principal
from engine.services import Services
from engine.store.models import (
    Case,
    CaseAttachment,
    CaseNote,
    Definition,
    HumanTask,
    Incident,
    ProcessInstance,
    User,
)

SHOWN = 200  # notes and attachments listed on the page (newest first)


@dataclass(frozen=True)
class Running:
    """A process of the case that is not finished, with what to highlight in its diagram."""

    instance: ProcessInstance
    name: str
    current: list[str]  # task names of its open steps
    failed: list[str]  # steps with an open incident


@dataclass(frozen=True)
class CaseFile:
    case: Case
    owner: str | None
    tasks: list[HumanTask]
    claimable: set[str]
    timeline: list[dict[str, Any]]
    running: list[Running]
    notes: list[CaseNote]
    editable_notes: set[int]
    attachments: list[CaseAttachment]
    close_reasons: list[tuple[str, str]]
    transfer_offices: list[str]


def case_file(
    session: Session,
    svc: Services,
    principal: Principal,
    key: str,
    office: str | None,
    language: str,
) -> CaseFile:
    """CaseNotFound (a 404 page) when the case does not exist or the reader may not see it."""
    case = readable_case(session, principal, key, office)
    _body, tasks = views.detail(session, case)
    now = svc.clock.now()
    note_rows, _ = notes.list_notes(session, case, SHOWN, 0)
    files, _ = attachments.list_attachments(session, case, SHOWN, 0)
    owner = case_owner(session, case)
    return CaseFile(
        case=case,
        owner=owner,
        tasks=tasks,
        claimable={
            t.id for t in tasks if t.assignee is None and policy.claim_refusal(principal, t) is None
        },
        timeline=timeline.build(session, svc, case, language),
        running=_running(session, case, tasks),
        notes=note_rows,
        editable_notes={
            n.id
            for n in note_rows
            if n.author == principal.username and now - n.created_at <= notes.EDIT_WINDOW
        },
        attachments=files,
        close_reasons=_close_reasons(principal, case, owner, language),
        transfer_offices=_transfer_offices(session, principal, case),
    )


def _close_reasons(
    principal: Principal, case: Case, owner: str | None, language: str
) -> list[tuple[str, str]]:
    """The reasons this reader may close the case with (none once it is closed)."""
    if case.status != "open":
        return []
    return [
        (reason, reason_label(reason, language))
        for reason in CLOSE_REASONS
        if policy.close_refusal(principal, case.office, reason, owner) is None
    ]


def _transfer_offices(session: Session, principal: Principal, case: Case) -> list[str]:
    """Offices someone works in, when this reader may transfer the case."""
    if case.status != "open" or not permissions.supervises(principal, case):
        return []
    offices = session.scalars(select(User.office).where(User.active.is_(True)).distinct()).all()
    return sorted(o for o in offices if o not in (case.office, "*"))


def _running(session: Session, case: Case, tasks: list[HumanTask]) -> list[Running]:
    instances = session.scalars(
        select(ProcessInstance)
        .where(ProcessInstance.case_id == case.id, ProcessInstance.status.in_(RUNNING))
        .order_by(ProcessInstance.created_at, ProcessInstance.id)
    ).all()
    names: dict[int, str] = {
        definition_id: name
        for definition_id, name in session.execute(
            select(Definition.id, Definition.name).where(
                Definition.id.in_({i.definition_id for i in instances})
            )
        )
    }
    failed: dict[str, list[str]] = {}
    for instance_id, step in session.execute(
        select(Incident.instance_id, Incident.task_name).where(
            Incident.instance_id.in_([i.id for i in instances]), Incident.resolved_at.is_(None)
        )
    ):
        if step:
            failed.setdefault(instance_id, []).append(step)
    return [
        Running(
            instance=i,
            name=names.get(i.definition_id, i.process_id),
            current=[t.task_name for t in tasks if t.instance_id == i.id],
            failed=failed.get(i.id, []),
        )
        for i in instances
    ]


def note_window_ends(note: CaseNote) -> datetime:
    return note.created_at + notes.EDIT_WINDOW
