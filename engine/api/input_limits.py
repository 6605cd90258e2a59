"""Bounds on what one request may carry, checked before any route reads it.

Deeply nested JSON made the server recurse until it failed with a 500 and a long traceback; a
100,000-digit number, a NUL character or a lone surrogate in a string failed deep in the
database driver; a 5 MB string went into a case's data. Each is now refused up front with a
problem body naming the field: 422 for a shape no client should send, 413 for a text too long.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask import Flask, request

from engine.errors import Invalid, TooLarge

JSON_TYPES = ("application/json", "application/merge-patch+json", "application/problem+json")


@dataclass(frozen=True)
class InputLimits:
    max_depth: int = 64
    max_text_chars: int = 64 * 1024
    max_number_chars: int = 40


def check_json_body(raw: bytes, limits: InputLimits) -> None:
    """Raise Invalid / TooLarge for a body that breaks a limit; a body that is not JSON at all
    is left to the route (which answers 400 as before)."""
    try:
        value = json.loads(
            raw,
            parse_int=lambda text: _number(text, limits, int),
            parse_float=lambda text: _number(text, limits, float),
            parse_constant=_no_constant,
        )
    except RecursionError:
        raise Invalid(
            f"JSON nested deeper than {limits.max_depth} levels", field="(body)"
        ) from None
    except ValueError:
        return
    check_value(value, limits)


def check_value(value: Any, limits: InputLimits, root: str = "") -> None:
    """Walk the value without recursion: depth, text length, and text a database can store."""
    stack: list[tuple[Any, str, int]] = [(value, root, 0)]
    while stack:
        item, path, depth = stack.pop()
        if depth > limits.max_depth:
            raise Invalid(f"nested deeper than {limits.max_depth} levels", field=path or "(body)")
        if isinstance(item, str):
            _check_text(item, path or "(body)", limits)
        elif isinstance(item, dict):
            for key, child in item.items():
                where = f"{path}.{key}" if path else str(key)
                _check_text(str(key), where, limits, is_key=True)
                stack.append((child, where, depth + 1))
        elif isinstance(item, list):
            stack.extend((child, f"{path}[{i}]", depth + 1) for i, child in enumerate(item))


def _check_text(text: str, where: str, limits: InputLimits, *, is_key: bool = False) -> None:
    if len(text) > limits.max_text_chars:
        raise TooLarge(f"{where}: text longer than {limits.max_text_chars} characters", field=where)
    if "\x00" in text:
        raise Invalid(f"{where}: text contains a NUL character", field=where)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        what = "name" if is_key else "text"
        raise Invalid(f"{where}: {what} contains a lone surrogate", field=where) from None


def _number(text: str, limits: InputLimits, kind: type) -> Any:
    if len(text) > limits.max_number_chars:
        raise Invalid(f"a number longer than {limits.max_number_chars} characters", field="(body)")
    return kind(text)


def _no_constant(name: str) -> Any:
    raise Invalid(f"{name} is not a JSON number", field="(body)")


def init_app(app: Flask, limits: InputLimits) -> None:
    """Check every JSON body and form on its way in (API and pages alike)."""

    @app.before_request
    def _check_input() -> None:
        # A view that takes larger uploads than the app-wide limit says so (case attachments);
        # it must be set before the form below is parsed.
        view = app.view_functions.get(request.endpoint or "")
        larger = getattr(getattr(view, "view_class", view), "max_content_length", None)
        if larger is not None:
            request.max_content_length = larger
        if request.mimetype in JSON_TYPES:
            raw = request.get_data(cache=True)
            if raw:
                check_json_body(raw, limits)
        elif request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            for name, values in request.form.lists():
                for value in values:
                    _check_text(value, name, limits)
        for name, values in request.args.lists():
            for value in values:
                _check_text(value, name, limits)
