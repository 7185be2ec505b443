"""What one delivery carries, whatever the channel, and how sending it can
fail: for now (try again later) or for good (trying again will not help)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mime_type: str  # e.g. "application/pdf"


@dataclass(frozen=True)
class Message:
    """One message to send. `id` is the delivery's identity (a UUID): sent
    as the email's Message-ID and the webhook's webhook-id, it stays the
    same when a message is sent again, so that a receiver can drop a copy.
    One message may carry several deliveries to one person (see
    workflows.delivery.inbox): its id is then made of theirs."""

    id: str
    event_type: str  # what happened: "reminder", "escalation", "digest"...
    subject: str
    text: str
    html: str | None = None
    attachments: tuple[Attachment, ...] = ()
    payload: dict[str, Any] = field(default_factory=dict)  # the JSON a webhook carries
    deliveries: tuple[str, ...] = ()  # the ids of the deliveries it carries (one, or an inbox's many)


class DeliveryFailed(Exception):
    """A message that was not delivered; `reason` says why in one line, and
    `permanent` whether trying again could help."""

    def __init__(self, reason: str, permanent: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


class Transient(DeliveryFailed):
    """Worth trying again later: the server was out of reach, too slow, busy,
    or asked to come back (SMTP 4xx, HTTP 5xx, 408, 429)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, permanent=False)


class Permanent(DeliveryFailed):
    """Trying again will not help until someone changes something: the server
    refused the message or its recipients (SMTP 5xx, HTTP 4xx), or the
    connection's settings are wrong (TLS, login)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, permanent=True)


class Uncomposable(Permanent):
    """A message that could not be made from what the record holds (any
    error while composing it): it never will be, so it is a dead letter with
    the error as its reason, and the other deliveries go on."""

    def __init__(self, what: str, error: Exception) -> None:
        said = " ".join(str(error).split())
        super().__init__(f"{what} could not be composed: {type(error).__name__}" + (f": {said}" if said else ""))
