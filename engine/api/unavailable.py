"""The database is down or restarting: answer 503 with Retry-After, not 500. A row lock held
past `lock_timeout` (PostgreSQL), or a command cancelled to break a deadlock, answers 409 with
Retry-After: the case is busy, not gone; nothing of it was written.

The engine's pool drops every pooled connection once one is found dead (it pings only those that
sat idle; engine/store/db.py), so when the database is back the next request simply reconnects;
nothing needs restarting. A read (GET, HEAD) that met a dead pooled connection is run once more
on a fresh one: it changed nothing, so the user never sees that restart. A command is not rerun
(its client retries, with its idempotency key). Until the database is back each request fails
fast (connection refused, or the connect timeout) and the client is told to try again shortly.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, request
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from engine.api.problems import problem

RETRY_AFTER_SECONDS = 5
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL: lock_timeout passed while waiting for a row lock
DEADLOCK_DETECTED = "40P01"  # PostgreSQL cancelled this command to break a lock cycle
BUSY = frozenset({LOCK_NOT_AVAILABLE, DEADLOCK_DETECTED})
SAFE_METHODS = frozenset({"GET", "HEAD"})
log = logging.getLogger("caseway.database")


def register(app: Flask) -> None:
    for error_type in (OperationalError, InterfaceError, PoolTimeout):
        app.register_error_handler(error_type, _unavailable)
    app.dispatch_request = _retrying_reads(app.dispatch_request)  # type: ignore[method-assign]


def _retrying_reads(dispatch: Callable[[], Any]) -> Callable[[], Any]:
    def dispatch_once_more_on_disconnect() -> Any:
        try:
            return dispatch()
        except DBAPIError as exc:
            if not exc.connection_invalidated or request.method not in SAFE_METHODS:
                raise
            log.warning("a pooled connection was dead; running %s again", request.path)
            return dispatch()

    return dispatch_once_more_on_disconnect


def _unavailable(exc: Exception) -> Response:
    if getattr(getattr(exc, "orig", None), "sqlstate", None) in BUSY:
        return _busy()
    reason = " ".join(str(getattr(exc, "orig", None) or exc).split())[:300]
    log.warning("database unavailable: %s", reason)
    response = problem(
        503, "the database is unavailable; try again shortly", title="Service unavailable"
    )
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _busy() -> Response:
    """Another command holds the case longer than lock_timeout: a conflict, not an outage."""
    response = problem(409, "this case is being changed by another request; try again shortly")
    response.headers["Retry-After"] = "1"
    return response
