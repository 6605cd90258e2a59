"""Signing in through an OpenID Connect provider (authlib's Flask client), beside passwords.

`/login/oidc` sends the browser to the provider with a state, a nonce and a PKCE challenge
(S256), all remembered in the session. `/login/oidc/callback` checks the state, trades the code
and the PKCE verifier for tokens, and has authlib check the ID token: its signature against the
provider's published keys (JWKS), the issuer, the audience, the expiry and the nonce. The claims
then become a local user (engine.identity.provisioning) in one transaction, and the session
starts as after a password. A refusal renders the login page with the reason and starts no session.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from authlib.integrations.base_client.errors import MismatchingStateError
from authlib.integrations.flask_client import OAuth, OAuthError
from flask import (
    Blueprint,
    Flask,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from joserfc.errors import JoseError
from requests import RequestException
from werkzeug.wrappers import Response

from engine.api.auth import sign_in
from engine.api.context import EXTENSION_KEY as SERVICES_KEY
from engine.api.context import services
from engine.audit import record
from engine.casework.unit_of_work import changing
from engine.config import OidcSettings
from engine.identity.provisioning import SignInRefused, check_rules, identity_from_claims, provision
from engine.identity.users import Principal
from engine.web.guard import landing, protect, safe_next

log = logging.getLogger(__name__)

EXTENSION_KEY = "caseway_oidc"
SESSION_NEXT = "oidc_next"
LEEWAY = 60  # seconds of clock difference allowed on the ID token's exp and iat
TIMEOUT = 10  # seconds for each call to the provider

oidc = protect(Blueprint("oidc", __name__))


@dataclass(frozen=True)
class Provider:
    client: Any  # authlib's FlaskOAuth2App (authlib ships no type hints)
    settings: OidcSettings


class Refused(Exception):  # noqa: N818 - a refusal, answered with the login page
    def __init__(self, reason: str, status: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


def init_oidc(app: Flask) -> None:
    """Offer the provider on the login page and serve the flow, when one is configured."""
    settings: OidcSettings | None = app.extensions[SERVICES_KEY].settings.oidc
    app.jinja_env.globals["oidc_provider"] = settings.provider_name if settings else None
    if settings is None:
        return
    check_rules(settings)
    registry = OAuth()
    registry.init_app(app)
    client = registry.register(
        "oidc",
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        server_metadata_url=settings.metadata_url,
        client_kwargs={
            "scope": " ".join(settings.scopes),
            "code_challenge_method": "S256",
            "default_timeout": TIMEOUT,
        },
    )
    app.extensions[EXTENSION_KEY] = Provider(client, settings)
    app.register_blueprint(oidc)


@oidc.get("/login/oidc")
def start() -> Response | tuple[str, int]:
    provider = _provider()
    session[SESSION_NEXT] = safe_next(request.args.get("next")) or ""
    redirect_uri = provider.settings.redirect_uri or url_for("oidc.callback", _external=True)
    try:
        response: Response = provider.client.authorize_redirect(redirect_uri)
    except (RequestException, ValueError) as exc:
        return _refuse(provider, Refused("unreachable", 502), exc, None)
    return response


@oidc.get("/login/oidc/callback")
def callback() -> Response | tuple[str, int]:
    provider = _provider()
    target = safe_next(session.pop(SESSION_NEXT, None))
    try:
        principal = _principal(provider, _verified_claims(provider))
    except Refused as refused:
        return _refuse(provider, refused, refused.__cause__, target)
    except SignInRefused as exc:
        return _refuse(provider, Refused(exc.reason, 403), exc, target)
    sign_in(principal)
    return redirect(target or landing(principal))


def _verified_claims(provider: Provider) -> Mapping[str, Any]:
    """The ID token's claims once authlib has checked the state and the token."""
    try:
        token = provider.client.authorize_access_token(
            claims_options=_claims_options(provider.settings), leeway=LEEWAY
        )
    except MismatchingStateError as exc:
        raise Refused("state", 400) from exc
    except OAuthError as exc:  # the provider said no (cancelled, bad code, bad client)
        raise Refused("provider", 403) from exc
    except JoseError as exc:  # signature, issuer, audience, expiry or nonce
        raise Refused("token", 403) from exc
    except (RequestException, ValueError) as exc:
        raise Refused("unreachable", 502) from exc
    claims = token.get("userinfo")
    if not claims:  # no ID token came back, so nothing was verified
        raise Refused("token", 403)
    return claims


def _claims_options(settings: OidcSettings) -> dict[str, Any]:
    """Fresh on every call (authlib edits it). Without an `aud` option authlib would accept
    a token for another client that names us as `azp`."""
    return {
        "iss": {"essential": True, "value": settings.issuer},
        "aud": {"essential": True, "value": settings.client_id},
    }


def _principal(provider: Provider, claims: Mapping[str, Any]) -> Principal:
    identity = identity_from_claims(claims, provider.settings)
    svc = services()
    try:
        with changing(svc) as db:
            return provision(
                db,
                identity,
                create=provider.settings.create_users,
                link_by_username=provider.settings.link_by_username,
                now=svc.clock.now(),
            )
    except SignInRefused as refused:
        if refused.reason == "username_taken":  # someone may be after another's account
            with changing(svc) as db:
                record(
                    db,
                    at=svc.clock.now(),
                    actor=identity.username,
                    action="user.sign_in_refused",
                    reason=refused.reason,
                    issuer=identity.issuer,
                    subject=identity.subject,
                )
        raise


def _refuse(
    provider: Provider, refused: Refused, cause: BaseException | None, target: str | None
) -> tuple[str, int]:
    log.warning("OpenID Connect sign-in refused (%s): %r", refused.reason, cause)
    error = _message(refused.reason, provider.settings.provider_name)
    return render_template("login.html", next=target, error=error), refused.status


def _message(reason: str, name: str) -> str:
    messages = {
        "state": _("The sign-in could not be matched to this browser. Start again."),
        "provider": _("%(provider)s did not sign you in.", provider=name),
        "token": _("The answer from %(provider)s could not be verified.", provider=name),
        "unreachable": _(
            "%(provider)s cannot be reached. Try again later, or sign in with a password.",
            provider=name,
        ),
        "no_username": _("Your %(provider)s account gives no usable username.", provider=name),
        "bad_username": _("Your %(provider)s account gives no usable username.", provider=name),
        "no_office": _("Your %(provider)s account names no office.", provider=name),
        "no_role": _("Your %(provider)s account holds no Caseway role.", provider=name),
        "unknown_user": _("There is no Caseway account for you."),
        "inactive": _("Your Caseway account is deactivated."),
        "username_taken": _(
            "A Caseway account with your %(provider)s username exists and is not linked to "
            "your %(provider)s account.",
            provider=name,
        ),
    }
    if reason in ("state", "unreachable"):
        return messages[reason]
    advice = _("Ask an administrator if you need access.")
    return f"{messages[reason]} {advice}"


def _provider() -> Provider:
    return current_app.extensions[EXTENSION_KEY]
