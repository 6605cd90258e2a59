"""Fixtures for delivery: real receivers and a dispatcher wired to them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from engine.config import Settings, SmtpSettings
from engine.services import Services
from tests.delivery.receivers import HttpReceiver, SmtpSink


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink.start()
    yield sink
    sink.stop()


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    server = HttpReceiver()
    yield server
    server.stop()


@pytest.fixture
def settings(settings: Settings, smtp_sink: SmtpSink, tmp_path: Path) -> Settings:
    """The suite's settings with email going to the in-process sink."""
    return replace(settings, smtp=SmtpSettings.from_url(smtp_sink.url), outbox_max_attempts=4)


@pytest.fixture
def dispatcher(svc: Services):  # type: ignore[no-untyped-def]
    from engine.delivery.wiring import build_dispatcher

    return build_dispatcher(svc)
