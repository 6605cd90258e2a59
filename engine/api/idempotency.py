"""`Idempotency-Key` on the state-changing POST endpoints (the IETF draft's semantics, as Stripe).

A key is scoped to the authenticated user. The first request with it runs; a repeat with the same
method, path and body gets the stored status and body back, with `Idempotent-Replayed: true`,
and runs nothing; the same key with another request is 422. A request that fails before its
command commits stores nothing (nothing happened), so it may be retried with the same key. A
duplicate sent while the first is in flight waits for it and then gets its answer (see
`engine.idempotency`). Keys live 24 hours.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from copy import deepcopy
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, Response, current_app, request
from werkzeug.exceptions import HTTPException

from engine import idempotency
from engine.api.auth import current_principal
from engine.api.context import EXTENSION_KEY, services
from engine.api.problems import problem
from engine.store.models import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
_VALID = re.compile(r"[\x20-\x7e]{1,255}")
HEADER_DOC = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "description": (
        "Makes retries safe: the same key with the same request within 24 hours answers the "
        "first result again (header Idempotent-Replayed: true) without running it twice."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[ -~]+$"},
}

# Answers a request again from the resource its command changed: (resource id, view arguments)
# → (status, body). Used when the command committed but its answer was never stored.
Render = Callable[[str | None, dict[str, Any]], tuple[int, Any]]
# Records that a replayed answer showed case data again (answer body, view arguments): every
# read of case data is audited, a repeated one too.
Reads = Callable[[Any, dict[str, Any]], None]
View = TypeVar("View", bound=Callable[..., Any])


def init_app(app: Flask) -> None:
    idempotency.attach(app.extensions[EXTENSION_KEY].sessions)


def idempotent(render: Render, *, reads: Reads | None = None) -> Callable[[View], View]:
    """Put above the flask-smorest decorators of a POST view (it sees the finished response).
    `reads`: the answer carries case data, so a successful replay is recorded as a read."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            key = request.headers.get(HEADER)
            if key is None:
                return view(*args, **kwargs)
            principal = current_principal(allow_partner=True)
            if not _VALID.fullmatch(key):
                return _bad_key("must be 1 to 255 printable ASCII characters")
            svc = services()
            reservation = idempotency.Reservation(
                username=principal.username,
                key=key,
                request_hash=_request_hash(),
                method=request.method,
                path=request.path,
                created_at=svc.clock.now(),
            )
            earlier = _earlier(reservation)
            if earlier is not None:
                response = _again(earlier, reservation, render, kwargs)
            else:
                response = _first_time(reservation, lambda: view(*args, **kwargs), render, kwargs)
            if reads is not None and _replayed(response):
                reads(response.get_json(), kwargs)
            return response

        doc = deepcopy(getattr(wrapper, "_apidoc", {}))
        manual = doc.setdefault("manual_doc", {})
        manual["parameters"] = [*manual.get("parameters", []), HEADER_DOC]
        wrapper._apidoc = doc  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorator


def _first_time(
    reservation: idempotency.Reservation,
    run: Callable[[], Response],
    render: Render,
    view_args: dict[str, Any],
) -> Response:
    """Run the request with its key reserved; when a duplicate running at the same time got
    there first (our command then failed, or changed nothing), answer with its result."""
    with idempotency.reserving(reservation):
        try:
            response = run()
        except HTTPException:
            raise
        except Exception:
            earlier = None if reservation.committed else _earlier(reservation)
            if earlier is None:
                raise
            return _again(earlier, reservation, render, view_args)
    if reservation.committed or response.status_code < 400:
        body = response.get_data(as_text=True)
        sessions = services().sessions
        if not idempotency.store_answer(sessions, reservation, response.status_code, body):
            earlier = _earlier(reservation)
            if earlier is not None:
                return _again(earlier, reservation, render, view_args)
    return response


def _earlier(reservation: idempotency.Reservation) -> IdempotencyKey | None:
    svc = services()
    return idempotency.find(svc.sessions, reservation.username, reservation.key, svc.clock.now())


def _again(
    earlier: IdempotencyKey,
    reservation: idempotency.Reservation,
    render: Render,
    view_args: dict[str, Any],
) -> Response:
    if earlier.request_hash != reservation.request_hash:
        return _bad_key(
            f"was first used with another request ({earlier.method} {earlier.path}); "
            "a new request needs a new key"
        )
    if earlier.status_code is not None and earlier.response_json is not None:
        response = Response(
            earlier.response_json, status=earlier.status_code, mimetype="application/json"
        )
    else:  # committed, but the process stopped before it stored its answer
        status, body = render(earlier.resource_id, view_args)
        text = current_app.json.dumps(body)
        idempotency.keep_answer(services().sessions, earlier.username, earlier.key, status, text)
        response = Response(text, status=status, mimetype="application/json")
    response.headers[REPLAYED] = "true"
    return response


def _replayed(response: Response) -> bool:
    """A stored or re-rendered success answered again (outside any reservation, so a read
    recorded for it never carries the key's row)."""
    return response.headers.get(REPLAYED) == "true" and 200 <= response.status_code < 300


def _bad_key(message: str) -> Response:
    return problem(
        422,
        f"the {HEADER} header {message}",
        errors=[{"field": HEADER, "message": message}],
    )


def _request_hash() -> str:
    """Method, path and body; a JSON body is hashed in a canonical spelling (key order and
    spacing do not make another request)."""
    raw = request.get_data(cache=True)
    body = raw
    if raw:
        try:
            body = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode()
        except ValueError:
            body = raw
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.full_path.rstrip("?").encode(), body):
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()
