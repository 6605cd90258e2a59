"""Client notices and staff reminders, written to the outbox for a channel adapter to send."""

from __future__ import annotations

import re

from handlers.registry import HandlerContext, HandlerInputError, HandlerRegistry, OutboxMessage

CHANNELS = ("email", "sms", "mail", "staff")
NOTICE_KIND = re.compile(r"[a-z][a-z0-9_]{0,79}")


def notify(
    ctx: HandlerContext,
    *,
    channel: str,
    recipient: str,
    notice: str = "",
    data: dict | None = None,
    subject: str = "",
    body: str = "",
) -> dict[str, str]:
    """Queue a notice; the outbox row is committed with the step that asked for it.

    `notice` names a template (notices/<notice>.<lang>.txt) rendered at dispatch with `data`,
    the client and the configured standards, in the client's language; `subject`/`body` are a
    free text sent as written (for diagrams without a template).
    """
    if channel not in CHANNELS:
        raise HandlerInputError(f"notify: channel must be one of {', '.join(CHANNELS)}")
    if not recipient.strip():
        raise HandlerInputError("notify: recipient is empty")
    if notice and not NOTICE_KIND.fullmatch(notice):
        raise HandlerInputError(f"notify: notice {notice!r} is not a template name")
    if not notice and not subject.strip():
        raise HandlerInputError("notify: give a notice template or a subject")
    ctx.emit(
        OutboxMessage(
            channel=channel,
            recipient=recipient,
            subject=subject or notice,
            body=body,
            payload=dict(data or {}),
            kind=notice,
        )
    )
    return {"queued_at": ctx.now.isoformat(), "channel": channel}


def register(registry: HandlerRegistry) -> None:
    registry.register("notify", notify)
