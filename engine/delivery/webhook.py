"""Partner referrals as a signed JSON POST to the partner's webhook.

2xx: delivered. 429 and 5xx, timeouts and refused connections: tried again later. Any other 4xx:
failed (the receiver says the request itself is wrong; repeating it will not help). Redirects
are not followed. The `Idempotency-Key` header is the same on every attempt for a row.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import requests

from engine.delivery.channels import Envelope, Result, failed, retry, sent
from engine.delivery.signing import HEADER, sign

TIMEOUT_SECONDS = 10.0


class WebhookChannel:
    name = "webhook"

    def __init__(self, now: Callable[[], float], timeout: float = TIMEOUT_SECONDS) -> None:
        self._now = now
        self.timeout = timeout
        self._http = requests.Session()

    def send(self, envelope: Envelope) -> Result:
        if envelope.document is None or not envelope.secret:
            return failed("a webhook needs a document and the partner's secret")
        body = json.dumps(envelope.document, sort_keys=True, separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": envelope.key,
            HEADER: sign(envelope.secret, body, int(self._now())),
            "User-Agent": "Caseway-Webhook/1",
        }
        try:
            response = self._http.post(
                envelope.to,
                data=body,
                headers=headers,
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.Timeout:
            return retry(f"no answer within {self.timeout:g} s")
        except requests.RequestException as exc:
            return retry(f"{type(exc).__name__}: {exc}")
        return classify(response.status_code, response.text[:300])

    def close(self) -> None:
        """The session's connection pool lives as long as the channel."""


def classify(status: int, text: str) -> Result:
    if 200 <= status < 300:
        return sent(f"http-{status}")
    if status == 429 or status >= 500:
        return retry(f"HTTP {status}: {text}")
    return failed(f"HTTP {status}: {text}")
