"""The Flask application factory."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, Response

from engine.api import init_api, input_limits
from engine.api.context import EXTENSION_KEY
from engine.api.input_limits import InputLimits
from engine.config import Settings
from engine.observability import init_observability
from engine.services import Services
from engine.web import init_web


def create_app(config: Mapping[str, Any] | None = None, services: Services | None = None) -> Flask:
    """Build the app; tests pass their own config or a ready Services (fake clock, own DB)."""
    settings = services.settings if services else Settings.from_env().with_overrides(config or {})
    svc = services or Services.build(settings)
    app = Flask(__name__)
    app.config["SECRET_KEY"] = settings.secret_key
    app.config["MAX_CONTENT_LENGTH"] = settings.max_upload_bytes + 64 * 1024
    app.json.sort_keys = False  # type: ignore[attr-defined]
    if settings.secure_cookies:
        _https_only(app)
    app.extensions[EXTENSION_KEY] = svc
    input_limits.init_app(app, InputLimits(max_text_chars=settings.max_text_chars))
    init_api(app)
    init_observability(app)
    init_web(app)
    return app


HSTS = "max-age=31536000; includeSubDomains"


def _https_only(app: Flask) -> None:
    """Behind HTTPS: the session cookie never travels in clear, and browsers remember to use
    HTTPS for this host (HSTS) even when a link says http://."""
    app.config["SESSION_COOKIE_SECURE"] = True

    @app.after_request
    def _hsts(response: Response) -> Response:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
        return response
