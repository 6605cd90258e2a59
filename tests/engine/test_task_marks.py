"""Inbox marks from a task's data: priority and the detail line (engine/runtime/task_marks.py)."""

from __future__ import annotations

from engine.definitions.forms import FormInvalid, validate_submission
from engine.runtime.task_marks import HIGH, NORMAL, URGENT, detail_of, priority_of


def test_priority_comes_from_the_property_then_the_data() -> None:
    assert priority_of({"priority": "urgent"}, {}) == URGENT
    assert priority_of({"priority": "is_urgent"}, {"is_urgent": True}) == URGENT
    assert priority_of({}, {"priority": "high"}) == HIGH
    assert priority_of({}, {"urgent": True}) == URGENT
    assert priority_of({}, {"urgent": "yes"}) == NORMAL


def test_the_detail_line_names_the_need_and_partner() -> None:
    template = {"titleDetail": "{need} · {partner}"}

    assert detail_of(template, {"need": "housing", "partner": "Cochrane House"}) == (
        "Housing · Cochrane House"
    )
    assert detail_of(template, {"need": "food_security"}) == "Food security"
    assert detail_of({}, {"need": "x"}) is None


def test_formats_and_dates_not_in_the_future() -> None:
    schema = {
        "type": "object",
        "properties": {
            "email": {"type": "string", "format": "email"},
            "postal": {"type": "string", "format": "postal-code-ca"},
            "phone": {"type": "string", "format": "phone"},
            "born": {"type": "string", "format": "date", "x-not-future": True},
        },
    }
    from datetime import date

    good = {"email": "marie@example.ca", "postal": "p3a 1a1", "phone": "(705) 555-0123"}
    validate_submission(schema, {**good, "born": "1990-01-01"}, today=date(2027, 1, 4))
    bad = {"email": "marie@@example", "postal": "12345", "phone": "abc", "born": "2031-01-01"}
    try:
        validate_submission(schema, bad, today=date(2027, 1, 4))
    except FormInvalid as exc:
        assert sorted(e.field for e in exc.errors) == ["born", "email", "phone", "postal"]
    else:
        raise AssertionError("accepted")
