"""Client self-service links: one signed, expiring, single-use link to one task's form.

A worker sends the client a link (by the client's usual notice channel); the client opens it on
a phone without an account, fills the form and submits, which completes the waiting task as the
client, audited, in one transaction. The link names one task and shows nothing of the case but
that task's form. It stops working when used, when it expires (CASEWAY_CLIENT_LINK_DAYS, default
14), when a worker revokes it, or when the task is no longer open.

The token is `<link id>.<signature>`: the id is random, the signature an HMAC of it under the
server's secret key, so a forged or mistyped token is refused before the database is asked.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import errors, policy
from engine.audit import record
from engine.cases import attachments
from engine.cases.attachments import Upload
from engine.casework import commands, queues
from engine.identity.users import Principal
from engine.services import Services
from engine.statuses import TaskStatus
from engine.store.db import transaction
from engine.store.models import Case, ClientLink, HumanTask, OutboxEntry, ProcessInstance

LinkState = Literal["open", "used", "expired", "revoked"]
NOTICE_KIND = "self_service_link"
MAX_DAYS = 60


@dataclass(frozen=True)
class IssuedLink:
    link: ClientLink
    url: str


@dataclass(frozen=True)
class OpenedLink:
    """What the client's page may know: the task's form and the office to call, nothing more."""

    link_id: str
    state: LinkState
    office: str
    language: str
    task_title: str
    form_key: str | None
    definition_id: int | None
    expires_at: datetime


def sign(secret: str, link_id: str) -> str:
    digest = hmac.new(secret.encode(), f"client-link:{link_id}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()[:18]).decode().rstrip("=")


def token_for(secret: str, link_id: str) -> str:
    return f"{link_id}.{sign(secret, link_id)}"


def link_id_of(secret: str, token: str) -> str | None:
    """The link id a token names, or None when the token is malformed or not ours."""
    link_id, _, signature = token.partition(".")
    if not link_id or not signature or len(token) > 120:
        return None
    return link_id if hmac.compare_digest(signature, sign(secret, link_id)) else None


def issue(
    svc: Services, principal: Principal, task_id: str, *, days: int | None = None
) -> IssuedLink:
    """Create the link and queue its notice to the client, in one transaction."""
    days = svc.settings.client_link_days if days is None else days
    if not 1 <= days <= MAX_DAYS:
        raise errors.Invalid(f"days must be between 1 and {MAX_DAYS}", field="days")
    now = svc.clock.now()
    with transaction(svc.sessions) as session:
        task = queues.visible_task(session, principal, task_id)
        if not policy.may(principal, policy.Action.WORK):
            raise errors.Forbidden("only staff who work cases can send a client a link")
        if task.status != TaskStatus.OPEN:
            raise errors.TaskConflict(f"task is {task.status}")
        if not task.form_key:
            raise errors.Invalid("this task has no form for the client to fill in", field="task")
        instance = session.get_one(ProcessInstance, task.instance_id)
        case = session.get(Case, instance.case_id) if instance.case_id else None
        link = ClientLink(
            id=uuid.uuid4().hex,
            case_id=case.id if case else None,
            case_key=task.case_key or task.business_key,
            office=task.office,
            instance_id=task.instance_id,
            task_id=task.id,
            task_title=task.title,
            language=(case.preferred_language if case else None) or "en",
            created_at=now,
            created_by=principal.username,
            expires_at=now + timedelta(days=days),
        )
        session.add(link)
        url = f"{svc.settings.public_url}/s/{token_for(svc.settings.secret_key, link.id)}"
        session.add(_notice(link, case, url, now))
        record(
            session,
            at=now,
            actor=principal.username,
            action="client_link.issue",
            instance_id=task.instance_id,
            task_id=task.id,
            link_id=link.id,
            expires_at=link.expires_at.isoformat(),
        )
    return IssuedLink(link, url)


def revoke(svc: Services, principal: Principal, link_id: str) -> ClientLink:
    now = svc.clock.now()
    with transaction(svc.sessions) as session:
        link = session.get(ClientLink, link_id)
        if link is None or not policy.may_read_client_case(principal, link.office):
            raise errors.NotFound(f"link {link_id} not found")
        if not policy.may(principal, policy.Action.WORK):
            raise errors.Forbidden("only staff who work cases can revoke a client's link")
        if link.revoked_at is None and link.used_at is None:
            link.revoked_at, link.revoked_by = now, principal.username
            record(
                session,
                at=now,
                actor=principal.username,
                action="client_link.revoke",
                instance_id=link.instance_id,
                task_id=link.task_id,
                link_id=link.id,
            )
        session.flush()
        session.expunge(link)
    return link


def links_of_case(session: Session, case_key: str, office: str) -> Sequence[ClientLink]:
    return session.scalars(
        select(ClientLink)
        .where(ClientLink.case_key == case_key, ClientLink.office == office)
        .order_by(ClientLink.created_at.desc())
        .limit(50)
    ).all()


def states(session: Session, links: Sequence[ClientLink], now: datetime) -> dict[str, LinkState]:
    tasks = {
        t.id: t
        for t in session.scalars(
            select(HumanTask).where(HumanTask.id.in_([link.task_id for link in links]))
        )
    }
    return {link.id: state_of(link, tasks.get(link.task_id), now) for link in links}


def state_of(link: ClientLink, task: HumanTask | None, now: datetime) -> LinkState:
    if link.revoked_at is not None:
        return "revoked"
    if link.used_at is not None or task is None or task.status != TaskStatus.OPEN:
        return "used"
    if link.expires_at <= now:
        return "expired"
    return "open"


def open_link(svc: Services, token: str) -> OpenedLink:
    """The link a client opened; errors.NotFound when the token is not one of ours."""
    link_id = link_id_of(svc.settings.secret_key, token)
    with svc.readers() as session:
        link = session.get(ClientLink, link_id) if link_id else None
        if link is None:
            raise errors.NotFound("this link is not valid")
        task = session.get(HumanTask, link.task_id)
        instance = session.get(ProcessInstance, link.instance_id)
        return OpenedLink(
            link_id=link.id,
            state=state_of(link, task, svc.clock.now()),
            office=link.office,
            language=link.language,
            task_title=link.task_title,
            form_key=task.form_key if task else None,
            definition_id=instance.definition_id if instance else None,
            expires_at=link.expires_at,
        )


Attach = Callable[[Session, Principal, Case | None], dict[str, Any]]
"""Store the client's uploads on the case inside the completion's transaction; returns the
form values that name them."""


def attach_uploads(
    svc: Services, fields: Sequence[str], files: Sequence[tuple[str, Upload]]
) -> Attach:
    """Keep the client's files on the case; each upload field's answer is the files' names."""

    def attach(session: Session, who: Principal, case: Case | None) -> dict[str, Any]:
        if case is None and files:
            raise errors.Invalid("this link's task belongs to no case file", field="files")
        names = [
            attachments.add_attachment(svc, session, who, case, name, upload).filename
            for name, upload in files
            if case is not None
        ]
        return {key: names for key in fields}

    return attach


def submit(
    svc: Services, token: str, data: dict[str, Any], attach: Attach | None = None
) -> HumanTask:
    """Complete the link's task as the client; the link is spent in the same transaction."""
    link_id = link_id_of(svc.settings.secret_key, token)
    if link_id is None:
        raise errors.NotFound("this link is not valid")
    with svc.readers() as session:
        known = session.get(ClientLink, link_id)
        if known is None:
            raise errors.NotFound("this link is not valid")
        task_id = known.task_id

    def take_over(
        session: Session, task: HumanTask, now: datetime, submitted: dict[str, Any]
    ) -> Principal:
        link = session.get_one(ClientLink, link_id)
        state = state_of(link, task, now)
        if state != "open":
            raise errors.ClientLinkUnusable(f"this link is {state}", state=state)
        client = Principal(f"client:{link.case_key}"[:80], link.office, frozenset())
        case = session.get(Case, link.case_id) if link.case_id else None
        if attach is not None:
            submitted.update(attach(session, client, case))
        previous = task.assignee
        task.assignee, task.claimed_by, task.claimed_at = client.username, client.username, now
        link.used_at = now
        record(
            session,
            at=now,
            actor=client.username,
            action="client_link.use",
            instance_id=link.instance_id,
            task_id=task.id,
            link_id=link.id,
            previous_assignee=previous,
        )
        return client

    try:
        task, _instance = commands.complete_task(svc, _NOBODY, task_id, data, acting_for=take_over)
    except errors.TaskConflict as exc:
        raise errors.ClientLinkUnusable(str(exc), state="used") from exc
    return task


# Never acts: `take_over` replaces it with the client before any check runs.
_NOBODY = Principal("client:unknown", "", frozenset())


def _notice(link: ClientLink, case: Case | None, url: str, now: datetime) -> OutboxEntry:
    channel = "email" if case and case.email else "sms" if case and case.phone else "mail"
    payload = {
        "link_url": url,
        "task_title": link.task_title,
        "expires_on": link.expires_at.date().isoformat(),
    }
    return OutboxEntry(
        instance_id=link.instance_id,
        channel=channel,
        recipient=case.client_name if case else link.case_key,
        subject=NOTICE_KIND,
        body="",
        payload_json=json.dumps(payload),
        created_at=now,
        office=link.office,
        kind=NOTICE_KIND,
        language=link.language,
        status="pending",
        attempts=0,
        next_attempt_at=now,
    )
