"""Partner webhook secrets at rest: Fernet (AES-128-CBC + HMAC) with a key from the settings.

The key is CASEWAY_PARTNER_SECRET_KEY, else derived from CASEWAY_SECRET_KEY; changing it makes
stored secrets unreadable (rotate them: PATCH /api/partners/{id} {"rotate_secret": true}).
"""

from __future__ import annotations

import base64
import hashlib
import secrets

from cryptography.fernet import Fernet, InvalidToken

from engine.config import Settings

SECRET_PREFIX = "whsec_"


class SecretBox:
    def __init__(self, key_material: str) -> None:
        digest = hashlib.sha256(b"caseway-partner-secrets:" + key_material.encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(digest))

    @classmethod
    def from_settings(cls, settings: Settings) -> SecretBox:
        return cls(settings.partner_secret_key or settings.secret_key)

    def seal(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode("utf-8")).decode("ascii")

    def open(self, sealed: str) -> str | None:
        """None when the key changed since it was sealed (the secret must be rotated)."""
        try:
            return self._fernet.decrypt(sealed.encode("ascii")).decode("utf-8")
        except InvalidToken:
            return None


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)
