"""Client notices and staff reminders, written to the outbox for a channel adapter to send."""

from __future__ import annotations

from handlers.registry import HandlerContext, HandlerInputError, HandlerRegistry, OutboxMessage

CHANNELS = ("email", "sms", "mail", "staff")


def notify(
    ctx: HandlerContext, *, channel: str, recipient: str, subject: str, body: str = ""
) -> dict[str, str]:
    """Queue a notice; the outbox row is committed with the step that asked for it."""
    if channel not in CHANNELS:
        raise HandlerInputError(f"notify: channel must be one of {', '.join(CHANNELS)}")
    if not recipient.strip():
        raise HandlerInputError("notify: recipient is empty")
    ctx.emit(OutboxMessage(channel=channel, recipient=recipient, subject=subject, body=body))
    return {"queued_at": ctx.now.isoformat(), "channel": channel}


def register(registry: HandlerRegistry) -> None:
    registry.register("notify", notify)
