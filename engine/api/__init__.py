"""The JSON API under /api, described by OpenAPI at /api/openapi.json."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from engine.api import definitions, instances, me, problems, reports, tasks


def init_api(app: Flask) -> Api:
    app.config.setdefault("API_TITLE", "Caseway")
    app.config.setdefault("API_VERSION", "1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    api = Api(app)
    api.spec.components.security_scheme(
        "bearer", {"type": "http", "scheme": "bearer", "bearerFormat": "opaque"}
    )
    api.spec.options["security"] = [{"bearer": []}]
    for module in (definitions, instances, tasks, reports, me):
        api.register_blueprint(module.blp)
    problems.register(app)
    return api
