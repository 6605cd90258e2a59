"""Who is calling: a bearer token for API clients, the session for web pages.

A session-authenticated request that changes something must carry the session's CSRF token
(form field `csrf_token` on web forms, header `X-CSRF-Token` on fetch calls to the JSON API):
a browser sends the session cookie with any cross-site form post, but another site cannot read
the token. Bearer-token calls need no token: browsers never attach them on their own.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime

from flask import g, request, session
from werkzeug.exceptions import Forbidden, Unauthorized

from engine import policy
from engine.api.context import services
from engine.identity.users import Principal, principal_for, token_hash, token_principal
from engine.services import Services

SESSION_USER = "username"
SESSION_CSRF = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Kept across sign-in and sign-out: the visitor's choice, not part of who they are.
SESSION_KEEP = ("lang",)


def current_principal(*, allow_partner: bool = False, allow_worker: bool = False) -> Principal:
    principal = _authenticated()
    if policy.is_partner_only(principal) and not allow_partner:
        raise Forbidden("a partner token may only post messages (POST /api/messages)")
    if policy.is_worker_only(principal) and not allow_worker:
        raise Forbidden("a worker token may only use the external-task API under /engine-rest")
    return principal


def session_principal() -> Principal | None:
    """The signed-in web user, or None (no session, or the account was deactivated)."""
    username = session.get(SESSION_USER)
    if not username:
        return None
    with services().readers() as db:
        return principal_for(db, username)


def sign_in(principal: Principal) -> None:
    """Start a fresh session (no fixation: nothing from before survives but the language)."""
    kept = {key: session[key] for key in SESSION_KEEP if key in session}
    session.clear()
    session.update(kept)
    session[SESSION_USER] = principal.username
    session[SESSION_CSRF] = secrets.token_urlsafe(32)


def sign_out() -> None:
    kept = {key: session[key] for key in SESSION_KEEP if key in session}
    session.clear()
    session.update(kept)


def csrf_token() -> str:
    """The session's token, created on first use (also for the anonymous login form)."""
    token = session.get(SESSION_CSRF)
    if not token:
        token = secrets.token_urlsafe(32)
        session[SESSION_CSRF] = token
    return str(token)


def csrf_valid(candidate: str | None) -> bool:
    expected = session.get(SESSION_CSRF)
    if not expected or not candidate:
        return False
    return hmac.compare_digest(str(expected), candidate)


def _authenticated() -> Principal:
    cached = getattr(g, "principal", None)
    if cached is not None:
        return cached
    svc = services()
    header = request.headers.get("Authorization", "")
    principal = None
    if header.lower().startswith("bearer "):
        principal = _bearer(svc, header[7:].strip())
        if principal is None:
            raise Unauthorized("the token is unknown, expired or revoked")
    elif session.get(SESSION_USER):
        principal = session_principal()
        if principal is not None and request.method not in SAFE_METHODS:
            if not csrf_valid(request.headers.get(CSRF_HEADER)):
                raise Forbidden(f"send the page's CSRF token in the {CSRF_HEADER} header")
    if principal is None:
        raise Unauthorized("send Authorization: Bearer <token> (see `caseway users token`)")
    g.principal = principal
    return principal


def _bearer(svc: Services, token: str) -> Principal | None:
    """The token's principal: from this process's short cache when fresh (see token_cache),
    else one query."""
    hashed, now = token_hash(token), svc.clock.now()

    def load() -> tuple[Principal, datetime] | None:
        with svc.readers() as db:
            return token_principal(db, hashed, now=now)

    assert svc.tokens is not None
    return svc.tokens.principal(hashed, now, load)
