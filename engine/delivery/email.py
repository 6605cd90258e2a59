"""Email over SMTP with the standard library: plain, STARTTLS or implicit TLS, login when set.

The Message-ID is derived from the outbox row, so a resend after a crash is the same message to
the receiving system (which may drop the duplicate); one connection serves a dispatch pass.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate

from engine.config import SmtpSettings
from engine.delivery.channels import Envelope, Result, failed, retry, sent

TIMEOUT_SECONDS = 10.0


def message_id(key: str, domain: str = "caseway.invalid") -> str:
    return f"<{key}@{domain}>"


class EmailChannel:
    name = "email"

    def __init__(self, settings: SmtpSettings, sender: str) -> None:
        self.settings = settings
        self.sender = sender
        self._smtp: smtplib.SMTP | None = None

    def send(self, envelope: Envelope) -> Result:
        mail = build_message(envelope, self.sender)
        try:
            refused = self._connection().send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            self.close()
            return _refused(exc.recipients)
        except (smtplib.SMTPException, OSError) as exc:
            self.close()  # the next send (or the retry) starts on a fresh connection
            return retry(f"SMTP {self.settings.host}:{self.settings.port}: {exc}")
        if refused:
            return _refused(refused)
        return sent(mail["Message-ID"])

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is None:
            self._smtp = connect(self.settings)
        return self._smtp


def connect(settings: SmtpSettings) -> smtplib.SMTP:
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if settings.scheme == "smtps":
        smtp = smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=TIMEOUT_SECONDS, context=context
        )
    else:
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT_SECONDS)
        if settings.scheme == "smtp+starttls":
            smtp.starttls(context=context)
    if settings.username is not None and settings.password is not None:
        smtp.login(settings.username, settings.password)
    return smtp


def build_message(envelope: Envelope, sender: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = envelope.to
    mail["Subject"] = envelope.subject
    mail["Date"] = formatdate(usegmt=True)
    mail["Message-ID"] = message_id(envelope.key)
    mail.set_content(envelope.body)
    mail["Content-Language"] = envelope.language  # after set_content, which resets Content-*
    return mail


def _refused(recipients: dict[str, tuple[int, bytes]]) -> Result:
    """A permanent refusal (5xx) fails; a temporary one (4xx) is tried again."""
    codes = [code for code, _ in recipients.values()]
    detail = "; ".join(f"{to}: {code} {msg!r}" for to, (code, msg) in recipients.items())
    if all(400 <= code < 500 for code in codes):
        return retry(f"recipient deferred: {detail}")
    return failed(f"recipient refused: {detail}")
