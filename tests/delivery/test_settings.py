"""Delivery settings: SMTP URLs in their three forms; a malformed one stops start-up."""

from __future__ import annotations

import pytest

from engine.cli.main import main
from engine.config import Settings, SmtpSettings


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://127.0.0.1:2525", SmtpSettings("smtp", "127.0.0.1", 2525)),
        (
            "smtp+starttls://user:p%40ss@mail.example:587",
            SmtpSettings("smtp+starttls", "mail.example", 587, "user", "p@ss"),
        ),
        ("smtps://u:p@mail.example", SmtpSettings("smtps", "mail.example", 465, "u", "p")),
    ],
)
def test_smtp_urls(url, expected):
    assert Settings.from_env({"CASEWAY_SMTP_URL": url}).smtp == expected


@pytest.mark.parametrize(
    "url", ["ftp://host", "smtp://", "smtp://host:notaport", "smtp://user@host", "smtp://h/x"]
)
def test_a_malformed_smtp_url_is_refused_without_echoing_a_password(url):
    with pytest.raises(ValueError, match="CASEWAY_SMTP_URL"):
        Settings.from_env({"CASEWAY_SMTP_URL": url})


def test_the_cli_stops_with_a_clear_message(monkeypatch, capsys):
    monkeypatch.setenv("CASEWAY_SMTP_URL", "smtps://user:secret@")

    assert main(["users", "list"]) == 2

    err = capsys.readouterr().err
    assert "configuration: CASEWAY_SMTP_URL" in err and "secret" not in err


def test_no_smtp_url_means_no_email_channel():
    assert Settings.from_env({}).smtp is None
