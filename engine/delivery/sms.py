"""SMS through a provider with a Twilio-compatible API: a form post of To, From and Body with
basic auth. Without a configured provider, SMS rows become `no_channel` (plan.py)."""

from __future__ import annotations

import requests

from engine.config import SmsSettings
from engine.delivery.channels import Envelope, Result, retry, sent
from engine.delivery.webhook import TIMEOUT_SECONDS, classify


class SmsChannel:
    name = "sms"

    def __init__(self, settings: SmsSettings, timeout: float = TIMEOUT_SECONDS) -> None:
        self.settings = settings
        self.timeout = timeout
        self._http = requests.Session()

    def send(self, envelope: Envelope) -> Result:
        auth = None
        if self.settings.username is not None:
            auth = (self.settings.username, self.settings.password or "")
        text = f"{envelope.subject}\n{envelope.body}" if envelope.subject else envelope.body
        try:
            response = self._http.post(
                self.settings.url,
                data={"To": envelope.to, "From": self.settings.sender, "Body": text},
                auth=auth,
                headers={"Idempotency-Key": envelope.key},
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            return retry(f"{type(exc).__name__}: {exc}")
        result = classify(response.status_code, response.text[:300])
        if result.outcome == "sent":
            return sent(_sid(response) or result.provider_id)
        return result

    def close(self) -> None:
        """Connections are pooled by the session."""


def _sid(response: requests.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    sid = body.get("sid") if isinstance(body, dict) else None
    return str(sid) if sid else None
