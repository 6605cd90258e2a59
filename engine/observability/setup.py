"""Wire health, readiness, metrics and request logging into the Flask app."""

from __future__ import annotations

import logging
import re
import time
import uuid
from datetime import timedelta
from typing import Any

from flask import Blueprint, Flask, Response, g, request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from engine.api.context import EXTENSION_KEY, services
from engine.observability.logs import REQUEST_ID_HEADER
from engine.observability.metrics import Metrics
from engine.services import Services
from engine.store.migrate import is_current

log = logging.getLogger("caseway.http")
ops = Blueprint("ops", __name__)
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


@ops.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up (liveness)."""
    return {"status": "ok"}


@ops.get("/readyz")
def readyz() -> tuple[dict[str, Any], int]:
    """Ready for traffic: database reachable, schema current, scheduler (if here) ticking."""
    svc = services()
    checks: dict[str, str] = {}
    try:
        with svc.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
        checks["migrations"] = (
            "ok" if is_current(svc.engine, svc.settings.database_url) else "behind"
        )
    except Exception as exc:  # any database failure means "not ready", reported, not raised
        checks["database"] = f"unreachable: {type(exc).__name__}"
        checks["migrations"] = "unknown"
    checks["scheduler"] = _scheduler_state(svc)
    ready = all(v in ("ok", "not in this process") for v in checks.values())
    return {"status": "ready" if ready else "not ready", "checks": checks}, 200 if ready else 503


def _scheduler_state(svc: Services) -> str:
    beat = svc.heartbeat
    if beat is None:
        return "not in this process"
    allowed = timedelta(seconds=max(10.0, svc.settings.scheduler_interval_seconds * 10))
    return "ok" if svc.clock.now() - beat <= allowed else "stalled"


@ops.get("/metrics")
def metrics() -> Response:
    registry = services().metrics.registry
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


def init_observability(app: Flask) -> None:
    svc = services_of(app)
    svc.metrics = Metrics(svc)
    app.register_blueprint(ops)
    app.before_request(_start)
    app.after_request(_finish)


def services_of(app: Flask) -> Services:
    return app.extensions[EXTENSION_KEY]


def _start() -> None:
    given = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = given if _SAFE_ID.match(given) else uuid.uuid4().hex
    g.started = time.perf_counter()


def _finish(response: Response) -> Response:
    elapsed = time.perf_counter() - getattr(g, "started", time.perf_counter())
    endpoint = request.url_rule.rule if request.url_rule is not None else "unmatched"
    svc = services()
    svc.metrics.requests.labels(request.method, endpoint, str(response.status_code)).inc()
    svc.metrics.latency.labels(request.method, endpoint).observe(elapsed)
    response.headers[REQUEST_ID_HEADER] = g.get("request_id", "")
    principal = g.get("principal")
    log.info(
        "%s %s %s",
        request.method,
        request.path,
        response.status_code,
        extra={
            "request_id": g.get("request_id"),
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": round(elapsed * 1000, 2),
            "user": principal.username if principal is not None else None,
        },
    )
    return response
