"""Read a submitted task form back into JSON data, and explain the server's verdict per field.

Text from the browser becomes typed JSON here (numbers, booleans, lists); what cannot be read
(a number field holding letters) is reported at once next to its field. Whether the data is
acceptable stays the server's decision (`commands.complete_task` validates against the form);
this module only words each field error in the page's language.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from flask_babel import format_decimal
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from engine.definitions.form_validator import NOT_FUTURE, validator_for
from engine.definitions.forms import FieldError
from engine.web.formview import ADD_ROW, FIELD_PREFIX, ROWS_PREFIX, Field, hint_of, resolve
from engine.web.i18n import office_zone

_MISSING = object()


def parse_submission(
    fields: list[Field], form: MultiDict[str, str]
) -> tuple[dict[str, Any], dict[str, str], dict[str, Any]]:
    """(data for the server, unreadable fields with their message, raw values to show again).

    Rows of a repeatable list left completely empty are dropped (that is how a row is
    removed), so the indices in the server's field errors match the rows shown again.

    Empty answers follow what the schema can accept, the same rule for every form: a list
    (checkboxes, rows) left empty is `[]` when the schema allows an empty list (no `minItems`
    above 0) — "none outstanding" is an answer, and an empty checkbox group sends nothing at
    all; a required group left empty is `{}`, so each of its required fields is named.
    """
    data: dict[str, Any] = {}
    errors: dict[str, str] = {}
    raw: dict[str, Any] = {}
    for f in fields:
        _read(f, form, data, errors, raw)
    return data, errors, raw


def row_counts(form: MultiDict[str, str]) -> tuple[dict[str, int], str | None]:
    """How many rows each list showed (hidden `rows.<path>` inputs), and which list the
    "add another" button asked to grow (None when the form was submitted to complete)."""
    counts = {}
    for key, value in form.items():
        if key.startswith(ROWS_PREFIX) and value.isdigit():
            counts[key.removeprefix(ROWS_PREFIX)] = int(value)
    grow = form.get(ADD_ROW) or None
    if grow is not None:
        counts[grow] = counts.get(grow, 1) + 1
    return counts, grow


def _read(
    f: Field,
    form: MultiDict[str, str],
    data: dict[str, Any],
    errors: dict[str, str],
    raw: dict[str, Any],
) -> None:
    key = f.path.rsplit(".", 1)[-1]
    if f.kind in ("group", "row"):
        nested: dict[str, Any] = {}
        nested_raw: dict[str, Any] = {}
        for child in f.children:
            _read(child, form, nested, errors, nested_raw)
        raw[key] = nested_raw
        if nested or (f.required and f.kind == "group"):
            data[key] = nested
        return
    if f.kind == "rows":
        _read_rows(f, form, data, errors, raw)
        return
    if f.kind == "checkboxes":
        chosen = form.getlist(FIELD_PREFIX + f.path)
        raw[key] = chosen
        if chosen or f.accepts_empty:
            data[key] = chosen
        return
    text = form.get(FIELD_PREFIX + f.path, "")
    raw[key] = text
    if not text.strip():
        return
    value, problem = _convert(f.kind, text)
    if problem is not None:
        errors[f.path] = problem
    elif value is not _MISSING:
        data[key] = value


def _read_rows(
    f: Field,
    form: MultiDict[str, str],
    data: dict[str, Any],
    errors: dict[str, str],
    raw: dict[str, Any],
) -> None:
    key = f.path.rsplit(".", 1)[-1]
    items: list[Any] = []
    raws: list[Any] = []
    for row in f.children:
        row_data: dict[str, Any] = {}
        row_raw: dict[str, Any] = {}
        row_errors: dict[str, str] = {}
        _read(row, form, row_data, row_errors, row_raw)
        if not row_data and not row_errors:
            continue  # an empty row: dropped
        index = len(items)
        items.append(row_data.get(row.path.rsplit(".", 1)[-1], {}))
        raws.append(row_raw.get(row.path.rsplit(".", 1)[-1], {}))
        for path, message in row_errors.items():
            errors[_renumber(path, row.path, f"{f.path}.{index}")] = message
    raw[key] = raws
    if items or f.accepts_empty:
        data[key] = items


def _renumber(path: str, old_prefix: str, new_prefix: str) -> str:
    return new_prefix + path[len(old_prefix) :] if path.startswith(old_prefix) else path


def _convert(kind: str, text: str) -> tuple[Any, str | None]:
    stripped = text.strip()
    if kind in ("number", "integer"):
        return _number(kind, stripped)
    if kind == "boolean":
        if stripped in ("true", "false"):
            return stripped == "true", None
        return _MISSING, _("Choose yes or no.")
    if kind == "json":
        try:
            return json.loads(stripped), None
        except json.JSONDecodeError:
            return _MISSING, _("Enter valid JSON.")
    if kind == "textarea":
        return text.strip("\r\n"), None
    if kind == "datetime":
        return _moment(stripped)
    return stripped, None


def _moment(text: str) -> tuple[Any, str | None]:
    """`datetime-local` wall time in the office's zone → ISO 8601 with its offset."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return _MISSING, _("Enter a date and a time.")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=office_zone())
    return moment.isoformat(), None


def _number(kind: str, text: str) -> tuple[Any, str | None]:
    """Accepts `1234.5`, `1 234,5` (French) and `1,234.5`."""
    cleaned = text.replace("\u00a0", "").replace("\u202f", "").replace(" ", "").replace("$", "")
    if "," in cleaned and "." in cleaned:
        cleaned = cleaned.replace(",", "")
    cleaned = cleaned.replace(",", ".")
    try:
        number = float(cleaned)
    except ValueError:
        return _MISSING, _("Enter a whole number.") if kind == "integer" else _("Enter a number.")
    if number != number or number in (float("inf"), float("-inf")):
        return _MISSING, _("Enter a number.")
    if number.is_integer():
        return int(number), None
    if kind == "integer":
        return _MISSING, _("Enter a whole number.")
    return number, None


def explain(
    schema: Mapping[str, Any],
    data: Mapping[str, Any],
    errors: list[FieldError],
    today: date | None = None,
) -> tuple[dict[str, str], list[str]]:
    """(message per field path, messages about the form as a whole), in the page's language."""
    by_field: dict[str, str] = {}
    general: list[str] = []
    for error in errors:
        if error.field in ("", "(form)"):
            general.append(error.message)
            continue
        by_field.setdefault(error.field, _explain_one(schema, data, error, today))
    return by_field, general


def _explain_one(
    schema: Mapping[str, Any], data: Mapping[str, Any], error: FieldError, today: date | None
) -> str:
    if error.message == "is not a field of this form":
        return _("This is not a field of this form.")
    node, value = _locate(schema, data, error.field.split("."))
    if error.message == "is required":
        if node is not None and node.get("type") == "array":
            return _("Choose at least one.")
        return _("This field is required.")
    if node is None or value is _MISSING:
        return error.message
    standalone = {**node, "$defs": schema.get("$defs", {})}  # nested $refs still resolve
    first = next(iter(validator_for(standalone, today).iter_errors(value)), None)
    if first is None:
        return error.message
    return _keyword_message(str(first.validator), first.validator_value, node) or error.message


def _locate(
    schema: Mapping[str, Any], data: Any, path: list[str]
) -> tuple[Mapping[str, Any] | None, Any]:
    node: Mapping[str, Any] = resolve(schema, schema)
    value: Any = data
    for part in path:
        if isinstance(value, list) and part.isdigit():
            node = resolve(node.get("items"), schema)
            index = int(part)
            value = value[index] if index < len(value) else _MISSING
            continue
        properties = node.get("properties", {})
        if part not in properties:
            return None, _MISSING
        node = resolve(properties[part], schema)
        value = value.get(part, _MISSING) if isinstance(value, Mapping) else _MISSING
    return node, value


def _keyword_message(keyword: str, limit: Any, node: Mapping[str, Any]) -> str | None:
    if keyword == "minLength":
        if limit == 1:
            return _("This field cannot be empty.")
        return _("Enter at least %(count)s characters.", count=limit)
    if keyword == "maxLength":
        return _("Enter at most %(count)s characters.", count=limit)
    if keyword in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
        return _range_message(keyword, limit)
    if keyword in ("enum", "const", "oneOf", "anyOf"):
        return _("Choose one of the listed options.")
    if keyword == NOT_FUTURE:
        return _("Enter a date that is not in the future.")
    hint = hint_of(node)
    if keyword == "format":
        formats = {
            "date": _("Enter a date as YYYY-MM-DD."),
            "date-time": _("Enter a date and a time."),
            "email": _("Enter an email address, like %(hint)s.", hint=hint),
            "postal-code-ca": _("Enter a postal code, like %(hint)s.", hint=hint),
            "phone": _("Enter a phone number, like %(hint)s.", hint=hint),
        }
        fallback = (
            _("Enter it like this: %(hint)s.", hint=hint) if hint else _("Enter a valid value.")
        )
        return formats.get(str(node.get("format")), fallback)
    if keyword == "pattern":
        if hint:
            return _("Enter it like this: %(hint)s.", hint=hint)
        return _("The value does not have the expected form.")
    if keyword == "type":
        return _("This value has the wrong type.")
    if keyword == "minItems":
        return _("Give at least %(count)s.", count=limit)
    if keyword == "maxItems":
        return _("Give at most %(count)s.", count=limit)
    return None


def _range_message(keyword: str, limit: Any) -> str:
    amount = format_decimal(limit)
    if keyword == "minimum":
        return _("Enter %(amount)s or more.", amount=amount)
    if keyword == "exclusiveMinimum":
        return _("Enter more than %(amount)s.", amount=amount)
    if keyword == "maximum":
        return _("Enter %(amount)s or less.", amount=amount)
    return _("Enter less than %(amount)s.", amount=amount)
