"""User-task forms: JSON Schema (draft 2020-12) per form key, validated on the server."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError, ValidationError
from referencing import Registry
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

from engine.definitions.form_validator import (
    additional_properties,
    pattern_problems,
    validator_for,
)
from engine.errors import Invalid

# The schema of a task without a form: it takes no data. Were it open, completing such a task
# could write any case variable (say `approved: true`) that a later gateway reads.
EMPTY_FORM: dict[str, Any] = {"type": "object", "properties": {}, "additionalProperties": False}


@dataclass(frozen=True)
class FormSpec:
    key: str
    schema: Mapping[str, Any]
    ui_schema: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


class FormInvalid(Invalid):
    """Submitted data does not satisfy the task's form."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = errors

    @property
    def detail(self) -> str:
        return "the form data is not valid"

    def problem_fields(self) -> dict[str, Any]:
        return {"errors": [{"field": f"data.{e.field}", "message": e.message} for e in self.errors]}


class FormProblem(ValueError):
    """A form file is missing or is not a valid JSON Schema."""


def check_schema(key: str, schema: Any) -> None:
    if not isinstance(schema, dict):
        raise FormProblem(f"form {key!r}: the schema must be a JSON object")
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        raise FormProblem(f"form {key!r}: not a valid JSON Schema: {exc.message}") from exc
    _check_refs(key, schema)
    problems = list(pattern_problems(schema))
    if problems:
        raise FormProblem(f"form {key!r}: " + "; ".join(problems))


def _check_refs(key: str, schema: dict[str, Any]) -> None:
    """A `$ref` that does not resolve would fail every completion of the task, not the deploy."""
    resource = DRAFT202012.create_resource(schema)
    base = resource.id() or ""
    resolver = Registry().with_resource(base, resource).resolver(base_uri=base)
    for ref in _refs(schema):
        try:
            resolver.lookup(ref)
        except Unresolvable as exc:
            message = f"form {key!r}: $ref {ref!r} does not resolve inside the form"
            raise FormProblem(message) from exc


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for name, value in node.items():
            if name == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def validate_submission(schema: Mapping[str, Any], data: Any, today: date | None = None) -> None:
    """Raise FormInvalid with one entry per failing field, named by its dotted path.

    Formats (`date`, `email`, `phone`, `postal-code-ca`, …) are checked: a form that asks for a
    date gets a date; with `today`, `x-not-future` dates are checked too.
    """
    validator = validator_for(schema, today)
    found: dict[str, str] = {}
    for error in sorted(validator.iter_errors(data), key=_error_order):
        for name, message in _field_errors(error):
            found.setdefault(name, message)
    if found:
        raise FormInvalid([FieldError(name, message) for name, message in found.items()])


def _error_order(error: ValidationError) -> tuple[tuple[int, int | str], ...]:
    return tuple((0, p) if isinstance(p, int) else (1, str(p)) for p in error.absolute_path)


def _field_errors(error: ValidationError) -> list[tuple[str, str]]:
    path = [str(p) for p in error.absolute_path]
    if error.validator == "required" and isinstance(error.instance, dict):
        names = [n for n in error.validator_value if n not in error.instance]
        return [(".".join([*path, n]), "is required") for n in names]
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        names = additional_properties(error.instance, error.schema)
        return [(".".join([*path, n]), "is not a field of this form") for n in names]
    return [(".".join(path) or "(form)", error.message)]


class FormSource:
    """Finds forms by key: uploaded parts first, then the forms directory."""

    def __init__(
        self, directory: Path | None, uploaded: Mapping[str, FormSpec] | None = None
    ) -> None:
        self.directory = directory
        self.uploaded = dict(uploaded or {})

    def get(self, key: str) -> FormSpec:
        if key in self.uploaded:
            return self.uploaded[key]
        if self.directory is None:
            raise FormProblem(f"form {key!r} was not uploaded and no forms directory is set")
        schema_path = self.directory / f"{key}.schema.json"
        if not _safe_key(key) or not schema_path.is_file():
            raise FormProblem(f"form {key!r} not found (expected {key}.schema.json)")
        schema = _read_json(schema_path)
        check_schema(key, schema)
        ui_path = self.directory / f"{key}.uischema.json"
        ui = _read_json(ui_path) if ui_path.is_file() else None
        return FormSpec(key, schema, ui)


def parse_uploaded_form(filename: str, content: bytes) -> tuple[str, FormSpec | dict[str, Any]]:
    """Return (key, FormSpec) for `key.schema.json`/`key.json`, or (key, ui dict) for ui schema."""
    name = Path(filename).name
    try:
        document = json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FormProblem(f"{name}: not valid JSON: {exc}") from exc
    if name.endswith(".uischema.json"):
        key = name.removesuffix(".uischema.json")
        if not isinstance(document, dict):
            raise FormProblem(f"{name}: a UI schema must be a JSON object")
        return key, document
    key = name.removesuffix(".json").removesuffix(".schema")
    check_schema(key, document)
    return key, FormSpec(key, document)


def _safe_key(key: str) -> bool:
    return bool(key) and all(ch.isalnum() or ch in "_-." for ch in key) and ".." not in key


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise FormProblem(f"{path.name}: cannot read JSON: {exc}") from exc
