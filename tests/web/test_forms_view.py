"""JSON Schema → page fields, and submitted text → JSON data (engine.web.formview/formparse)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.datastructures import MultiDict

from engine.config import REPO_ROOT
from engine.definitions.forms import FieldError
from engine.web.formparse import explain, parse_submission, row_counts
from engine.web.formview import build_fields, flatten

SERVICE_PLAN = json.loads((REPO_ROOT / "forms" / "service_plan.schema.json").read_text())
SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["name", "count"],
    "properties": {
        "name": {"type": "string", "title": "Name", "x-title-fr": "Nom", "minLength": 1},
        "count": {"type": "integer", "title": "Count", "maximum": 5},
        "amount": {"type": "number", "title": "Amount"},
        "when": {"type": "string", "format": "date-time", "title": "When"},
        "ok": {"type": "boolean", "title": "OK"},
        "kinds": {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}},
        "note": {"type": "string", "maxLength": 2000},
        "address": {"$ref": "#/$defs/address", "title": "Address"},
    },
    "$defs": {
        "address": {
            "type": "object",
            "properties": {"city": {"type": "string", "title": "City"}},
        }
    },
}


@pytest.fixture
def page(app) -> Iterator[None]:  # type: ignore[no-untyped-def]
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        yield


def _kinds(fields) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {f.path: f.kind for f in flatten(fields)}


def test_each_schema_shape_gets_an_input(page):
    fields = build_fields(SCHEMA, None, {}, {})

    assert _kinds(fields) == {
        "name": "text",
        "count": "integer",
        "amount": "number",
        "when": "datetime",
        "ok": "boolean",
        "kinds": "checkboxes",
        "note": "textarea",
        "address.city": "text",
    }
    assert [f.required for f in fields[:3]] == [True, True, False]


def test_ui_order_puts_named_fields_first(page):
    fields = build_fields(SCHEMA, {"ui:order": ["note", "*", "name"]}, {}, {})

    assert [f.path for f in fields][0] == "note"
    assert [f.path for f in fields][-1] == "name"


def test_french_labels_come_from_the_schema(app):
    with app.test_request_context("/", headers={"Accept-Language": "fr"}):
        fields = build_fields(SERVICE_PLAN, None, {}, {})
        labels = {f.path: f.label for f in flatten(fields)}

    assert labels["goals.0.domain"] == "Domaine"
    assert labels["referrals.housing.partner"] == "Partenaire"


def test_lists_of_objects_become_rows_that_grow_on_request(page):
    counts, grow = row_counts(MultiDict([("rows.goals", "1"), ("add_row", "goals")]))

    fields = build_fields(SERVICE_PLAN, None, {}, {}, counts)
    goals = next(f for f in fields if f.path == "goals")

    assert grow == "goals"
    assert goals.kind == "rows" and [r.label for r in goals.children] == ["Goal 1", "Goal 2"]
    assert goals.children[0].children[2].kind == "rows"  # actions inside each goal


def test_submitted_text_becomes_typed_data(page):
    fields = build_fields(SCHEMA, None, {}, {})
    form = MultiDict(
        [
            ("f.name", "  Ana "),
            ("f.count", "3"),
            ("f.amount", "1 234,50"),
            ("f.when", "2027-03-01T09:30"),
            ("f.ok", "false"),
            ("f.kinds", "a"),
            ("f.kinds", "b"),
            ("f.note", ""),
            ("f.address.city", "Sudbury"),
        ]
    )

    data, errors, _raw = parse_submission(fields, form)

    assert errors == {}
    assert data == {
        "name": "Ana",
        "count": 3,
        "amount": 1234.5,
        "when": "2027-03-01T09:30:00-05:00",
        "ok": False,
        "kinds": ["a", "b"],
        "address": {"city": "Sudbury"},
    }


def test_unreadable_entries_are_reported_per_field(page):
    fields = build_fields(SCHEMA, None, {}, {})
    form = MultiDict([("f.count", "2.5"), ("f.amount", "twelve"), ("f.when", "soon")])

    _data, errors, raw = parse_submission(fields, form)

    assert errors == {
        "count": "Enter a whole number.",
        "amount": "Enter a number.",
        "when": "Enter a date and a time.",
    }
    assert raw["amount"] == "twelve"


def test_empty_rows_are_dropped_and_errors_follow_the_kept_rows(page):
    fields = build_fields(SERVICE_PLAN, None, {}, {}, {"goals": 2, "goals.1.actions": 1})
    form = MultiDict(
        [
            ("f.goals.0.goal", ""),
            ("f.goals.1.goal", "Find housing"),
            ("f.goals.1.domain", "housing"),
            ("f.goals.1.actions.0.action", "Call the shelter"),
            ("f.goals.1.actions.0.target_date", "2027-02-01"),
            ("f.goals.1.actions.0.responsible", "client"),
        ]
    )

    data, errors, raw = parse_submission(fields, form)

    assert errors == {}
    assert data["goals"] == [
        {
            "domain": "housing",
            "goal": "Find housing",
            "actions": [
                {"action": "Call the shelter", "responsible": "client", "target_date": "2027-02-01"}
            ],
        }
    ]
    assert len(raw["goals"]) == 1


def test_server_errors_are_worded_from_the_failing_keyword(page):
    data = {"name": "", "count": 9}
    errors = [
        FieldError("name", "'' should be non-empty"),
        FieldError("count", "9 is greater than the maximum of 5"),
        FieldError("other", "is not a field of this form"),
        FieldError("(form)", "something about the whole form"),
    ]

    by_field, general = explain(SCHEMA, data, errors)

    assert by_field == {
        "name": "This field cannot be empty.",
        "count": "Enter 5 or less.",
        "other": "This is not a field of this form.",
    }
    assert general == ["something about the whole form"]


def test_errors_inside_rows_and_refs_are_found(page):
    data = {"goals": [{"domain": "housing", "goal": "x", "actions": [{"target_date": "soon"}]}]}
    errors = [FieldError("goals.0.actions.0.target_date", "'soon' is not a 'date'")]

    by_field, _ = explain(SERVICE_PLAN, data, errors)

    assert by_field == {"goals.0.actions.0.target_date": "Enter a date as YYYY-MM-DD."}


def test_stored_values_are_shown_in_their_inputs(page):
    values = {"when": "2027-03-01T14:30:00+00:00", "ok": True, "kinds": ["b"]}

    fields = {f.path: f for f in build_fields(SCHEMA, None, values, {"name": "bad"})}

    assert fields["when"].value == "2027-03-01T09:30"  # office time
    assert fields["ok"].value == "true"
    assert [o.value for o in fields["kinds"].options if fields["kinds"].selected(o)] == ["b"]
    assert fields["name"].error == "bad"
