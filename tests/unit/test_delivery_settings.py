"""Delivery's settings: no email without a mail server, each bad setting
named in one sentence, and retries that wait longer each time, up to a cap."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from tests.helpers import settings_from
from workflows.config.settings import Delivery, SmtpSettings, WebhookSettings
from workflows.delivery.webhook import new_secret


def test_without_a_mail_server_no_email_is_sent_and_nothing_is_signed() -> None:
    delivery = settings_from(Delivery, {})

    assert delivery.smtp is None
    assert delivery.webhooks == WebhookSettings(secret=None)
    assert (delivery.directory, delivery.delivery_attempts, delivery.delivery_backoff) == (None, 8, 60.0)


def test_the_mail_server_settings_are_read_whole() -> None:
    secret = new_secret()
    delivery = settings_from(
        Delivery,
        {
            "ACCORD_DIRECTORY": "people.toml",
            "ACCORD_SMTP_HOST": "mail.example.eu",
            "ACCORD_SMTP_USER": "accord",
            "ACCORD_SMTP_PASSWORD": " two words ",
            "ACCORD_MAIL_FROM": "Accord <accord@example.eu>",
            "ACCORD_WEBHOOK_SECRET": secret,
            "ACCORD_DELIVERY_ATTEMPTS": "3",
            "ACCORD_DELIVERY_BACKOFF": "30",
        },
    )

    assert delivery.smtp == SmtpSettings(
        host="mail.example.eu",
        port=587,
        security="starttls",
        user="accord",
        password=" two words ",
        sender="Accord <accord@example.eu>",
    )
    assert delivery.webhooks.secret == secret
    assert (delivery.directory, delivery.delivery_attempts, delivery.delivery_backoff) == ("people.toml", 3, 30.0)
    assert "two words" not in repr(delivery) + repr(delivery.smtp)


def test_an_authority_file_is_checked_as_it_is_read(tmp_path: Path) -> None:
    not_pem = tmp_path / "ca.pem"
    not_pem.write_text("not a certificate")

    for path, says in ((tmp_path / "missing.pem", "No such file or directory"), (not_pem, "")):
        with pytest.raises(ValueError) as caught:
            settings_from(Delivery, {"ACCORD_SMTP_HOST": "mail.example.eu", "ACCORD_SMTP_CA_FILE": str(path)})
        assert str(caught.value).startswith(
            f"ACCORD_SMTP_CA_FILE must be a file of certificate authorities in PEM; {str(path)!r} cannot be read"
        )
        assert says in str(caught.value)


@pytest.mark.parametrize(("security", "port"), [("starttls", 587), ("TLS", 465), ("none", 25)])
def test_the_port_defaults_to_the_one_of_its_security(security: str, port: int) -> None:
    delivery = settings_from(Delivery, {"ACCORD_SMTP_HOST": "mail.example.eu", "ACCORD_SMTP_SECURITY": security})

    assert delivery.smtp is not None
    assert (delivery.smtp.security, delivery.smtp.port) == (security.lower(), port)


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("SMTP_PORT", "0", "ACCORD_SMTP_PORT must be a port number from 1 to 65535; got '0'"),
        ("SMTP_PORT", "smtp", "ACCORD_SMTP_PORT must be a port number from 1 to 65535; got 'smtp'"),
        ("SMTP_PORT", "65536", "ACCORD_SMTP_PORT must be a port number from 1 to 65535; got '65536'"),
        ("SMTP_SECURITY", "ssl", "ACCORD_SMTP_SECURITY must be starttls, tls or none; got 'ssl'"),
        ("MAIL_FROM", "accord", "ACCORD_MAIL_FROM must be an email address such as accord@example.eu"),
        ("WEBHOOK_SECRET", "s3cret", "ACCORD_WEBHOOK_SECRET must be whsec_ followed by the base64 of 24 to 64"),
        ("WEBHOOK_SECRET", "whsec_c2hvcnQ=", "ACCORD_WEBHOOK_SECRET must be whsec_"),  # 5 bytes
        ("WEBHOOK_SECRET", "whsec_not base64!", "ACCORD_WEBHOOK_SECRET must be whsec_"),
        ("DELIVERY_ATTEMPTS", "0", "ACCORD_DELIVERY_ATTEMPTS must be a whole number from 1 to 100; got '0'"),
        ("DELIVERY_BACKOFF", "soon", "ACCORD_DELIVERY_BACKOFF must be a number from 1 to 21600; got 'soon'"),
    ],
)
def test_a_bad_setting_is_named_in_one_sentence(name: str, value: str, says: str) -> None:
    with pytest.raises(ValueError) as caught:
        settings_from(Delivery, {f"ACCORD_{name}": value})

    assert str(caught.value).startswith(says)
    assert "\n" not in str(caught.value)


def test_each_retry_waits_twice_as_long_as_the_one_before_up_to_six_hours() -> None:
    delivery = Delivery(delivery_backoff=60)

    waits = [delivery.retry_after(attempt) for attempt in (1, 2, 3, 9, 10, 1000)]

    assert waits == [timedelta(minutes=m) for m in (1, 2, 4, 256)] + [timedelta(hours=6)] * 2
    with pytest.raises(ValueError, match="attempts are counted from 1; got 0"):
        delivery.retry_after(0)


def test_a_new_secret_is_one_the_settings_take() -> None:
    secret = new_secret()

    assert settings_from(Delivery, {"ACCORD_WEBHOOK_SECRET": secret}).webhook_secret == secret
    assert secret != new_secret()


def test_the_consoles_address_gives_each_task_its_page_there() -> None:
    delivery = settings_from(Delivery, {"ACCORD_WEB_URL": " https://accord.example.eu/console/ "})

    assert delivery.web_url == "https://accord.example.eu/console"
    assert delivery.task_page("3f9a0c2e") == "https://accord.example.eu/console/tasks/3f9a0c2e"
    assert settings_from(Delivery, {}).web_url is None


@pytest.mark.parametrize(
    "address", ["accord.example.eu", "ftp://accord.example.eu", "https://", "https://a.eu/?x=1", "https://me:pw@a.eu"]
)
def test_a_consoles_address_that_is_not_one_is_refused_in_a_sentence(address: str) -> None:
    with pytest.raises(ValueError, match="ACCORD_WEB_URL must be the web console's http:// or https:// address"):
        settings_from(Delivery, {"ACCORD_WEB_URL": address})


def test_a_consoles_address_is_one_token_in_any_message() -> None:
    web_url = settings_from(Delivery, {"ACCORD_WEB_URL": "https://accord.example.eu/my console<x>"}).web_url

    assert web_url == "https://accord.example.eu/my%20console%3Cx%3E"
