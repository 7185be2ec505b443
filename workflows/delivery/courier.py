"""The courier: requests deliveries as the scheduler records what asks for
them, and sends those due, recording each outcome.

Requested in the transaction of the event that asks (a reminder, an
escalation, a dispatch), each delivery is in the store before anything is
sent. Each is sent, then its outcome recorded: a crash between the two
leaves it pending, and it is sent again with the same identity
(Message-ID, webhook-id). Those due to one person by email go as one
message (workflows.delivery.inbox), and the outcome of that one send is
recorded on each of them. Transport is at least once; the
identity makes it once for a receiver that deduplicates.

Outcomes are recorded a few at a time (see `Courier.deliver`). Only the
scheduler that holds the store's leadership sends (see
workflows.scheduler.leader), so two schedulers never send one delivery at
once; a person's retry of a dead letter and the courier's outcome meet on
the delivery's version, and one of them decides again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.delivery import About, Channel, Delivery
from domain.values import Stamp
from workflows.application.service import Accord
from workflows.config.settings import Delivery as DeliverySettings
from workflows.delivery.compose import Part, TaskPage, part_of
from workflows.delivery.directory import Directory, load_directory
from workflows.delivery.email import Mailer
from workflows.delivery.inbox import inbox_message
from workflows.delivery.message import DeliveryFailed, Permanent, Transient, Uncomposable
from workflows.delivery.webhook import Hooks
from workflows.escape.terminal import visible

log = logging.getLogger("accord.delivery")

COURIER = "scheduler"
# Deliveries sent per pass; the rest wait for the next tick.
BATCH = 1000
# Outcomes are recorded this many at a time, or after this many seconds.
RECORD_EVERY = 50
RECORD_WITHIN = 1.0
# A reply or reason is kept to this many characters in the log.
SAID = 500


@dataclass(frozen=True)
class Outcome:
    """What became of one attempt."""

    delivery: UUID
    owner: str
    channel: str
    about: str
    attempt: int
    delivered: bool
    said: str  # the server's reply, or the reason it failed
    retry_at: datetime | None = None

    @property
    def dead(self) -> bool:
        return not self.delivered and self.retry_at is None

    def __str__(self) -> str:
        to = f"{self.about} to {self.owner} by {self.channel} (attempt {self.attempt})"
        if self.delivered:
            return f"delivered {to}: {self.said}"
        then = f"again at {self.retry_at:%Y-%m-%d %H:%M:%S} UTC" if self.retry_at else "a dead letter now"
        return f"failed {to}: {self.said}; {then}"


class Courier:
    """Deliveries over one application, by the directory and settings given."""

    def __init__(self, app: Accord, settings: DeliverySettings, directory: Directory | None) -> None:
        self.app = app
        self.settings = settings
        self.directory = directory

    @classmethod
    def of(cls, app: Accord, settings: DeliverySettings) -> Courier:
        """A courier reading the directory the settings name (none: nothing is delivered)."""
        directory = load_directory(settings.directory) if settings.directory else None
        return cls(app, settings, directory)

    # Requesting, in the transaction of the event that asks.

    def requests(self, about: About, source: Any, at: datetime) -> list[Any]:
        """The events requesting a delivery of `source`'s latest event (a
        task's reminder or escalation, a dispatch) to each person the
        directory routes it to, over each channel they have; none without a
        directory."""
        if self.directory is None:
            return []
        if about == "reminder":
            owners = self.directory.for_reminder(source.owner)
        elif about == "escalation":
            owners = self.directory.for_escalation(source.owner, source.level)
        else:
            owners = self.directory.for_dispatch(source.kind, source.recipient)
        events: list[Any] = []
        for owner in owners:
            person = self.directory.person(owner)
            assert person is not None  # the directory routes only to people it has
            for channel in person.channels:
                stamp = Stamp(COURIER, at, f"{about}/{owner}/{channel}")
                events += Delivery.request(about, source.id, source.version, owner, channel, stamp).collect_events()
        return events

    # Sending.

    def due(self, at: datetime) -> list[dict[str, Any]]:
        """The deliveries due by `at`, from the views brought up to date."""
        self.app.refresh()
        return self.app.reader.deliveries.due(at, BATCH)

    def deliver(self, at: datetime) -> list[Outcome]:
        """Send every delivery due by `at`, those to one person by email as
        one message (workflows.delivery.inbox), recording the outcomes as
        they come, a few at a time (RECORD_EVERY, or after RECORD_WITHIN
        seconds): a crash sends at most those few again, each with its
        identity, and a pass spends its time sending, not committing."""
        recorded: list[Outcome] = []
        unrecorded: list[Outcome] = []
        since = time.monotonic()
        try:
            with Channels(self.settings) as channels:
                for group in _grouped(self.due(at)):
                    unrecorded += self._attempt(group, at, channels)
                    if len(unrecorded) >= RECORD_EVERY or time.monotonic() - since > RECORD_WITHIN:
                        recorded += self._record(unrecorded)
                        unrecorded, since = [], time.monotonic()
        finally:
            recorded += self._record(unrecorded)
        return recorded

    def _attempt(self, group: Sequence[UUID], at: datetime, channels: Channels) -> list[Outcome]:
        """Send a group of deliveries (to one owner, by one channel) as they
        stand now, in one message; the outcome of each, to record."""
        deliveries = [delivery for delivery in map(self.app.find, group) if _due(delivery, at)]
        if not deliveries:
            return []  # done or retried meanwhile, by another process
        owner, channel = deliveries[0].owner, deliveries[0].channel
        missing = self._missing(owner, channel)
        if missing is not None:  # never sendable as things are: set aside at once, saying why
            return [self._failed(delivery, at, Permanent(missing)) for delivery in deliveries]
        outcomes: list[Outcome] = []
        parts: list[Part] = []
        for delivery in deliveries:
            try:
                parts.append(part_of(self.app, delivery, self._linked_to))
            except Uncomposable as failure:
                log.warning("delivery %s: %s", delivery.id, failure.reason, exc_info=failure.__cause__)
                outcomes.append(self._failed(delivery, at, failure))
        if not parts:
            return outcomes
        try:
            said = _said(self._send(owner, channel, parts, channels))
        except DeliveryFailed as failure:
            if isinstance(failure, Uncomposable):
                log.warning("deliveries %s: %s", _ids(parts), failure.reason, exc_info=failure.__cause__)
            return outcomes + [self._failed(part.delivery, at, failure) for part in parts]
        return outcomes + [_outcome(part.delivery, delivered=True, said=said) for part in parts]

    def _missing(self, owner: str, channel: Channel) -> str | None:
        if self.directory is None:
            return f"{owner} is not in the directory: no directory is set (ACCORD_DIRECTORY)"
        return self.directory.missing(owner, channel, signed=self.settings.webhook_secret is not None)

    @property
    def _linked_to(self) -> TaskPage | None:
        """A task's page in the web console, if ACCORD_WEB_URL says where it is."""
        return self.settings.task_page if self.settings.web_url else None

    def _failed(self, delivery: Delivery, at: datetime, failure: DeliveryFailed) -> Outcome:
        retry_at = delivery.retry_time(
            failure.permanent, at, self.settings.delivery_attempts, self.settings.retry_after
        )
        return _outcome(delivery, delivered=False, said=_said(failure.reason), retry_at=retry_at)

    def _send(self, owner: str, channel: Channel, parts: Sequence[Part], channels: Channels) -> str:
        person = self.directory.person(owner) if self.directory else None
        assert person is not None  # checked by Directory.missing
        if channel == "email":
            return channels.mailer().send(inbox_message(owner, parts), to=list(person.email))
        [part] = parts  # a webhook carries one delivery: see _grouped
        return channels.hooks().send(part.message, str(person.webhook), self.app.clock.now())

    def _record(self, outcomes: Sequence[Outcome]) -> list[Outcome]:
        """Record the outcomes of attempts, in one transaction, each on its
        delivery as it now stands: one that no longer waits for that attempt
        (a retry raced with it) is left out. Those recorded."""
        if not outcomes:
            return []

        def decide(_: int) -> tuple[list[Outcome], list[Any]]:
            recorded: list[Outcome] = []
            events: list[Any] = []
            now = self.app.clock.now()
            for outcome in outcomes:
                delivery: Delivery | None = self.app.find(outcome.delivery)
                if delivery is None:
                    # Gone from the log since it was sent: a primary lost before its standby had it
                    # (asynchronous replication), with the event that asked for it.
                    log.warning("delivery %s is no longer in the log: its outcome is not recorded", outcome.delivery)
                    continue
                if delivery.attempt != outcome.attempt or delivery.state != "pending":
                    continue
                stamp = Stamp(COURIER, now, f"attempt-{outcome.attempt}")
                if outcome.delivered:
                    delivery.delivered(outcome.attempt, outcome.said, stamp)
                else:
                    delivery.failed(outcome.attempt, outcome.said, outcome.retry_at, stamp)
                recorded.append(outcome)
                events += delivery.collect_events()
            return recorded, events

        recorded: list[Outcome] = self.app.store_decided(decide)
        for outcome in recorded:
            log.info("%s", outcome)
        return recorded


def _grouped(rows: Sequence[dict[str, Any]]) -> list[list[UUID]]:
    """The deliveries due, grouped to be sent together: by email, all those
    to one owner (their inbox); by webhook, each alone, as receivers
    (a chat room, a ticketing system) take one event a request and drop a
    copy by its webhook-id."""
    groups: dict[tuple[str, str], list[UUID]] = {}
    for row in rows:
        key = (row["owner"], row["delivery_id"]) if row["channel"] == "webhook" else (row["owner"], "email")
        groups.setdefault(key, []).append(UUID(row["delivery_id"]))
    return list(groups.values())


def _due(delivery: Delivery | None, at: datetime) -> bool:
    return delivery is not None and delivery.state == "pending" and not (delivery.due_at and delivery.due_at > at)


def _outcome(delivery: Delivery, **said: Any) -> Outcome:
    return Outcome(delivery.id, delivery.owner, delivery.channel, delivery.about, delivery.attempt, **said)


def _ids(parts: Sequence[Part]) -> str:
    return ", ".join(str(part.delivery.id) for part in parts)


def _said(text: str) -> str:
    """A server's reply or a failure's reason as the log keeps it: one line,
    its control characters shown as escapes (a server, or an error quoting
    the record, may send any), at most SAID characters."""
    return visible(" ".join(text.split()))[:SAID]


class Channels:
    """The SMTP connection and the HTTP client of one pass, each opened when
    first needed and closed at the end."""

    def __init__(self, settings: DeliverySettings) -> None:
        self.settings = settings
        self.stack = ExitStack()
        self._mailer: Mailer | None = None
        self._hooks: Hooks | None = None

    def __enter__(self) -> Channels:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stack.close()

    def mailer(self) -> Mailer:
        if self._mailer is None:
            smtp = self.settings.smtp
            if smtp is None:
                raise Transient("no SMTP server is set (ACCORD_SMTP_HOST): email waits until one is")
            self._mailer = self.stack.enter_context(Mailer(smtp))
        return self._mailer

    def hooks(self) -> Hooks:
        if self._hooks is None:
            self._hooks = self.stack.enter_context(Hooks(self.settings.webhooks))
        return self._hooks


def retry_dead(app: Accord, ids: Sequence[UUID], reason: str, actor: str) -> list[UUID]:
    """Put dead letters back in line, to be sent at the next pass; the ids
    of those retried (one already pending or delivered is left as it is)."""

    def decide(_: int) -> tuple[list[UUID], list[Any]]:
        retried: list[UUID] = []
        events: list[Any] = []
        now = app.clock.now()
        for delivery_id in ids:
            delivery: Delivery | None = app.find(delivery_id)
            if delivery is None or delivery.state != "dead":
                continue
            delivery.retry(reason, Stamp(actor, now, f"retry-{delivery.attempts}"))
            retried.append(delivery_id)
            events += delivery.collect_events()
        return retried, events

    retried: list[UUID] = app.store_decided(decide)
    return retried
