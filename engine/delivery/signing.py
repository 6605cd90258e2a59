"""Webhook signatures, the Stripe scheme: `Caseway-Signature: t=<unix>,v1=<hex>` where v1 is
HMAC-SHA256 over `f"{t}.{body}"` with the partner's secret.

Partners verify with `verify_signature` (or its few lines copied, docs/notices.md): the
timestamp bounds replays, the comparison is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "Caseway-Signature"
DEFAULT_TOLERANCE_SECONDS = 300


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The header value for `body` sent at `timestamp` (unix seconds)."""
    return f"t={timestamp},v1={_digest(secret, timestamp, body)}"


def verify_signature(
    secret: str,
    header: str,
    body: bytes,
    tolerance: float = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:
    """True when `header` signs exactly `body` with `secret` within `tolerance` seconds of now."""
    fields: dict[str, list[str]] = {}
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        fields.setdefault(name, []).append(value)
    try:
        timestamp = int(fields.get("t", [""])[0])
    except ValueError:
        return False
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        return False
    expected = _digest(secret, timestamp, body)
    # any v1 may match (several are sent while a secret is being rotated)
    return any(hmac.compare_digest(expected, given) for given in fields.get("v1", []))


def _digest(secret: str, timestamp: int, body: bytes) -> str:
    signed = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()
