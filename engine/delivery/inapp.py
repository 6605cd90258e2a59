"""In-app staff notifications (the bell): the row is written by the dispatcher beside the
outbox row's status, so a notification exists exactly when its row says delivered."""

from __future__ import annotations

from engine.delivery.channels import Envelope, Result, sent


class InAppChannel:
    name = "in_app"

    def send(self, envelope: Envelope) -> Result:
        return sent("in-app", in_app_for=envelope.to)

    def close(self) -> None:
        """Nothing is held open."""
