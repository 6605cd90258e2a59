"""Open the case file for a new application and acknowledge it to the applicant."""

from __future__ import annotations

from typing import Any

from handlers.registry import HandlerContext, HandlerInputError, HandlerRegistry, OutboxMessage

INTAKE_CHANNELS = ("online", "in_person", "walk_in", "phone", "mail", "referral")
# Reasons a process may close its case with (engine/cases/closing.py CLOSE_REASONS).
PROCESS_CLOSE_REASONS = ("completed", "ineligible", "withdrawn", "unreachable", "moved")
APPLICANT_FIELDS = frozenset(
    {
        "name",
        "date_of_birth",
        "phone",
        "email",
        "street_address",
        "municipality",
        "postal_code",
        "preferred_language",
        "interpreter_needed",
    }
)


def open_case(ctx: HandlerContext, *, applicant: dict, channel: str) -> dict[str, Any]:
    """Check the applicant can be identified and reached; return the case file summary.

    The case number is the instance's business key. Notices go by email when the applicant
    gave an address, else by mail; the acknowledgement is the first of them.
    """
    if channel not in INTAKE_CHANNELS:
        raise HandlerInputError(f"open_case: channel must be one of {', '.join(INTAKE_CHANNELS)}")
    unknown = sorted(set(applicant) - APPLICANT_FIELDS)
    if unknown:
        raise HandlerInputError(f"open_case: unknown applicant field(s) {', '.join(unknown)}")
    name = _text(applicant, "name")
    if not name:
        raise HandlerInputError("open_case: the applicant's name is missing")
    email, phone, street = (_text(applicant, key) for key in ("email", "phone", "street_address"))
    if not (email or phone or street):
        raise HandlerInputError("open_case: the applicant gave no phone, email or mailing address")
    notice_channel = "email" if email else "mail"
    received_at = ctx.now.isoformat()
    ctx.emit(
        OutboxMessage(
            channel=notice_channel,
            recipient=name,
            subject="application_received",
            payload={"case_number": ctx.business_key, "received_at": received_at},
            kind="application_received",
        )
    )
    return {
        "case_number": ctx.business_key,
        "client_name": name,
        "channel": channel,
        "received_at": received_at,
        "notice_channel": notice_channel,
    }


def _text(applicant: dict, key: str) -> str:
    value = applicant.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise HandlerInputError(f"open_case: applicant {key} must be text")
    return value.strip()


def close_case(ctx: HandlerContext, *, reason: str) -> dict[str, Any]:
    """Close the case when this step commits (its other processes stop): the process's own
    ending, e.g. a withdrawal or an applicant unreachable after the documented attempts."""
    if reason not in PROCESS_CLOSE_REASONS:
        known = ", ".join(PROCESS_CLOSE_REASONS)
        raise HandlerInputError(f"close_case: reason must be one of {known}")
    ctx.close_case(reason)
    return {"closed_reason": reason, "closed_at": ctx.now.isoformat()}


def register(registry: HandlerRegistry) -> None:
    registry.register("open_case", open_case)
    registry.register("close_case", close_case)
