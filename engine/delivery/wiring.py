"""Build the dispatcher of this process from the settings: the channels that are configured,
the notice templates with the configured standards, and the partner secret box."""

from __future__ import annotations

from datetime import timedelta

from engine.delivery.channels import Channel
from engine.delivery.dispatcher import Dispatcher, Limits
from engine.delivery.email import EmailChannel
from engine.delivery.inapp import InAppChannel
from engine.delivery.letters import LetterChannel
from engine.delivery.offices import load_offices
from engine.delivery.plan import Planner
from engine.delivery.secrets import SecretBox
from engine.delivery.sms import SmsChannel
from engine.delivery.templates import NoticeTemplates
from engine.delivery.webhook import WebhookChannel
from engine.services import Services


def notice_templates(svc: Services) -> NoticeTemplates:
    offices = load_offices(svc.settings.offices_config)
    return NoticeTemplates(svc.settings.notices_dir, svc.runtime.standards, offices)


def channels_for(svc: Services) -> dict[str, Channel]:
    settings = svc.settings
    channels: dict[str, Channel] = {
        "letter": LetterChannel(),
        "in_app": InAppChannel(),
        "webhook": WebhookChannel(
            lambda: svc.clock.now().timestamp(), timeout=settings.webhook_timeout_seconds
        ),
    }
    if settings.smtp is not None:
        channels["email"] = EmailChannel(settings.smtp, settings.mail_from)
    if settings.sms is not None:
        channels["sms"] = SmsChannel(settings.sms, timeout=settings.webhook_timeout_seconds)
    return channels


def build_dispatcher(
    svc: Services, channels: dict[str, Channel] | None = None, owner: str | None = None
) -> Dispatcher:
    chosen = channels if channels is not None else channels_for(svc)
    planner = Planner(notice_templates(svc), SecretBox.from_settings(svc.settings), set(chosen))
    limits = Limits(
        max_attempts=svc.settings.outbox_max_attempts,
        lease=timedelta(seconds=svc.settings.outbox_lease_seconds),
        batch=svc.settings.outbox_batch_size,
    )
    return Dispatcher(svc.sessions, svc.clock, planner, chosen, limits, owner)
