"""Camunda 7's typed variables, `{"name": {"value": …, "type": "String", "valueInfo": {}}}`, to
and from Caseway's plain JSON case data.

Types a JSON worker sends are read (String, Boolean, Integer, Short, Long, Double, Null, Json,
Date, and Object serialized as application/json); Java-serialized objects, Bytes and File are
refused with a message naming the variable, never guessed at.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from engine.errors import Invalid

INT32 = (-(2**31), 2**31 - 1)
MAX_NAME = 200
RESERVED_PREFIX = "spiff__"


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check(ok: bool, field: str, message: str) -> None:
    if not ok:
        raise Invalid(f"{field}: {message}", field=field)


def read_variables(raw: Any, field: str) -> dict[str, Any]:
    """Plain values from a typed-variables object; Invalid naming `field.name` when wrong."""
    if raw is None:
        return {}
    _check(isinstance(raw, Mapping), field, "must be an object of variables")
    values = {}
    for name, typed in raw.items():
        where = f"{field}.{name}"
        _check(0 < len(name) <= MAX_NAME, where, f"a name has 1 to {MAX_NAME} characters")
        _check(not name.startswith(RESERVED_PREFIX), where, "names starting spiff__ are reserved")
        _check(isinstance(typed, Mapping), where, 'must be {"value": …, "type": …}')
        values[name] = _read_value(typed, where)
    return values


def _read_value(typed: Mapping[str, Any], where: str) -> Any:
    value = typed.get("value")
    kind = typed.get("type")
    _check(kind is None or isinstance(kind, str), f"{where}.type", "must be a string")
    kind = (kind or "").lower()
    if value is None and kind not in ("bytes", "file"):
        return None
    if kind == "":
        return value
    if kind == "string" or kind == "date":
        _check(isinstance(value, str), f"{where}.value", f"a {typed['type']} is a string")
        if kind == "date":
            _check(
                _is_date(str(value)), f"{where}.value", "not a date (yyyy-MM-dd'T'HH:mm:ss.SSSZ)"
            )
        return value
    if kind == "boolean":
        _check(isinstance(value, bool), f"{where}.value", "a Boolean is true or false")
        return value
    if kind in ("integer", "short", "long"):
        _check(_is_int(value), f"{where}.value", f"a {typed['type']} is a whole number")
        return value
    if kind == "double":
        _check(_is_int(value) or isinstance(value, float), f"{where}.value", "not a number")
        return value
    if kind == "null":
        return None
    if kind == "json" or (kind == "object" and _json_object(typed)):
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError as exc:
                raise Invalid(f"{where}.value: not JSON ({exc})", field=f"{where}.value") from exc
        return value
    message = f"type {typed['type']!r} is not supported (use String, Boolean, Integer, Long, "
    message += "Double, Null, Date or Json)"
    raise Invalid(f"{where}.type: {message}", field=f"{where}.type")


def _json_object(typed: Mapping[str, Any]) -> bool:
    info = typed.get("valueInfo")
    return isinstance(info, Mapping) and info.get("serializationDataFormat") == "application/json"


def _is_date(value: str) -> bool:
    text = value.replace("Z", "+00:00")
    if len(text) > 5 and text[-5] in "+-" and text[-3] != ":":
        text = text[:-2] + ":" + text[-2:]  # Camunda's +0000 → +00:00
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def typed(values: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Case data as Camunda variables; objects and lists travel as Json (a string, as
    Camunda sends them)."""
    return {name: _typed(value) for name, value in values.items()}


def _typed(value: Any) -> dict[str, Any]:
    if value is None:
        return {"type": "Null", "value": None, "valueInfo": {}}
    if isinstance(value, bool):
        return {"type": "Boolean", "value": value, "valueInfo": {}}
    if _is_int(value):
        kind = "Integer" if INT32[0] <= value <= INT32[1] else "Long"
        return {"type": kind, "value": value, "valueInfo": {}}
    if isinstance(value, float):
        return {"type": "Double", "value": value, "valueInfo": {}}
    if isinstance(value, str):
        return {"type": "String", "value": value, "valueInfo": {}}
    return {"type": "Json", "value": json.dumps(value, default=str), "valueInfo": {}}
