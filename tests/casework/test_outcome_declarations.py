"""Forms declare their outcomes (`x-outcomes`); a completion turns them into report rows."""

from __future__ import annotations

from engine.casework.outcomes import OutcomeRow, declaration_problems, extract

REFERRAL = {
    "x-outcomes": [
        {
            "kind": "referral",
            "result": "=not_connected",
            "reason": "why",
            "need": "need",
            "partner": "partner",
        },
        {"kind": "referral", "when": "closing", "result": "=need_closed", "reason": "closing"},
        {
            "kind": "referral",
            "unless": "consent",
            "result": "=not_connected",
            "reason": "=no_consent",
        },
    ]
}


def test_fields_come_from_the_submission_then_the_case():
    rows = extract(
        REFERRAL,
        {"why": "no_answer", "consent": True},
        {"need": "housing", "partner": "food_bank", "why": "stale"},
    )

    assert rows == [OutcomeRow("referral", "not_connected", "no_answer", "housing", "food_bank")]


def test_when_and_unless_read_only_the_submission():
    rows = extract(REFERRAL, {"closing": "need_met", "consent": False}, {"consent": True})

    assert [r.result for r in rows] == ["not_connected", "need_closed", "not_connected"]
    assert rows[2].reason == "no_consent"


def test_each_item_of_a_list_is_a_row_and_blank_results_are_skipped():
    schema = {
        "x-outcomes": [
            {"kind": "plan_goal", "each": "goals", "need": "domain", "result": "r"},
            {"kind": "financial", "each": "codes", "need": "=financial_empowerment"},
        ]
    }
    submitted = {
        "goals": [{"domain": "housing", "r": "achieved"}, {"domain": "legal", "r": ""}],
        "codes": ["bank_account_opened"],
    }

    rows = extract(schema, submitted, {})

    assert rows == [
        OutcomeRow("plan_goal", "achieved", None, "housing"),
        OutcomeRow("financial", "bank_account_opened", None, "financial_empowerment"),
    ]


def test_bad_declarations_are_named():
    problems = declaration_problems({"x-outcomes": [{"kind": "mood", "colour": "x"}]})

    assert problems == [
        "x-outcomes[0]: kind must be one of referral, plan_goal, financial, survey",
        "x-outcomes[0]: unknown key(s) colour",
        "x-outcomes[0]: names no result field",
    ]
