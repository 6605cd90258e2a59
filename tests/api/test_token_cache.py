"""A token a server looked up is trusted for a few seconds (the revocation window), never
past its own expiry; the clock is a FakeClock, so "seconds" are the injected clock's."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from engine.identity.users import revoke_tokens
from engine.store.db import transaction
from engine.store.models import User


def _revoke(svc, username: str) -> None:  # type: ignore[no-untyped-def]
    with transaction(svc.sessions) as session:
        revoke_tokens(session, username, now=svc.clock.now())


def test_a_token_revoked_elsewhere_is_refused_once_the_window_passed(api, svc, clock):
    assert api.as_("casey").get("/api/tasks").status_code == 200
    _revoke(svc, "casey")  # as `caseway users revoke` does, from another process

    within = api.as_("casey").get("/api/tasks")
    clock.advance(seconds=svc.settings.auth_cache_seconds)
    after = api.as_("casey").get("/api/tasks")

    assert within.status_code == 200  # the window: at most auth_cache_seconds
    assert after.status_code == 401


def test_a_deactivated_user_is_refused_once_the_window_passed(api, svc, clock):
    assert api.as_("sam").get("/api/tasks").status_code == 200
    with transaction(svc.sessions) as session:
        session.scalar(select(User).where(User.username == "sam")).active = False

    clock.advance(seconds=svc.settings.auth_cache_seconds + 1)

    assert api.as_("sam").get("/api/tasks").status_code == 401


def test_revocation_in_the_same_process_is_immediate(api, svc):
    assert api.as_("casey").get("/api/tasks").status_code == 200
    _revoke(svc, "casey")
    svc.tokens.forget_user("casey")

    assert api.as_("casey").get("/api/tasks").status_code == 401
    assert api.as_("cole").get("/api/tasks").status_code == 200  # others stay cached


def test_a_cached_token_is_refused_at_its_own_expiry(api, svc, clock, staff):
    from engine.identity.users import issue_token

    with transaction(svc.sessions) as session:
        short = issue_token(session, "casey", now=clock.now(), ttl=timedelta(seconds=2))
    headers = {"Authorization": f"Bearer {short}"}
    assert api.client.get("/api/tasks", headers=headers).status_code == 200

    clock.advance(seconds=2)

    assert api.client.get("/api/tasks", headers=headers).status_code == 401
