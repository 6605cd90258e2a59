"""What the load test's simulated staff type into each form of the shipped workflows.

One builder per user task name: valid data for the task's form (the JSON Schemas in forms/),
with a little variety drawn from the caller's seeded RNG so that cases take the realistic
branches (urgent needs, outstanding documents, denials, referrals, benefit requests, high-risk
plans). The payloads follow the ones tests/workflows/ completes the same tasks with.
`check_payloads()` validates every variant against its form, the way the server does.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from jsonschema import Draft202012Validator

from engine.config import REPO_ROOT

FORMS = REPO_ROOT / "forms"
Payload = dict[str, Any]
Builder = Callable[[random.Random, date], Payload]

FIRST_NAMES = ["Jordan", "Alex", "Sam", "Robin", "Taylor", "Morgan", "Jamie", "Casey", "Riley"]
LAST_NAMES = ["Smith", "Tremblay", "Martin", "Roy", "Gagnon", "Lee", "Wilson", "Bouchard"]
NEEDS = [
    "housing",
    "income",
    "food_security",
    "health",
    "addictions",
    "childcare",
    "employment_readiness",
    "financial_empowerment",
    "legal",
    "safety",
]
PARTNER_FOR_NEED = {
    "housing": "housing_services",
    "employment_readiness": "employment_ontario",
    "food_security": "food_bank",
    "health": "mental_health",
    "legal": "legal_clinic",
}


def _applicant(rng: random.Random, today: date) -> Payload:
    branch = rng.random()
    request = "temporary_care" if branch < 0.6 else "under_18" if branch < 0.7 else "other"
    urgent = rng.choice(["no_food", "no_place_tonight"]) if rng.random() < 0.1 else "none"
    return {
        "applicant": {
            "name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
            "date_of_birth": (today - timedelta(days=rng.randint(18 * 365, 70 * 365))).isoformat(),
            "phone": f"705-555-{rng.randint(0, 9999):04d}",
            "street_address": f"{rng.randint(1, 999)} Elm Street",
            "municipality": "Greater Sudbury",
            "postal_code": "P3A 1A1",
            "preferred_language": rng.choice(["en", "en", "fr"]),
        },
        "request": request,
        "urgent_need": urgent,
    }


def _contact(rng: random.Random, today: date) -> Payload:
    reached = rng.random() < 0.8
    data: Payload = {
        "contact_outcome": "reached" if reached else "not_reached",
        "contact_method": rng.choice(["phone", "phone", "in_person"]),
        "contacted_on": today.isoformat(),
        "urgent_need_flagged": False,
    }
    if reached:
        data["urgent_need"] = "none"
    return data


def _emergency(rng: random.Random, today: date) -> Payload:
    return {
        "emergency_granted": True,
        "emergency_amount": rng.choice([150, 250, 350]),
        "payment_method": "direct_deposit",
        "needs_covered": ["food"],
        "emergency_reason": "No food in the home.",
        "emergency_days": rng.choice([7, 14, 30]),
    }


def _local(rng: random.Random, today: date) -> Payload:
    if rng.random() < 0.15:
        return {"local_decision": "denied", "decision_explanation": "Not in your care."}
    return {
        "local_decision": "granted",
        "monthly_amount": rng.choice([250, 410]),
        "decision_explanation": "Temporary Care Assistance is granted.",
    }


def _internal_review(rng: random.Random, today: date) -> Payload:
    return {
        "review_outcome": "decision_upheld",
        "review_reasons": "Income is over the limit.",
        "reviewed_on": today.isoformat(),
    }


def _needs(rng: random.Random, today: date) -> Payload:
    domains: dict[str, Payload] = {need: {"level": "none"} for need in NEEDS}
    for need in rng.sample(NEEDS, rng.randint(1, 3)):
        domains[need] = {"level": rng.choice(["low", "moderate", "high"])}
    return {
        "domains": domains,
        "risk_level": rng.choice(["low", "medium", "medium", "high"]),
        "client_priorities": "Keep my apartment, then find work.",
    }


def _plan(rng: random.Random, today: date) -> Payload:
    action = {
        "action": "Apply to the rent bank",
        "responsible": "client",
        "target_date": (today + timedelta(days=14)).isoformat(),
    }
    referrals = {
        need: {"partner": PARTNER_FOR_NEED[need], "reason": "Agreed with the client"}
        for need in rng.sample(sorted(PARTNER_FOR_NEED), rng.randint(0, 2))
    }
    data: Payload = {
        "goals": [{"domain": "housing", "goal": "Keep the apartment", "actions": [action]}],
        "referrals": referrals,
        "benefit_requested": False,
    }
    if rng.random() < 0.25:
        data["benefit_requested"] = True
        data["benefit"] = {"purpose": "moving", "amount": 600, "justification": "Cheaper unit."}
    return data


def _benefit_approval(rng: random.Random, today: date) -> Payload:
    return {"approved": rng.random() < 0.8, "approval_note": "Within policy."}


def _referral(rng: random.Random, today: date) -> Payload:
    return {
        "consent_given": True,
        "consent_form": "written",
        "summary": "Client agreed to be referred; prefers mornings.",
        "contact_preference": rng.choice(["phone", "email"]),
        "language": "en",
        "client_contact": {"phone": "705-555-0100"},
    }


def _plan_review(rng: random.Random, today: date) -> Payload:
    high = rng.random() < 0.15
    return {
        "reviewed_on": today.isoformat(),
        "contact_type": rng.choice(["in_person", "phone"]),
        "progress": rng.choice(["no_progress", "some_progress", "goals_met"]),
        "risk_level": "high" if high else rng.choice(["low", "medium"]),
        "plan_changes": "Added a budgeting workshop.",
        "plan_status": "active" if high or rng.random() < 0.4 else "completed",
    }


def _plan_approval(rng: random.Random, today: date) -> Payload:
    approved = rng.random() < 0.85
    return {
        "plan_approved": approved,
        "supervisor_notes": "Safety plan is in place." if approved else "Add a safety plan.",
    }


def _plan_revision(rng: random.Random, today: date) -> Payload:
    return {"changes_made": "Safety plan added."}


# task name → (form key, builder). Only the tasks a 5-minute run can reach: partner answers
# (follow_up_partner and after) and the 30-day review window never come up.
TASKS: dict[str, tuple[str, Builder]] = {
    "record_application": ("intake_application", _applicant),
    "check_in": ("intake_application", _applicant),
    "contact_applicant": ("intake_contact", _contact),
    "contact_applicant_overdue": ("intake_contact", _contact),
    "decide_emergency": ("emergency_decision", _emergency),
    "decide_emergency_overdue": ("emergency_decision", _emergency),
    "decide_local": ("local_assistance_decision", _local),
    "decide_local_overdue": ("local_assistance_decision", _local),
    "conduct_review": ("internal_review_decision", _internal_review),
    "assess_needs": ("needs_assessment", _needs),
    "build_plan": ("service_plan", _plan),
    "approve_benefit": ("benefit_approval", _benefit_approval),
    "decide_benefit": ("benefit_approval", _benefit_approval),
    "prepare_referral": ("referral_prepare", _referral),
    "review_plan": ("plan_review", _plan_review),
    "review_overdue": ("plan_review", _plan_review),
    "approve_plan": ("plan_review_approval", _plan_approval),
    "revise_plan": ("plan_revision", _plan_revision),
}


def known(task_name: str) -> bool:
    return task_name in TASKS


def form_key(task_name: str) -> str:
    return TASKS[task_name][0]


def payload(task_name: str, rng: random.Random, today: date) -> Payload:
    """Valid form data for one completion of `task_name`."""
    return TASKS[task_name][1](rng, today)


def check_payloads(samples: int = 200, seed: int = 0) -> list[str]:
    """Every builder, `samples` times, against its form with formats checked; the problems."""
    problems: list[str] = []
    rng, today = random.Random(seed), date.today()
    for name, (key, build) in TASKS.items():
        schema = json.loads((FORMS / f"{key}.schema.json").read_text())
        validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
        for _ in range(samples):
            for error in validator.iter_errors(build(rng, today)):
                problems.append(f"{name} ({key}): {error.json_path}: {error.message}")
    return sorted(set(problems))
