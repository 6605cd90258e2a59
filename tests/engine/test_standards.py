"""Service standards are configuration with sourced defaults, never constants in diagrams."""

from __future__ import annotations

import json

import pytest

from engine.deadlines.standards import (
    DEFAULTS,
    StandardsConfigError,
    UnknownStandard,
    load_standards,
    standard_function,
)


def test_defaults_carry_their_source():
    values = load_standards(None)

    assert values["emergency_decision_business_days"] == 4
    assert values["internal_review_request_days"] == 30
    assert all(source for _value, source in DEFAULTS.values())


def test_an_office_overrides_a_figure(tmp_path):
    path = tmp_path / "standards.json"
    path.write_text(json.dumps({"return_call_business_days": 1}))

    values = load_standards(path)

    assert values["return_call_business_days"] == 1
    assert values["applicant_contact_business_days"] == 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"no_such_standard": 3}', "unknown standard"),
        ('{"appeal_days": "thirty"}', "non-negative number"),
        ('{"appeal_days": -1}', "non-negative number"),
        ("[1, 2]", "JSON object"),
        ("{not json", "cannot read"),
    ],
)
def test_bad_standards_files_name_the_problem(tmp_path, content, message):
    path = tmp_path / "standards.json"
    path.write_text(content)

    with pytest.raises(StandardsConfigError, match=message):
        load_standards(path)


def test_unknown_standard_in_a_diagram_is_a_clear_error():
    standard = standard_function(load_standards(None))

    with pytest.raises(UnknownStandard, match="no service standard named 'typo'"):
        standard("typo")
