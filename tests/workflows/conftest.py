"""Workflow cases run for months of fake time: give the demo staff tokens that outlast them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.store.db import transaction
from engine.users import add_user, issue_token
from tests.conftest import DEMO


@pytest.fixture
def staff(svc) -> dict[str, str]:  # type: ignore[no-untyped-def]
    tokens = {}
    with transaction(svc.sessions) as session:
        for username, (office, roles) in DEMO.items():
            add_user(session, username, office=office, roles=roles, now=svc.clock.now())
        for username in DEMO:
            tokens[username] = issue_token(
                session, username, now=svc.clock.now(), ttl=timedelta(days=3650)
            )
    return tokens
