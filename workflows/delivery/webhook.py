"""Webhooks: a message posted as JSON to a person's address (a chat room's
incoming hook, a ticketing system), signed as Standard Webhooks has it, so
that the receiver can tell it came from Accord and drop a copy sent twice
(the same webhook-id).

    with Hooks(settings.delivery.webhooks) as hooks:
        reply = hooks.send(message, "https://chat.example.eu/hooks/desk-tn", at=now)  # "200 OK: ..."
"""

from __future__ import annotations

import base64
import json
import secrets
import ssl
from datetime import datetime
from types import TracebackType
from urllib.parse import urlsplit

import httpx
from standardwebhooks.webhooks import Webhook

from workflows.config.settings import WebhookSettings
from workflows.delivery.message import DeliveryFailed, Message, Permanent, Transient, Uncomposable

__all__ = ["Hooks", "WebhookSettings", "new_secret"]

# Answers that mean "later": a timeout, too many requests, a server in trouble.
LATER = frozenset({408, 429})
SHOWN = 200  # characters of the receiver's answer kept with the delivery


def new_secret() -> str:
    """A fresh signing key, as ACCORD_WEBHOOK_SECRET takes it."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


class Hooks:
    """One HTTP client for many webhooks, its connections kept alive."""

    def __init__(self, settings: WebhookSettings) -> None:
        if not settings.secret:
            raise Permanent("webhooks are always signed: set ACCORD_WEBHOOK_SECRET (`accord directory new-secret`)")
        self.settings = settings
        self._signer = Webhook(settings.secret)
        # Redirects are not followed: a signed message goes where it was addressed, or nowhere.
        self._client = httpx.Client(timeout=settings.timeout, follow_redirects=False, headers={"user-agent": "Accord"})

    def __enter__(self) -> Hooks:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def send(self, message: Message, url: str, at: datetime) -> str:
        """Post `message` to `url`, signed and stamped `at` (the moment of
        this attempt, with its zone); the receiver's answer, or
        DeliveryFailed saying why not."""
        if at.tzinfo is None:
            raise ValueError("a webhook's moment must carry its time zone")
        try:
            body = json.dumps(
                {"type": message.event_type, "timestamp": at.isoformat(), "data": message.payload}, default=str
            ).encode()
            headers = {
                "webhook-id": message.id,
                "webhook-timestamp": str(int(at.timestamp())),
                "webhook-signature": self._signer.sign(message.id, at, body),
                "content-type": "application/json",
            }
        except Exception as error:  # whatever it was, this message will never be sent: a dead letter
            raise Uncomposable("the webhook's body", error) from error
        try:
            response = self._client.post(url, content=body, headers=headers)
        except (httpx.HTTPError, httpx.InvalidURL) as error:
            raise _failure(url, error, self.settings.timeout) from None
        answer = f"{response.status_code} {response.reason_phrase}"
        text = " ".join(response.text.split())[:SHOWN]
        said = f"{answer}: {text}" if text else answer
        if response.is_success:
            return said
        if response.status_code in LATER or response.is_server_error:
            raise Transient(f"{_host(url)} answered {said}")
        if response.is_redirect:
            where = response.headers.get("location", "elsewhere")
            raise Permanent(
                f"{_host(url)} answered {answer}, to {where}: redirects are not followed, correct the address"
            )
        raise Permanent(f"{_host(url)} answered {said}")


def _failure(url: str, error: httpx.HTTPError | httpx.InvalidURL, timeout: float) -> DeliveryFailed:
    host = _host(url)
    untrusted = _untrusted(error)
    match error:
        case httpx.TimeoutException():
            return Transient(f"{host} did not answer within {timeout:g} s")
        case _ if untrusted is not None:
            return Permanent(f"{host} is not to be trusted: {untrusted.verify_message}")
        case httpx.UnsupportedProtocol() | httpx.InvalidURL():
            return Permanent(f"{host} cannot be posted to: {error}")
        case httpx.TransportError():
            return Transient(f"{host} could not be reached: {error}")
    return Permanent(f"{host} cannot be posted to: {error}")


def _untrusted(error: BaseException | None) -> ssl.SSLCertVerificationError | None:
    """The certificate refused that led to `error` (httpx wraps the ssl module's errors)."""
    while error is not None and not isinstance(error, ssl.SSLCertVerificationError):
        error = error.__cause__ or error.__context__
    return error


def _host(url: str) -> str:
    # The host only: a hook's path often holds its own secret token.
    return f"the webhook at {urlsplit(url).hostname or 'an address without a host'}"
