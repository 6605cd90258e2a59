"""Workflow cases run for months of fake time: give the demo staff tokens that outlast them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import seed_staff


@pytest.fixture
def staff(svc) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return seed_staff(svc, timedelta(days=3650))
