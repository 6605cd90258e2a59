"""Task data across the process boundary: JSON, with tags for the few non-JSON values that task
data may hold (the ones SpiffWorkflow's serializer stores too). Anything else is refused with the
path to the value, so a function or generator never reaches case data as "<function at 0x…>"."""

from __future__ import annotations

import json
import math
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from engine.sandbox.errors import ScriptValueRefused

TAG = "__caseway__"
_PLAIN = (str, int, bool, type(None))


def encode(value: Any, where: str = "value") -> Any:
    """A JSON-ready copy of `value`; ScriptValueRefused names the first value that cannot be."""
    if isinstance(value, _PLAIN):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            return {TAG: "float", "v": repr(value)}
        return value
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value) and TAG not in value:
            return {k: encode(v, f"{where}[{k!r}]") for k, v in value.items()}
        items = [
            [encode(k, f"a key of {where}"), encode(v, f"{where}[{k!r}]")] for k, v in value.items()
        ]
        return {TAG: "dict", "v": items}
    if isinstance(value, list | tuple):
        return [encode(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, datetime):
        return {TAG: "datetime", "v": value.isoformat()}
    if isinstance(value, date):
        return {TAG: "date", "v": value.isoformat()}
    if isinstance(value, timedelta):
        return {TAG: "timedelta", "v": [value.days, value.seconds, value.microseconds]}
    if isinstance(value, UUID):
        return {TAG: "uuid", "v": str(value)}
    kind = _kind(value)
    raise ScriptValueRefused(f"{where} is {kind}, which cannot be stored as task data (JSON)")


def _kind(value: Any) -> str:
    name = type(value).__name__
    if callable(value):
        return f"a function ({name})"
    if name == "generator" or hasattr(value, "__next__"):
        return f"a generator or iterator ({name})"
    return f"a {name}"


def decode(value: Any) -> Any:
    if isinstance(value, list):
        return [decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    tag = value.get(TAG)
    if tag is None:
        return {k: decode(v) for k, v in value.items()}
    raw = value["v"]
    if tag == "datetime":
        return datetime.fromisoformat(raw)
    if tag == "date":
        return date.fromisoformat(raw)
    if tag == "timedelta":
        return timedelta(days=raw[0], seconds=raw[1], microseconds=raw[2])
    if tag == "uuid":
        return UUID(raw)
    if tag == "float":
        return float(raw)
    if tag == "dict":
        return {_hashable(decode(k)): decode(v) for k, v in raw}
    raise ValueError(f"unknown tag {tag!r} in sandbox data")


def _hashable(key: Any) -> Any:
    return tuple(key) if isinstance(key, list) else key


def encode_data(data: dict[str, Any]) -> dict[str, Any]:
    """Task data by name, each value checked; the message names the variable."""
    return {str(k): encode(v, f"task data {k!r}") for k, v in data.items()}


def dumps(message: Any) -> bytes:
    return json.dumps(message, separators=(",", ":"), allow_nan=False).encode()


def loads(raw: bytes) -> Any:
    return json.loads(raw)
