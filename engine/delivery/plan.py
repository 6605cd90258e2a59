"""From an outbox row to what to send: channel, address, language and text (no I/O but reads).

The decision rules live here, in one place: the client's preferred language picks the template;
a safe-contact client gets no letter and no SMS (their caseworker is asked to phone instead); a
channel without an address or without a configured provider leaves the row `no_channel`, on the
supervisors' undelivered list.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy.orm import Session

from engine.delivery.channels import Envelope
from engine.delivery.partners import find_partner, languages_of
from engine.delivery.recipients import Client, client_of
from engine.delivery.secrets import SecretBox
from engine.delivery.staff import staff_recipients
from engine.delivery.templates import NoticeTemplates, Rendered, TemplateProblem
from engine.store.models import OutboxEntry, ProcessInstance

CLIENT_CHANNELS = {"email": "email", "sms": "sms", "mail": "letter"}
SAFE_CONTACT_BLOCKED = ("sms", "mail")
STAFF_LANGUAGE = "en"


@dataclass(frozen=True)
class Plan:
    """`sends`: (channel adapter name, envelope). After they succeed the row is sent, unless
    `no_channel` says why it still needs a person; `failure` means nothing can be sent."""

    subject: str
    body: str
    language: str | None
    sends: list[tuple[str, Envelope]] = field(default_factory=list)
    no_channel: str | None = None
    failure: str | None = None


@dataclass(frozen=True)
class Planner:
    templates: NoticeTemplates
    box: SecretBox
    available: Collection[str]  # the adapters configured in this process

    def plan(self, session: Session, row: OutboxEntry) -> Plan:
        instance = session.get(ProcessInstance, row.instance_id)
        client = client_of(session, instance) if instance is not None else None
        office = row.office or (instance.office if instance else "")
        case = {
            "key": instance.business_key if instance else "",
            "office": office,
            "id": instance.case_id if instance else None,
        }
        data = _payload(row)
        try:
            if row.channel == "staff":
                return self._staff(session, row, case, data, client)
            if row.channel == "partner":
                return self._partner(session, row, case, data, client)
            return self._client(session, row, case, data, client)
        except TemplateProblem as exc:
            return Plan(row.subject, row.body, None, failure=str(exc))

    # -- clients --------------------------------------------------------------------------

    def _client(
        self,
        session: Session,
        row: OutboxEntry,
        case: dict[str, Any],
        data: dict[str, Any],
        client: Client | None,
    ) -> Plan:
        language = client.language if client else "en"
        text = self._text(row, language, client, case, data)
        adapter = CLIENT_CHANNELS.get(row.channel)
        if adapter is None:
            return _no_channel(text, language, f"unknown channel {row.channel!r}")
        if client is not None and client.safe_contact and row.channel in SAFE_CONTACT_BLOCKED:
            return self._phone_task(session, row, case, text, language)
        if row.channel == "email":
            address = client.email if client else _email_in(row.recipient)
        elif row.channel == "sms":
            address = client.phone if client else None
        else:
            address = client.address if client else None
        if not address:
            return _no_channel(text, language, f"the client has no address for {row.channel}")
        if adapter not in self.available:
            return _no_channel(text, language, f"no {adapter} provider is configured")
        name = client.name if client else row.recipient
        envelope = _envelope(row, address, text, language, case, name=name)
        return Plan(text.subject, text.body, language, [(adapter, envelope)])

    def _phone_task(
        self,
        session: Session,
        row: OutboxEntry,
        case: dict[str, Any],
        text: Rendered,
        language: str,
    ) -> Plan:
        """Safe contact: nothing goes to the client's home or phone; a caseworker calls."""
        people = staff_recipients(session, case["office"], "caseworker", case["key"] or None)
        subject = f"Safe contact: phone the client ({case['key']}): {text.subject}"
        sends = [
            (
                "in_app",
                _envelope(
                    row, person.username, Rendered(subject, text.body), language, case,
                    key_suffix=person.username,
                ),
            )
            for person in people
        ]  # fmt: skip
        return Plan(
            text.subject,
            text.body,
            language,
            sends,
            no_channel="safe contact: no letter or SMS; deliver by phone, then mark handled",
        )

    # -- staff ----------------------------------------------------------------------------

    def _staff(
        self,
        session: Session,
        row: OutboxEntry,
        case: dict[str, Any],
        data: dict[str, Any],
        client: Client | None,
    ) -> Plan:
        text = self._text(row, STAFF_LANGUAGE, client, case, data, interpreter=False)
        people = staff_recipients(session, case["office"], row.recipient, case["key"] or None)
        if not people:
            reason = f"nobody in office {case['office']} matches {row.recipient!r}"
            return _no_channel(text, STAFF_LANGUAGE, reason)
        sends = []
        for person in people:
            by_email = person.email and "email" in self.available
            sends.append(
                (
                    "email" if by_email else "in_app",
                    _envelope(
                        row,
                        person.email if by_email else person.username,  # type: ignore[arg-type]
                        text,
                        STAFF_LANGUAGE,
                        case,
                        name=person.username,
                        key_suffix=person.username,
                    ),
                )
            )
        return Plan(text.subject, text.body, STAFF_LANGUAGE, sends)

    # -- partners -------------------------------------------------------------------------

    def _partner(
        self,
        session: Session,
        row: OutboxEntry,
        case: dict[str, Any],
        data: dict[str, Any],
        client: Client | None,
    ) -> Plan:
        partner = find_partner(session, case["office"], row.recipient)
        spoken = languages_of(partner) if partner else ["en"]
        wanted = client.language if client else "en"
        language = wanted if wanted in spoken else spoken[0] if spoken[0] in ("en", "fr") else "en"
        text = self._text(row, language, client, case, data, interpreter=False)
        if partner is None:
            reason = f"no active partner {row.recipient!r} in the directory of {case['office']}"
            return _no_channel(text, language, reason)
        secret = self.box.open(partner.secret_encrypted) if partner.secret_encrypted else None
        if partner.webhook_url and secret:
            document = referral_document(row, case, data, client)
            envelope = _envelope(row, partner.webhook_url, text, language, case)
            envelope = _with(envelope, document=document, secret=secret)
            return Plan(text.subject, text.body, language, [("webhook", envelope)])
        if partner.contact_email and "email" in self.available:
            envelope = _envelope(
                row, partner.contact_email, text, language, case, name=partner.name
            )
            return Plan(text.subject, text.body, language, [("email", envelope)])
        return _no_channel(text, language, f"partner {partner.key!r} has no usable channel")

    # -- text -----------------------------------------------------------------------------

    def _text(
        self,
        row: OutboxEntry,
        language: str,
        client: Client | None,
        case: dict[str, Any],
        data: dict[str, Any],
        *,
        interpreter: bool = True,
    ) -> Rendered:
        if not row.kind:
            return Rendered(row.subject, row.body)
        return self.templates.render(
            row.kind,
            language,
            client=client,
            case=case,
            data=data,
            notice={"queued_on": row.created_at.date().isoformat(), "channel": row.channel},
            interpreter=interpreter,
        )


def referral_document(
    row: OutboxEntry, case: dict[str, Any], data: dict[str, Any], client: Client | None
) -> dict[str, Any]:
    """The webhook body. Contact details only with the client's recorded consent."""
    document: dict[str, Any] = {
        "type": "referral",
        "outbox_id": row.id,
        "referral_id": data.get("referral_id"),
        "case_key": case["key"],
        "office": case["office"],
        "partner": row.recipient,
        "need": data.get("need"),
        "reason": data.get("reason", ""),
        "urgent": bool(data.get("urgent", False)),
        "language": client.language if client else "en",
        "accessibility": {"interpreter_needed": bool(client and client.interpreter_needed)},
    }
    if data.get("consent_given") is True:
        document["client"] = {
            "name": client.name if client else data.get("client_name"),
            "email": client.email if client else None,
            "phone": client.phone if client else None,
            "safe_contact": bool(client and client.safe_contact),
        }
        # what the caseworker confirmed with the client for this referral (send_referral puts
        # it in the row only inside a consented referral)
        details = {
            k: data[k] for k in ("contact", "language", "accessibility_needs") if data.get(k)
        }
        if details:
            document["referral_details"] = details
    return document


def idempotency_key(outbox_id: int, suffix: str = "") -> str:
    return f"caseway-outbox-{outbox_id}" + (f"-{suffix}" if suffix else "")


def _envelope(
    row: OutboxEntry,
    to: str,
    text: Rendered,
    language: str,
    case: dict[str, Any],
    *,
    name: str = "",
    key_suffix: str = "",
) -> Envelope:
    return Envelope(
        outbox_id=row.id,
        key=idempotency_key(row.id, key_suffix),
        to=to,
        subject=text.subject,
        body=text.body,
        name=name,
        language=language,
        office=case["office"],
        instance_id=row.instance_id,
        case_id=case.get("id"),
    )


def _with(envelope: Envelope, **changes: Any) -> Envelope:
    return replace(envelope, **changes)


def _no_channel(text: Rendered, language: str, reason: str) -> Plan:
    return Plan(text.subject, text.body, language, no_channel=reason)


def _email_in(recipient: str) -> str | None:
    return recipient if "@" in recipient else None


def _payload(row: OutboxEntry) -> dict[str, Any]:
    try:
        loaded = json.loads(row.payload_json or "{}")
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}
