"""Where routes find the process-wide Services (set by create_app)."""

from __future__ import annotations

from flask import current_app

from engine.services import Services

EXTENSION_KEY = "caseway"


def services() -> Services:
    return current_app.extensions[EXTENSION_KEY]
