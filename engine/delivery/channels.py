"""The one protocol every channel adapter implements, and what goes in and comes out of it.

Adapters do the talking to the outside world and nothing else: the dispatcher decides what to
send (plan.py) and writes the outcome (dispatcher.py), so an adapter is small and testable
against a real receiver.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

Outcome = Literal["sent", "retry", "failed"]


@dataclass(frozen=True)
class Envelope:
    """One message to one address. `key` is stable for the outbox row (and recipient), so a
    resend after a crash carries the same idempotency key (SMTP Message-ID, webhook header)."""

    outbox_id: int
    key: str
    to: str
    subject: str
    body: str
    name: str = ""
    language: str = "en"
    office: str = ""
    instance_id: str | None = None
    document: Mapping[str, Any] | None = None  # the JSON of a partner referral
    secret: str | None = None  # the partner's signing secret


@dataclass(frozen=True)
class Result:
    """`retry`: a transient failure (backoff and try again); `failed`: never going to work.

    `pdf` (letters) and `in_app_for` (staff notices) are stored by the dispatcher beside the
    row's new status, in the same transaction."""

    outcome: Outcome
    provider_id: str | None = None
    error: str | None = None
    pdf: bytes | None = None
    in_app_for: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


class Channel(Protocol):
    """A way out. `send` must not raise for delivery problems: it answers a `Result`."""

    name: str

    def send(self, envelope: Envelope) -> Result: ...

    def close(self) -> None:
        """Release connections kept between sends of one dispatch pass."""
        ...


def sent(provider_id: str | None = None, **kw: Any) -> Result:
    return Result("sent", provider_id=provider_id, **kw)


def retry(error: str) -> Result:
    return Result("retry", error=error[:2000])


def failed(error: str) -> Result:
    return Result("failed", error=error[:2000])
