"""The JSON Schema validator for forms: draft 2020-12 with every regular expression (`pattern`,
`patternProperties`, the `regex` format) matched by RE2 in linear time."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date
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


# Formats the office's forms use, stricter than jsonschema's defaults (its `email` only looks
# for an "@"). Canadian postal code and North American phone number are our own names.
_EMAIL = r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$"
_POSTAL_CODE_CA = r"^[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z] ?\d[ABCEGHJ-NPRSTV-Z]\d$"
_PHONE = r"^\+?1?[ .-]?\(?[2-9]\d{2}\)?[ .-]?\d{3}[ .-]?\d{4}( *(x|ext\.?) *\d{1,6})?$"


def _matches(pattern: str, *, upper: bool = False) -> Any:
    def check(instance: object) -> bool:
        if not isinstance(instance, str):
            return True
        return search(pattern, instance.strip().upper() if upper else instance.strip())

    return check


FORMAT_CHECKER = FormatChecker()
FORMAT_CHECKER.checkers = dict(Draft202012Validator.FORMAT_CHECKER.checkers)
FORMAT_CHECKER.checkers["regex"] = (_regex_format, ())
FORMAT_CHECKER.checkers["email"] = (_matches(_EMAIL), ())
FORMAT_CHECKER.checkers["postal-code-ca"] = (_matches(_POSTAL_CODE_CA, upper=True), ())
FORMAT_CHECKER.checkers["phone"] = (_matches(_PHONE), ())

NOT_FUTURE = "x-not-future"  # `true` on a `date`/`date-time` field: not after today

FormValidator = validators.extend(
    Draft202012Validator,
    {
        "pattern": _pattern,
        "patternProperties": _pattern_properties,
        "additionalProperties": _additional_properties,
    },
)


def validator_for(schema: Mapping[str, Any], today: date | None = None) -> Any:
    """The form validator; with `today`, `x-not-future: true` refuses later dates (today comes
    from the caller's clock, in the office's zone, so tests move time instead of waiting)."""
    if today is None:
        return FormValidator(schema, format_checker=FORMAT_CHECKER)

    def not_future(
        validator: Any, wanted: Any, instance: Any, node: Any
    ) -> Iterator[ValidationError]:
        if wanted is not True or not isinstance(instance, str):
            return
        try:
            day = date.fromisoformat(instance[:10])
        except ValueError:
            return  # the `format` keyword reports it
        if day > today:
            yield ValidationError(f"{instance!r} is after today ({today.isoformat()})")

    extended = validators.extend(FormValidator, {NOT_FUTURE: not_future})
    return extended(schema, format_checker=FORMAT_CHECKER)


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
