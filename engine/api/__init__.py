"""The JSON API under /api, described by OpenAPI at /api/openapi.json."""

from __future__ import annotations

from datetime import date

from flask import Flask
from flask_smorest import Api
from werkzeug.routing import BaseConverter, ValidationError

from engine.api import (
    absences,
    case_moves,
    cases,
    client_links,
    definitions,
    engine_rest,
    idempotency,
    incidents,
    instances,
    me,
    messages,
    office_settings,
    offices,
    outbox,
    outcomes,
    partners,
    problems,
    queues,
    reports,
    signals,
    supervision,
    tasks,
    unavailable,
    whatif,
)


class IsoDateConverter(BaseConverter):
    """`/closures/2027-12-24` → date; anything else is a 404 from routing, not a 500."""

    regex = r"\d{4}-\d{2}-\d{2}"

    def to_python(self, value: str) -> date:
        try:
            return date.fromisoformat(value)
        except ValueError as exc:
            raise ValidationError() from exc

    def to_url(self, value: date) -> str:
        return value.isoformat()


def init_api(app: Flask) -> Api:
    app.config.setdefault("API_TITLE", "Caseway")
    app.config.setdefault("API_VERSION", "1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.url_map.converters.setdefault("isodate", IsoDateConverter)
    api = Api(app)
    api.register_converter(
        IsoDateConverter, lambda _converter: {"type": "string", "format": "date"}
    )
    api.spec.components.security_scheme(
        "bearer", {"type": "http", "scheme": "bearer", "bearerFormat": "opaque"}
    )
    api.spec.options["security"] = [{"bearer": []}]
    for module in (definitions, instances, messages, tasks, reports, offices, me, case_moves):
        api.register_blueprint(module.blp)
    for module in (
        absences,
        supervision,
        cases,
        incidents,
        outbox,
        partners,
        queues,
        client_links,
        whatif,
        outcomes,
        office_settings,
    ):
        api.register_blueprint(module.blp)
    api.register_blueprint(signals.blp)
    app.register_blueprint(engine_rest.blp)  # Camunda 7 shapes, outside the OpenAPI document
    problems.register(app)
    unavailable.register(app)
    idempotency.init_app(app)
    return api
