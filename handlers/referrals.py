"""Warm referrals: plan one referral per need, and send a referral to its partner.

Partners are data: each office's partner directory (engine/delivery/partners.py) says who a
partner key is, how it is reached and in which languages. `PARTNERS` is only the vocabulary the
shipped forms offer (and what `caseway seed-demo` puts in the directory); a key the office's
directory does not know is reported on the undelivered list at dispatch.
"""

from __future__ import annotations

import re
from typing import Any

from handlers.registry import HandlerContext, HandlerInputError, HandlerRegistry, OutboxMessage

NEEDS = {
    "housing": "Housing",
    "income": "Income",
    "food_security": "Food security",
    "health": "Health and mental health",
    "addictions": "Addictions",
    "childcare": "Child care",
    "employment_readiness": "Employment readiness",
    "financial_empowerment": "Financial empowerment",
    "legal": "Legal issues",
    "safety": "Safety",
}
PARTNERS = {
    "housing_services": "Housing services",
    "childrens_services": "Children's services",
    "mental_health": "Mental health and addictions services",
    "family_support": "Family Support and financial empowerment",
    "employment_ontario": "Employment Ontario",
    "legal_clinic": "Community legal clinic",
    "food_bank": "Food bank",
    "vaw_services": "Violence against women services",
}
PARTNER_KEY = re.compile(r"[a-z][a-z0-9_]{0,79}")


def plan_referrals(
    ctx: HandlerContext, *, referrals: dict, client_name: str, notice_channel: str = ""
) -> list[dict]:
    """`referrals` maps a need to `{partner, reason, urgent?}`; one referral per need.

    Each gets a referral id (case number, need and this instance) that the partner quotes
    back when it accepts or declines; `notice_channel` (mail/email) is how the client gets the
    referral's closure survey.
    """
    if notice_channel not in ("", "mail", "email"):
        raise HandlerInputError(f"plan_referrals: unknown notice_channel {notice_channel!r}")
    if not client_name.strip():
        raise HandlerInputError("plan_referrals: client_name is empty")
    planned = []
    for need in sorted(referrals, key=_need_order):
        item = referrals[need]
        if not isinstance(item, dict):
            raise HandlerInputError(f"plan_referrals: referral for {need} must be an object")
        partner, reason = item.get("partner"), item.get("reason")
        if not isinstance(partner, str) or not PARTNER_KEY.fullmatch(partner):
            raise HandlerInputError(f"plan_referrals: unknown partner {partner!r} for {need}")
        if not isinstance(reason, str) or not reason.strip():
            raise HandlerInputError(f"plan_referrals: the referral for {need} gives no reason")
        planned.append(
            {
                "referral_id": f"{ctx.business_key}-{need}-{ctx.instance_id[:8]}",
                "case_number": ctx.business_key,
                "client_name": client_name,
                "need": need,
                "partner": partner,
                "reason": reason.strip(),
                "urgent": bool(item.get("urgent", False)),
                **({"notice_channel": notice_channel} if notice_channel else {}),
            }
        )
    return planned


def _need_order(need: str) -> int:
    if need not in NEEDS:
        raise HandlerInputError(f"plan_referrals: unknown need {need!r}")
    return list(NEEDS).index(need)


def send_referral(
    ctx: HandlerContext,
    *,
    referral_id: str,
    partner: str,
    need: str,
    client_name: str,
    summary: str,
    consent_given: bool,
    urgent: bool = False,
    contact: dict | None = None,
    language: str = "",
    accessibility_needs: str = "",
) -> dict[str, Any]:
    """Queue the referral for the partner's channel; refuses without the client's consent.

    How to reach the client (`contact`: preference, phone, email), their language and their
    accessibility needs are personal information: they travel only inside a consented referral
    (`shared_details`), so a diagram cannot leak them by passing `consent_given=False`.
    """
    if not consent_given:
        raise HandlerInputError("send_referral: the client has not consented to share it")
    if not referral_id.strip():
        raise HandlerInputError("send_referral: referral_id is empty")
    if not PARTNER_KEY.fullmatch(partner):
        raise HandlerInputError(f"send_referral: unknown partner {partner!r}")
    if need not in NEEDS:
        raise HandlerInputError(f"send_referral: unknown need {need!r}")
    if not summary.strip() or not client_name.strip():
        raise HandlerInputError("send_referral: client_name and summary are required")
    payload: dict[str, Any] = {
        "referral_id": referral_id,
        "case_number": ctx.business_key,
        "client_name": client_name,
        "need": need,
        "reason": summary,
        "urgent": urgent,
        "consent_given": consent_given,
    }
    payload.update(shared_details(consent_given, contact, language, accessibility_needs))
    ctx.emit(
        OutboxMessage(
            channel="partner",
            recipient=partner,
            subject=f"{'URGENT ' if urgent else ''}Referral {referral_id}: {NEEDS[need]}",
            body=summary,
            payload=payload,
            kind="referral",
        )
    )
    return {"referral_id": referral_id, "partner": partner, "sent_at": ctx.now.isoformat()}


CONTACT_KEYS = ("preference", "phone", "email")


def shared_details(
    consent_given: bool, contact: dict | None, language: str, accessibility_needs: str
) -> dict[str, Any]:
    """The personal details a referral may carry: none without consent; with it, only the
    non-empty contact fields, the language and the accessibility needs."""
    if not consent_given:
        return {}
    contact = contact or {}
    unknown = sorted(set(contact) - set(CONTACT_KEYS))
    if unknown:
        raise HandlerInputError(f"send_referral: unknown contact field(s) {', '.join(unknown)}")
    shared: dict[str, Any] = {}
    kept = {k: str(v).strip() for k, v in contact.items() if isinstance(v, str) and v.strip()}
    if kept:
        shared["contact"] = kept
    if language.strip():
        shared["language"] = language.strip()
    if accessibility_needs.strip():
        shared["accessibility_needs"] = accessibility_needs.strip()
    return shared


SURVEY_CHANNELS = ("mail", "email", "sms")


def closure_survey(
    ctx: HandlerContext, *, recipient: str, channel: str, need: str = "", partner: str = ""
) -> dict[str, Any]:
    """Send the client the optional closure survey. Its code is this instance's id: the client
    (through the portal) or staff (from a mailed form) answer it with POST /api/surveys/{code}."""
    if channel not in SURVEY_CHANNELS:
        raise HandlerInputError(f"closure_survey: channel must be one of {SURVEY_CHANNELS}")
    if not recipient.strip():
        raise HandlerInputError("closure_survey: recipient is empty")
    ctx.emit(
        OutboxMessage(
            channel=channel,
            recipient=recipient,
            subject="closure_survey",
            payload={"survey": ctx.instance_id, "need": need, "partner": partner},
            kind="closure_survey",
        )
    )
    return {"survey": ctx.instance_id, "sent_at": ctx.now.isoformat()}


def register(registry: HandlerRegistry) -> None:
    registry.register("plan_referrals", plan_referrals)
    registry.register("send_referral", send_referral)
    registry.register("closure_survey", closure_survey)
