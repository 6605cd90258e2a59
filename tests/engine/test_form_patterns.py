"""Form regular expressions run on RE2: a catastrophic-backtracking pattern is matched in linear
time, and a pattern RE2 cannot compile is refused at deploy, naming the form and the field."""

from __future__ import annotations

import time

import pytest

from engine.definitions.forms import FormInvalid, FormProblem, check_schema, validate_submission

EVIL = "^(a+)+$"


def _form(pattern: str) -> dict:
    return {
        "type": "object",
        "properties": {"code": {"type": "string", "pattern": pattern}},
        "additionalProperties": False,
    }


def test_backtracking_pattern_answers_at_once() -> None:
    # Python's `re` takes ~30 s of CPU on this; RE2 has no backtracking to blow up. CPU time,
    # not wall time: another process keeping the machine busy does not count.
    started = time.process_time()
    with pytest.raises(FormInvalid, match="code"):
        validate_submission(_form(EVIL), {"code": "a" * 28 + "!"})
    assert time.process_time() - started < 0.5


def test_backtracking_pattern_properties_answer_at_once() -> None:
    schema = {"type": "object", "patternProperties": {EVIL: {"type": "integer"}}}
    schema["additionalProperties"] = False
    started = time.process_time()
    with pytest.raises(FormInvalid, match="is not a field of this form"):
        validate_submission(schema, {"a" * 28 + "!": 1})
    validate_submission(schema, {"aaaa": 1})
    assert time.process_time() - started < 0.5


def test_ordinary_patterns_still_match() -> None:
    validate_submission(_form(r"^[A-Z]\d[A-Z] ?\d[A-Z]\d$"), {"code": "P3E 2C6"})
    with pytest.raises(FormInvalid, match="does not match"):
        validate_submission(_form(r"^[A-Z]\d[A-Z] ?\d[A-Z]\d$"), {"code": "nope"})


@pytest.mark.parametrize("pattern", [r"(a)\1", "(?=a)b", "a{2000}"])
def test_pattern_re2_cannot_compile_is_refused_naming_form_and_field(pattern: str) -> None:
    with pytest.raises(FormProblem, match=r"form 'intake'.*field code.*not supported"):
        check_schema("intake", _form(pattern))


def test_refused_pattern_properties_and_nested_fields_are_named() -> None:
    schema = {
        "type": "object",
        "properties": {"address": {"type": "object", "patternProperties": {"(?!x)": {}}}},
    }
    with pytest.raises(FormProblem, match="field address patternProperties"):
        check_schema("intake", schema)
