"""Every error leaves as application/problem+json: status, title, detail and field errors."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, json
from werkzeug.exceptions import HTTPException

from engine.errors import CasewayError

TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    429: "Too many requests",
    500: "Internal server error",
}


def problem(status: int, detail: str, **extra: Any) -> Response:
    body = {"type": "about:blank", "status": status, "title": TITLES.get(status, "Error")}
    body["detail"] = detail
    body.update(extra)
    return Response(json.dumps(body), status=status, mimetype="application/problem+json")


def register(app: Flask) -> None:
    app.register_error_handler(CasewayError, _domain)
    app.register_error_handler(HTTPException, _http)


def _domain(exc: CasewayError) -> Response:
    """Every domain error answers its own status, detail and field errors (engine.errors)."""
    return problem(exc.status, exc.detail, **exc.problem_fields())


def _http(exc: HTTPException) -> Response:
    status = exc.code or 500
    data = getattr(exc, "data", None) or {}
    messages = data.get("messages") if isinstance(data, dict) else None
    if messages:
        errors = [
            {"field": field, "message": "; ".join(_flatten(msg))}
            for location in messages.values()
            for field, msg in _fields(location)
        ]
        return problem(status, "the request is not valid", errors=errors)
    return problem(status, exc.description or TITLES.get(status, "Error"))


def _fields(location: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(location, dict):
        out: list[tuple[str, Any]] = []
        for key, value in location.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(value, dict):
                out.extend(_fields(value, name))
            else:
                out.append((name, value))
        return out
    return [(prefix or "(body)", location)]


def _flatten(message: Any) -> list[str]:
    if isinstance(message, list):
        return [str(m) for m in message]
    return [str(message)]
