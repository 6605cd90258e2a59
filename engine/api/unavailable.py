"""The database is down or restarting: answer 503 with Retry-After, not 500.

The engine's pool checks connections before use (pool_pre_ping) and drops every pooled connection
once one is found dead, so when the database is back the next request simply reconnects; nothing
needs restarting. Until then each request fails fast (connection refused, or the connect timeout)
and the client is told to try again shortly.
"""

from __future__ import annotations

import logging

from flask import Flask, Response
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from engine.api.problems import problem

RETRY_AFTER_SECONDS = 5
log = logging.getLogger("caseway.database")


def register(app: Flask) -> None:
    for error_type in (OperationalError, InterfaceError, PoolTimeout):
        app.register_error_handler(error_type, _unavailable)


def _unavailable(exc: Exception) -> Response:
    reason = " ".join(str(getattr(exc, "orig", None) or exc).split())[:300]
    log.warning("database unavailable: %s", reason)
    response = problem(
        503, "the database is unavailable; try again shortly", title="Service unavailable"
    )
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
