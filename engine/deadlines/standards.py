"""Service standards: every figure a diagram relies on, with its sourced Ontario default.

Municipalities set their own local standards, so diagrams never hard-code a figure: they ask
`standard("applicant_contact_business_days")`. Override any value in a JSON file named by
CASEWAY_STANDARDS_CONFIG, for every office or, under "offices", for one. A figure no public
source sets is marked "local policy": the office's own choice, shipped as a default.
Sources: ../shared/SERVICE_STANDARDS.md (re-check against the live directives before relying
on a figure in production).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

LOCAL_POLICY = "local policy"

DEFAULTS: Mapping[str, tuple[Any, str]] = {
    "applicant_contact_business_days": (2, "MSDSB OW intake guidelines 2.1: contact in 48 hours"),
    "applicant_seen_business_days": (5, "MSDSB OW intake guidelines 2.1: seen by 5th working day"),
    "emergency_decision_business_days": (4, "Emergency assistance decided in 4 business days"),
    # "No place to stay tonight": decided by closing time of the business day of the request.
    "emergency_urgent_decision_business_days": (0, f"{LOCAL_POLICY}: urgent need, same day"),
    "emergency_payment_deposit_business_days": (2, "Emergency payment by deposit: 2 days"),
    "emergency_payment_cheque_business_days": (7, "Emergency payment by cheque: 7 days"),
    "emergency_assistance_max_days": (48, "OW Policy Directive 2.3"),
    # Unscheduled (walk-in) clients seen before closing on the day they come in; an office
    # that sees walk-ins within a few hours sets unscheduled_client_seen_business_hours instead.
    "unscheduled_client_seen_business_days": (0, f"{LOCAL_POLICY}: walk-ins seen the same day"),
    "unscheduled_client_seen_business_hours": (0, f"{LOCAL_POLICY}: 0 = use the day standard"),
    # The province grants and refers; the municipal first meeting counts from the hand-off.
    "provincial_first_meeting_business_days": (
        5,
        f"{LOCAL_POLICY}: after MSDSB 2.1 (seen by the 5th working day from referral)",
    ),
    "outstanding_documents_days": (90, "OW Policy Directive 2.1: 90 days for documents"),
    "document_reminder_days": (30, "Caseway default: remind a third of the way in"),
    "action_plan_first_review_days": (30, "OW Policy Directive 2.5: review 30 days after"),
    "action_plan_review_months": (3, "OW Policy Directive 2.5: then every 3 months"),
    "internal_review_request_days": (30, "ontario.ca: request a review within 30 days"),
    "mailed_decision_received_after_days": (3, "Mailed decision counts as received in 3 days"),
    "late_review_request_days": (30, f"{LOCAL_POLICY}: late review requests considered 30 days"),
    "internal_review_answer_days": (30, "Social Benefits Tribunal: answer within 30 days"),
    "appeal_days": (30, "Social Benefits Tribunal: appeal within 30 days"),
    "return_call_business_days": (2, f"{LOCAL_POLICY}: return client calls in 2 business days"),
    "complaint_answer_business_days": (5, "Toronto ESS: written complaint answer in 5 days"),
    "referral_follow_up_business_days": (5, "Caseway default: follow up unaccepted referrals"),
    "discretionary_approval_threshold": (
        250,
        "Local policy: front-line staff decide discretionary benefits up to $250, "
        "supervisors above",
    ),
    # -- needs assessment, warm referrals, discretionary benefits (docs/workflows.md) ----------
    "first_meeting_business_days": (
        5,
        "Local policy, after MSDSB intake guidelines 2.1 (seen by the 5th working day): first "
        "meeting when the provincial hand-off gives no date",
    ),
    "referral_prepare_business_days": (5, "Local policy: prepare a referral with the client"),
    "referral_urgent_business_days": (
        1,
        "Local policy: an urgent referral is prepared and followed up after 1 business day",
    ),
    "referral_max_follow_ups": (3, "Local policy: follow-ups before choosing another partner"),
    "referral_connection_business_days": (
        10,
        "Local policy: confirm the client met the partner within 10 business days of acceptance",
    ),
    "benefit_decision_business_days": (5, "Local policy: decide a discretionary benefit"),
    "escalation_supervisor_notice_business_days": (
        1,
        "Local policy: tell the supervisor 1 business day after a missed deadline",
    ),
    "escalation_reassign_business_days": (
        3,
        "Local policy: reassign to the supervisor queue 3 business days after the deadline",
    ),
    "escalated_task_business_days": (1, f"{LOCAL_POLICY}: an escalated task is due in 1 day"),
    "caseload_per_caseworker": (60, f"{LOCAL_POLICY}: cases per caseworker"),
    "escalation_reminder_supervisor_business_days": (
        1,
        f"{LOCAL_POLICY}: supervisor told 1 business day after the deadline",
    ),
    "unreachable_contact_attempts": (3, f"{LOCAL_POLICY}: documented attempts before closing"),
}


OFFICES = "offices"


class StandardsConfigError(ValueError):
    pass


class UnknownStandard(KeyError):
    pass


def load_standards(path: Path | None) -> dict[str, Any]:
    values = {name: value for name, (value, _source) in DEFAULTS.items()}
    if path is None:
        return values
    try:
        overrides = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise StandardsConfigError(f"{path}: cannot read standards: {exc}") from exc
    if not isinstance(overrides, dict):
        raise StandardsConfigError(f"{path}: expected a JSON object of name → value")
    offices = overrides.pop(OFFICES, {})
    values.update(_checked(path, overrides))
    if not isinstance(offices, dict):
        raise StandardsConfigError(f"{path}: {OFFICES} must map office → standards")
    values[OFFICES] = {office: _checked(path, own) for office, own in offices.items()}
    return values


def _checked(path: Path, overrides: Any) -> dict[str, Any]:
    if not isinstance(overrides, dict):
        raise StandardsConfigError(f"{path}: expected a JSON object of name → value")
    for name, value in overrides.items():
        if name not in DEFAULTS:
            raise StandardsConfigError(f"{path}: unknown standard {name!r}")
        if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
            raise StandardsConfigError(f"{path}: {name} must be a non-negative number")
    return dict(overrides)


def for_office(values: Mapping[str, Any], office: str) -> dict[str, Any]:
    """The standards one office works to: the defaults and file values, then the office's own
    (`{"offices": {"sudbury": {"unscheduled_client_seen_business_hours": 2}}}`)."""
    own = (values.get(OFFICES) or {}).get(office) or {}
    return {**{k: v for k, v in values.items() if k != OFFICES}, **own}


def standard_function(values: Mapping[str, Any]) -> Any:
    def standard(name: str) -> Any:
        if name not in values:
            raise UnknownStandard(f"no service standard named {name!r}")
        return values[name]

    return standard
