"""The JSON Schema validator for forms: draft 2020-12 with every regular expression (`pattern`,
`patternProperties`, the `regex` format) matched by RE2 in linear time."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker, validators
from jsonschema.exceptions import ValidationError

from engine.definitions.linear_regex import PatternRefused, compile_pattern, search


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and not search(pattern, instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _pattern_properties(
    validator: Any, patterns: Mapping[str, Any], instance: Any, schema: Any
) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in patterns.items():
        for name, value in instance.items():
            if search(pattern, name):
                yield from validator.descend(value, subschema, path=name, schema_path=pattern)


def additional_properties(instance: Mapping[str, Any], schema: Any) -> list[str]:
    """Property names that neither `properties` nor `patternProperties` cover."""
    schema = schema if isinstance(schema, Mapping) else {}
    known = schema.get("properties", {})
    patterns = list(schema.get("patternProperties", {}))
    return [
        name
        for name in instance
        if name not in known and not any(search(p, name) for p in patterns)
    ]


def _additional_properties(
    validator: Any, allowed: Any, instance: Any, schema: Any
) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    extras = additional_properties(instance, schema)
    if validator.is_type(allowed, "object"):
        for extra in extras:
            yield from validator.descend(instance[extra], allowed, path=extra)
    elif not allowed and extras:
        listed = ", ".join(repr(e) for e in sorted(extras))
        yield ValidationError(f"Additional properties are not allowed ({listed} unexpected)")


def _regex_format(instance: object) -> bool:
    if not isinstance(instance, str):
        return True
    try:
        compile_pattern(instance)
    except PatternRefused:
        return False
    return True


FORMAT_CHECKER = FormatChecker()
FORMAT_CHECKER.checkers = dict(Draft202012Validator.FORMAT_CHECKER.checkers)
FORMAT_CHECKER.checkers["regex"] = (_regex_format, ())

FormValidator = validators.extend(
    Draft202012Validator,
    {
        "pattern": _pattern,
        "patternProperties": _pattern_properties,
        "additionalProperties": _additional_properties,
    },
)


def pattern_problems(schema: Any, where: str = "") -> Iterator[str]:
    """Every regular expression RE2 cannot compile, named by the field it guards; and
    `unevaluatedProperties` beside `patternProperties` (jsonschema would match those names
    with Python's backtracking `re`)."""
    if isinstance(schema, list):
        for index, item in enumerate(schema):
            yield from pattern_problems(item, f"{where}[{index}]")
        return
    if not isinstance(schema, dict):
        return
    field = where or "(form)"
    patterns = schema.get("patternProperties")
    if isinstance(schema.get("pattern"), str):
        yield from _refused(schema["pattern"], field)
    if isinstance(patterns, dict):
        for pattern in patterns:
            yield from _refused(pattern, f"{field} patternProperties")
        if "unevaluatedProperties" in schema:
            yield f"{field}: unevaluatedProperties cannot be combined with patternProperties"
    for key, value in schema.items():
        if key in ("pattern", "const", "enum", "default", "examples"):
            continue
        if key in ("properties", "patternProperties", "$defs", "definitions"):
            if isinstance(value, dict):
                for name, sub in value.items():
                    label = name if key == "properties" else f"{key}/{name}"
                    yield from pattern_problems(sub, f"{where}.{label}" if where else label)
            continue
        yield from pattern_problems(value, where)


def _refused(pattern: str, field: str) -> Iterator[str]:
    try:
        compile_pattern(pattern)
    except PatternRefused as exc:
        yield f"field {field}: {exc}"
