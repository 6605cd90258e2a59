"""Record on the case page what a client or partner said outside Caseway: a review request made
at the counter or on the phone reaches the process waiting for it, as `POST /api/messages` would.

Only messages listed here are offered, and only while a process of the case waits for one.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from engine import policy
from engine.api.context import services
from engine.cases.lookup import readable_case
from engine.casework import commands
from engine.errors import N_
from engine.store.models import MessageWait, ProcessInstance
from engine.web.guard import protect, require

casemessages = protect(Blueprint("casemessages", __name__))

# message name → (button label, the payload field the written text goes in)
# message → (button, the payload field the text goes into, the text box's label)
RECORDABLE = {
    "internal_review_requested": (
        N_("Record a review request"),
        "review_request_reason",
        N_("What the client said (reason, date received)"),
    ),
    "referral_accepted": (
        N_("Record that the partner accepted the referral"),
        "accepted_by",
        N_("Who at the partner accepted, and when"),
    ),
    "referral_declined": (
        N_("Record that the partner declined the referral"),
        "decline_reason",
        N_("Why the partner declined (as they said it)"),
    ),
}


@dataclass(frozen=True)
class Recordable:
    instance_id: str
    name: str
    label: str
    text_label: str


def waiting_messages(session: Session, case_id: int) -> list[Recordable]:
    """The staff-recordable messages the case's processes wait for now."""
    rows = session.execute(
        select(MessageWait.instance_id, MessageWait.message_name)
        .join(ProcessInstance, ProcessInstance.id == MessageWait.instance_id)
        .where(
            ProcessInstance.case_id == case_id,
            MessageWait.message_name.in_(list(RECORDABLE)),
        )
        .order_by(MessageWait.instance_id)
    ).all()
    seen = {(row.instance_id, row.message_name) for row in rows}
    return [Recordable(i, n, RECORDABLE[n][0], RECORDABLE[n][2]) for i, n in sorted(seen)]


@casemessages.post("/cases/<key>/messages/<instance_id>/<name>")
def record_message(key: str, instance_id: str, name: str) -> Response:
    from engine.web.case_pages import attempt  # the case pages' way of reporting a refusal

    principal = require(policy.Action.WORK)
    if name not in RECORDABLE:
        abort(404)
    office = request.form.get("office") or None
    text = request.form.get("text", "").strip()[:2000]
    svc = services()
    with svc.readers() as session:
        case = readable_case(session, principal, key, office)
        waiting = {(r.instance_id, r.name) for r in waiting_messages(session, case.id)}
    if (instance_id, name) not in waiting:
        abort(404)
    payload = {RECORDABLE[name][1]: text} if text else {}
    attempt(
        lambda: commands.deliver_message(svc, principal, instance_id, name, payload),
        _("Recorded. The case continues with it."),
    )
    return redirect(url_for("casefile.case", key=key, office=office))
