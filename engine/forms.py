"""User-task forms: JSON Schema (draft 2020-12) per form key, validated on the server."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

EMPTY_FORM: dict[str, Any] = {"type": "object", "properties": {}, "additionalProperties": True}


@dataclass(frozen=True)
class FormSpec:
    key: str
    schema: Mapping[str, Any]
    ui_schema: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


class FormInvalid(Exception):
    """Submitted data does not satisfy the task's form."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = errors


class FormProblem(ValueError):
    """A form file is missing or is not a valid JSON Schema."""


def check_schema(key: str, schema: Any) -> None:
    if not isinstance(schema, dict):
        raise FormProblem(f"form {key!r}: the schema must be a JSON object")
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        raise FormProblem(f"form {key!r}: not a valid JSON Schema: {exc.message}") from exc


def validate_submission(schema: Mapping[str, Any], data: Any) -> None:
    """Raise FormInvalid with one entry per failing field, named by JSON pointer-ish path."""
    validator = Draft202012Validator(schema)
    errors = []
    for error in sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path)):
        path = [str(p) for p in error.absolute_path]
        if error.validator == "required" and isinstance(error.instance, dict):
            missing = [name for name in error.validator_value if name not in error.instance]
            for name in missing:
                errors.append(FieldError(".".join([*path, name]), "is required"))
            continue
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            allowed = set(error.schema.get("properties", {}))
            for name in sorted(set(error.instance) - allowed):
                errors.append(FieldError(".".join([*path, name]), "is not a field of this form"))
            continue
        errors.append(FieldError(".".join(path) or "(form)", error.message))
    if errors:
        raise FormInvalid(list(dict.fromkeys(errors)))


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
