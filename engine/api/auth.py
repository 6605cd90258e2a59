"""Who is calling: a bearer token for API clients, the session for web pages."""

from __future__ import annotations

from flask import g, request, session
from werkzeug.exceptions import Forbidden, Unauthorized

from engine.api.context import services
from engine.users import Principal, authenticate, principal_for


def current_principal(*, allow_partner: bool = False) -> Principal:
    principal = _authenticated()
    if principal.is_partner_only and not allow_partner:
        raise Forbidden("a partner token may only post messages (POST /api/messages)")
    return principal


def _authenticated() -> Principal:
    cached = getattr(g, "principal", None)
    if cached is not None:
        return cached
    svc = services()
    header = request.headers.get("Authorization", "")
    principal = None
    with svc.sessions() as db:
        if header.lower().startswith("bearer "):
            principal = authenticate(db, header[7:].strip(), now=svc.clock.now())
            if principal is None:
                raise Unauthorized("the token is unknown, expired or revoked")
        elif session.get("username"):
            principal = principal_for(db, session["username"])
    if principal is None:
        raise Unauthorized("send Authorization: Bearer <token> (see `caseway users token`)")
    g.principal = principal
    return principal
