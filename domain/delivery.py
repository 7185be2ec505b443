"""Telling people: one delivery of what the scheduler recorded (a reminder,
an escalation, a digest, the weekly report, a briefing) to one owner over one
channel, and what became of it.

A delivery is requested in the same transaction as the event that asks for
it, with an identity derived from that event, so it is requested once. Each
attempt's outcome is recorded on it: delivered, with the server's reply; or
failed, with the reason and when to try again, or no retry (a dead letter,
sent again only when a person says so). The log names owners ("desk:TN"),
never their addresses: the directory maps them, so a person can be removed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Literal
from uuid import UUID, uuid5

from pydantic import Field

from domain.base import NAMESPACE, Aggregate, Founding, Recorded
from domain.errors import DomainError
from domain.text import Text
from domain.values import Stamp

Channel = Literal["email", "webhook"]
# What a delivery tells: the kind of the event that asked for it.
About = Literal["reminder", "escalation", "digest", "portfolio", "briefing", "seal"]
State = Literal["pending", "delivered", "dead"]


class NotDeliverable(DomainError):
    """An outcome that does not fit the delivery as it stands."""


class Delivery(Aggregate):
    NOUN = "delivery"
    STARTED = "requested"

    class DeliveryRequested(Recorded, Founding):
        about: About
        source: UUID = Field(description="The task or dispatch whose event asked for it")
        source_version: int = Field(description="That event's version on its task or dispatch")
        owner: str = Field(description="To whom, as the record names them; the directory has their addresses")
        channel: Channel

    class Delivered(Recorded):
        attempt: int = Field(ge=1)
        reply: str = Field(description="The receiving server's reply")

        def check(self, aggregate: Delivery) -> None:
            aggregate.check_pending()

        def apply(self, aggregate: Delivery) -> None:
            aggregate.attempts = self.attempt
            aggregate.state = "delivered"
            aggregate.due_at = None

    class DeliveryFailed(Recorded):
        attempt: int = Field(ge=1)
        reason: str
        retry_at: datetime | None = Field(description="When to try again; none: a dead letter")

        def check(self, aggregate: Delivery) -> None:
            aggregate.check_pending()

        def apply(self, aggregate: Delivery) -> None:
            aggregate.attempts = self.attempt
            aggregate.state = Delivery.left_by_failure(self.retry_at)
            aggregate.due_at = self.retry_at

    class DeliveryRetried(Recorded):
        reason: Text = Field(min_length=1)

        def check(self, aggregate: Delivery) -> None:
            if aggregate.state != "dead":
                raise NotDeliverable(f"delivery {aggregate.id} is {aggregate.state}: only a dead letter is retried")

        def apply(self, aggregate: Delivery) -> None:
            aggregate.state = "pending"
            aggregate.due_at = self.timestamp
            aggregate.round_from = aggregate.attempts

    def __init__(self, about: About, source: UUID, source_version: int, owner: str, channel: Channel) -> None:
        self.about = about
        self.source = source
        self.source_version = source_version
        self.owner = owner
        self.channel = channel
        self.state: State = "pending"
        self.attempts = 0
        # The attempts before the last retry a person asked for: each retry
        # gets the full number of attempts again.
        self.round_from = 0
        # When to attempt it: at once.
        self.due_at: datetime | None = self.created_on

    @staticmethod
    def subject(source: UUID, source_version: int, owner: str, channel: str) -> str:
        return f"{source}/{source_version}/{owner}/{channel}"

    @classmethod
    def id_for(cls, subject: str) -> UUID:
        # Exactly as given: owners "Desk:TN" and "desk:TN" are each told.
        return uuid5(NAMESPACE, f"{cls.__name__}/{subject}")

    @classmethod
    def named_by(cls, first: Any) -> str:
        return cls.subject(first.source, first.source_version, first.owner, first.channel)

    @classmethod
    def request(
        cls, about: About, source: UUID, source_version: int, owner: str, channel: Channel, stamp: Stamp
    ) -> Delivery:
        facts = {
            "about": about,
            "source": source,
            "source_version": source_version,
            "owner": owner,
            "channel": channel,
        }
        return cls.start(cls.DeliveryRequested, cls.subject(source, source_version, owner, channel), facts, stamp)

    @property
    def attempt(self) -> int:
        """The number of the next attempt."""
        return self.attempts + 1

    @property
    def attempts_this_round(self) -> int:
        """Attempts made since it was requested, or last retried by a person."""
        return self.attempts - self.round_from

    def retry_time(
        self, permanent: bool, at: datetime, allowed: int, wait: Callable[[int], timedelta]
    ) -> datetime | None:
        """When to try again after the next attempt failed at `at`: after
        `wait(n)` for the round's nth failure; never (a dead letter) once a
        failure is for good or the round's `allowed` attempts are spent."""
        tries = self.attempts_this_round + 1
        return None if permanent or tries >= allowed else at + wait(tries)

    @staticmethod
    def left_by_failure(retry_at: datetime | None) -> State:
        """Pending again, when there is a time to retry; else a dead letter."""
        return "pending" if retry_at else "dead"

    def check_pending(self) -> None:
        if self.state != "pending":
            raise NotDeliverable(f"delivery {self.id} is {self.state}")

    def delivered(self, attempt: int, reply: str, stamp: Stamp) -> bool:
        return self.record(self.Delivered, {"attempt": attempt, "reply": reply}, stamp)

    def failed(self, attempt: int, reason: str, retry_at: datetime | None, stamp: Stamp) -> bool:
        return self.record(self.DeliveryFailed, {"attempt": attempt, "reason": reason, "retry_at": retry_at}, stamp)

    def retry(self, reason: str, stamp: Stamp) -> bool:
        return self.record(self.DeliveryRetried, {"reason": reason}, stamp)
