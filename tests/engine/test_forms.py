"""Form submissions: one error per failing field, named so the UI can put it next to the field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from engine.config import REPO_ROOT
from engine.definitions.forms import (
    FieldError,
    FormInvalid,
    FormProblem,
    FormSource,
    FormSpec,
    check_schema,
    parse_uploaded_form,
    validate_submission,
)

BENEFIT_REQUEST = json.loads((REPO_ROOT / "forms" / "benefit_request.schema.json").read_text())
APPLICANT = {
    "type": "object",
    "required": ["name", "address"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "age": {"type": "integer", "minimum": 0},
        "address": {
            "type": "object",
            "required": ["street", "city"],
            "additionalProperties": False,
            "properties": {
                "street": {"type": "string"},
                "city": {"type": "string", "enum": ["Sudbury", "Ottawa"]},
            },
        },
        "children": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name"],
                "properties": {"name": {"type": "string"}},
            },
        },
    },
}


def field_errors(schema: dict[str, Any], data: Any) -> list[FieldError]:
    with pytest.raises(FormInvalid) as caught:
        validate_submission(schema, data)
    return caught.value.errors


def fields(schema: dict[str, Any], data: Any) -> list[str]:
    return [e.field for e in field_errors(schema, data)]


def test_valid_submission_passes() -> None:
    data = {"client_name": "Ann", "purpose": "dental", "amount": 120.5}

    assert validate_submission(BENEFIT_REQUEST, data) is None


def test_each_missing_required_field_is_named_once() -> None:
    errors = field_errors(BENEFIT_REQUEST, {})

    assert sorted(errors, key=lambda e: e.field) == [
        FieldError("amount", "is required"),
        FieldError("client_name", "is required"),
        FieldError("purpose", "is required"),
    ]


def test_wrong_type_names_the_field() -> None:
    data = {"client_name": "Ann", "purpose": "dental", "amount": "lots"}

    errors = field_errors(BENEFIT_REQUEST, data)

    assert [e.field for e in errors] == ["amount"]
    assert "number" in errors[0].message


def test_boolean_is_not_a_number() -> None:
    data = {"client_name": "Ann", "purpose": "dental", "amount": True}

    assert fields(BENEFIT_REQUEST, data) == ["amount"]


def test_value_outside_enum_names_the_field() -> None:
    data = {"client_name": "Ann", "purpose": "yacht", "amount": 10}

    errors = field_errors(BENEFIT_REQUEST, data)

    assert [e.field for e in errors] == ["purpose"]
    assert "dental" in errors[0].message  # the allowed values are shown


def test_each_unknown_field_is_named() -> None:
    data = {"client_name": "Ann", "purpose": "dental", "amount": 1, "colour": "red", "x": 1}

    errors = field_errors(BENEFIT_REQUEST, data)

    assert sorted(errors, key=lambda e: e.field) == [
        FieldError("colour", "is not a field of this form"),
        FieldError("x", "is not a field of this form"),
    ]


def test_field_failing_several_rules_is_reported_once() -> None:
    schema = {
        "type": "object",
        "properties": {"code": {"type": "string", "minLength": 5, "pattern": "^[A-Z]+$"}},
    }

    errors = field_errors(schema, {"code": "ab"})

    assert [e.field for e in errors] == ["code"]


def test_nested_object_errors_use_dotted_paths() -> None:
    data = {"name": "", "address": {"city": "Toronto", "zip": "P3A"}, "age": -1}

    errors = fields(APPLICANT, data)

    assert sorted(errors) == ["address.city", "address.street", "address.zip", "age", "name"]
    assert len(errors) == len(set(errors))


def test_errors_inside_arrays_name_the_item() -> None:
    data = {
        "name": "Ann",
        "address": {"street": "1 Elm", "city": "Sudbury"},
        "children": [{"name": "Bo"}, {}],
    }

    assert fields(APPLICANT, data) == ["children.1.name"]


def test_a_non_object_submission_is_a_form_level_error() -> None:
    assert fields(BENEFIT_REQUEST, ["not", "an", "object"]) == ["(form)"]


def test_pattern_properties_are_not_reported_as_unknown() -> None:
    schema = {
        "type": "object",
        "patternProperties": {"^note_": {"type": "string"}},
        "additionalProperties": False,
    }

    assert validate_submission(schema, {"note_1": "ok"}) is None
    assert fields(schema, {"note_1": "ok", "other": 1}) == ["other"]


def test_formats_are_checked() -> None:
    schema = {"type": "object", "properties": {"born": {"type": "string", "format": "date"}}}

    assert validate_submission(schema, {"born": "1990-04-01"}) is None
    assert fields(schema, {"born": "01/04/1990"}) == ["born"]


def test_form_invalid_message_lists_fields() -> None:
    with pytest.raises(FormInvalid) as caught:
        validate_submission(BENEFIT_REQUEST, {"client_name": "Ann", "purpose": "dental"})

    assert str(caught.value) == "amount: is required"


# -- form files -----------------------------------------------------------------------------------


def test_shipped_forms_load_from_the_forms_folder() -> None:
    source = FormSource(REPO_ROOT / "forms")

    assert source.get("benefit_request").schema == BENEFIT_REQUEST
    assert source.get("benefit_approval").schema["required"] == ["approved"]


@pytest.mark.parametrize("key", ["missing_form", "../forms/benefit_request", "a/b"])
def test_unknown_or_path_like_form_keys_are_not_found(key: str) -> None:
    with pytest.raises(FormProblem, match="not found"):
        FormSource(REPO_ROOT / "forms").get(key)


def test_uploaded_form_wins_over_the_folder(tmp_path: Path) -> None:
    (tmp_path / "f.schema.json").write_text('{"type": "object"}')
    key, uploaded = parse_uploaded_form("f.schema.json", b'{"type": "object", "title": "new"}')

    assert isinstance(uploaded, FormSpec)

    source = FormSource(tmp_path, {key: uploaded})

    assert source.get("f").schema["title"] == "new"


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "strnig"},
        {"properties": {"a": {"$ref": "https://elsewhere.example/a.json"}}},
        {"properties": {"a": {"$ref": "#/$defs/missing"}}},
        ["not", "an", "object"],
    ],
    ids=["bad-type", "remote-ref", "dangling-ref", "array"],
)
def test_schemas_that_would_fail_at_completion_are_refused_up_front(schema: Any) -> None:
    with pytest.raises(FormProblem, match="'f'"):
        check_schema("f", schema)


def test_local_refs_are_accepted_and_used() -> None:
    schema = {
        "$defs": {"amount": {"type": "number"}},
        "type": "object",
        "properties": {"a": {"$ref": "#/$defs/amount"}},
    }

    check_schema("f", schema)

    assert fields(schema, {"a": "x"}) == ["a"]


CONSTRAINING = ("if", "then", "else", "not", "allOf", "anyOf", "oneOf", "dependentSchemas")


def _objects(node: Any, path: str = "") -> list[tuple[str, dict]]:
    """Every object schema of a form that declares fields. Subschemas that only add rules to
    fields declared elsewhere (`if`/`then`/`else`, `not`, `allOf`/`anyOf`/`oneOf`,
    `dependentSchemas`) are left out: the object they apply to decides which keys exist."""
    found: list[tuple[str, dict]] = []
    if isinstance(node, dict):
        if "properties" in node or node.get("type") == "object":
            found.append((path or "(top)", node))
        for key, value in node.items():
            if key not in CONSTRAINING:
                found += _objects(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            found += _objects(item, f"{path}[{index}]")
    return found


@pytest.mark.parametrize(
    "form", sorted((REPO_ROOT / "forms").glob("*.schema.json")), ids=lambda p: p.name
)
def test_every_shipped_form_names_all_the_fields_it_accepts(form: Path):
    schema = json.loads(form.read_text(encoding="utf-8"))

    open_objects = [
        path
        for path, node in _objects(schema)
        if node.get("additionalProperties") is not False
        and "unevaluatedProperties" not in node
        and "properties" in node
    ]

    assert open_objects == [], f"{form.name}: objects that accept any field"
