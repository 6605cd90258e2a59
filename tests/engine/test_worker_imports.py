"""The timer worker starts without the web stack: Flask, the API, Alembic and the PDF library
are not imported by `caseway worker` (each costs start-up time the worker does not need)."""

from __future__ import annotations

import subprocess
import sys

WORKER_IMPORTS = """
import sys
import engine.cli.main
from engine.casework import scheduler, timers
from engine.delivery import wiring
from engine.observability import logs
heavy = ("flask", "flask_smorest", "alembic", "fpdf", "authlib", "engine.api", "engine.web")
print(" ".join(sorted(name for name in heavy if name in sys.modules)))
"""


def test_the_worker_imports_no_web_stack():
    found = subprocess.run(
        [sys.executable, "-c", WORKER_IMPORTS], capture_output=True, text=True, check=True
    )

    assert found.stdout.split() == []


def test_the_app_still_finds_its_observability():
    from engine.observability import init_observability

    assert callable(init_observability)
