"""A small OpenID Connect provider for the tests, served for real on 127.0.0.1.

One registered client; every authorization request is approved at once for `identity` (no
login page). It checks what a real provider checks (client secret, redirect URI, one-time codes,
the PKCE verifier) and signs RS256 ID tokens with a key made in the test. Tests spoil what it
sends through `adjust` (the claims before signing), `rewrite` (the signed token),
`without_id_token` and `deny`.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from flask import Flask, jsonify, redirect, request
from joserfc import jwt
from joserfc.jwk import RSAKey
from werkzeug.wrappers import Response

KEY_ID = "test-key-1"


def make_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": KEY_ID, "use": "sig", "alg": "RS256"})


class TestProvider:
    __test__ = False  # not a test class, whatever pytest thinks of the name

    def __init__(self, key: RSAKey, *, client_id: str, client_secret: str, redirect_uri: str):
        self.key = key
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uri = redirect_uri
        self.issuer = ""  # set once the server has a port
        self.app = self._build()
        self.reset()

    def reset(self) -> None:
        self.identity: dict[str, Any] = {}
        self.adjust: Callable[[dict[str, Any]], None] | None = None
        self.rewrite: Callable[[str], str] | None = None
        self.deny = False
        self.without_id_token = False
        self.codes: dict[str, dict[str, Any]] = {}
        self.authorize_requests: list[dict[str, str]] = []
        self.token_requests: list[dict[str, str]] = []

    def _build(self) -> Flask:
        app = Flask(__name__)
        app.add_url_rule("/.well-known/openid-configuration", view_func=self._metadata)
        app.add_url_rule("/authorize", view_func=self._authorize)
        app.add_url_rule("/token", view_func=self._token, methods=["POST"])
        app.add_url_rule("/jwks", view_func=self._jwks)
        return app

    def _metadata(self) -> Response:
        return jsonify(
            issuer=self.issuer,
            authorization_endpoint=f"{self.issuer}/authorize",
            token_endpoint=f"{self.issuer}/token",
            jwks_uri=f"{self.issuer}/jwks",
            response_types_supported=["code"],
            subject_types_supported=["public"],
            id_token_signing_alg_values_supported=["RS256"],
            code_challenge_methods_supported=["S256"],
            token_endpoint_auth_methods_supported=["client_secret_basic"],
        )

    def _jwks(self) -> Response:
        return jsonify(keys=[self.key.as_dict(private=False)])

    def _authorize(self) -> Response | tuple[str, int]:
        args = request.args.to_dict()
        self.authorize_requests.append(args)
        if args.get("client_id") != self.client_id or args.get("redirect_uri") != self.redirect_uri:
            return "unknown client or redirect URI", 400  # never redirect to an unknown place
        back = {"state": args.get("state", "")}
        if self.deny:
            back["error"] = "access_denied"
        elif (
            args.get("response_type") != "code"
            or "openid" not in args.get("scope", "").split()
            or args.get("code_challenge_method") != "S256"
            or not args.get("code_challenge")
        ):
            back["error"] = "invalid_request"
        else:
            code = secrets.token_urlsafe(16)
            self.codes[code] = {
                "challenge": args["code_challenge"],
                "nonce": args.get("nonce"),
                "claims": dict(self.identity),
            }
            back["code"] = code
        return redirect(f"{self.redirect_uri}?{urlencode(back)}")

    def _token(self) -> Response | tuple[Response, int]:
        form = request.form.to_dict()
        self.token_requests.append(form)
        auth = request.authorization
        if auth is None or (auth.username, auth.password) != (self.client_id, self.client_secret):
            return jsonify(error="invalid_client"), 401
        grant = self.codes.pop(form.get("code", ""), None)  # a code works once
        if (
            grant is None
            or form.get("grant_type") != "authorization_code"
            or form.get("redirect_uri") != self.redirect_uri
            or _challenge(form.get("code_verifier", "")) != grant["challenge"]
        ):
            return jsonify(error="invalid_grant"), 400
        answer = {"access_token": secrets.token_urlsafe(24), "token_type": "Bearer"}
        if not self.without_id_token:
            answer["id_token"] = self.id_token(grant["claims"], nonce=grant["nonce"])
        return jsonify(answer)

    def id_token(self, claims: dict[str, Any], *, nonce: str | None) -> str:
        now = int(time.time())  # ID tokens carry the provider's wall-clock time
        payload = {
            "iss": self.issuer,
            "aud": self.client_id,
            "iat": now,
            "exp": now + 300,
            **({"nonce": nonce} if nonce else {}),
            **claims,
        }
        if self.adjust is not None:
            self.adjust(payload)
        token = jwt.encode({"alg": "RS256", "kid": KEY_ID}, payload, self.key)
        return self.rewrite(token) if self.rewrite is not None else token


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
