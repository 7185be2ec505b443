"""Who may write the record: the public keys of its writers, each enrolled
and revoked by a fact in the log itself, so that the list of who may write
is part of the chained record it vouches for.

A key is one aggregate, its id derived from its key id: enrolled once,
revoked once. The key id is the first 16 hex digits of the SHA-256 of the
raw Ed25519 public key, so an enrolment cannot name a key it does not hold.
"""

from __future__ import annotations

import hashlib
from functools import cache
from typing import Any, Literal
from uuid import UUID

from pydantic import Field

from domain.base import Aggregate, Founding, Recorded
from domain.errors import DomainError
from domain.text import Name, Text
from domain.values import Stamp

Role = Literal["admin", "person", "scheduler", "console"]
ROLES: tuple[Role, ...] = ("admin", "person", "scheduler", "console")
# Hex digits of a key id, and of a raw Ed25519 public key (32 bytes).
KEY_ID = 16
PUBLIC = 64


class KeyNotEnrolled(DomainError):
    """A key revoked that was never enrolled, or whose id does not fit its public key."""


class KeyAlreadyRevoked(DomainError):
    """A key is revoked once."""


def type_of(topic: str) -> str:
    """An event type's name, as a stored record's topic ends with it
    (`domain.partnership:Partnership.FundingDisbursed`: FundingDisbursed)."""
    return topic.rpartition(":")[2].rpartition(".")[2]


def may_sign(role: str, type_name: str) -> bool:
    """Whether a key of this role may sign a record of this type: a
    scheduler's signs what Accord records of itself (tasks, reminders,
    dispatches, deliveries), never a fact, an amendment or exchange rates people record,
    so that a compromised scheduler host cannot record a payment, nor
    propose, approve, reject or delegate (domain.approval), nor adopt a
    policy (domain.policies). Keys are
    enrolled and revoked under an administrator's key (checked apart)."""
    return role != "scheduler" or type_name not in _people_record()


@cache
def _people_record() -> frozenset[str]:
    from domain.approval import Delegation, Proposal
    from domain.policies import PolicyRecord
    from domain.rates import ExchangeRates
    from domain.vocabulary import all_types  # the vocabulary registers this module's aggregate

    acts = [event.__name__ for kind in (Proposal, Delegation, PolicyRecord) for event in kind.event_classes()]
    return frozenset([*all_types(), ExchangeRates.ExchangeRatesPublished.__name__, *acts])


def key_id_of(public_key: bytes) -> str:
    """A key's id: the first 16 hex digits of the SHA-256 of its raw public key."""
    return hashlib.sha256(public_key).hexdigest()[:KEY_ID]


class SigningKey(Aggregate):
    """One writer's public key: enrolled, then perhaps revoked."""

    NOUN = "key"
    STARTED = "enrolled"

    class KeyEnrolled(Recorded, Founding):
        key_id: str = Field(pattern=rf"^[0-9a-f]{{{KEY_ID}}}$", description="SHA-256 of the public key, 16 hex digits")
        public_key: str = Field(pattern=rf"^[0-9a-f]{{{PUBLIC}}}$", description="The raw Ed25519 public key, in hex")
        holder: Name = Field(min_length=1, description="Who holds its private key: a person, or a service")
        role: Role = Field(description="admin, person, scheduler or console")

        def check(self, aggregate: SigningKey | None) -> None:
            if key_id_of(bytes.fromhex(self.public_key)) != self.key_id:
                raise KeyNotEnrolled(f"key id {self.key_id} is not the id of the public key given")

    class KeyRevoked(Recorded):
        key_id: str = Field(pattern=rf"^[0-9a-f]{{{KEY_ID}}}$")
        reason: Text = Field(min_length=1)

        def check(self, aggregate: SigningKey) -> None:
            if aggregate.revoked:
                raise KeyAlreadyRevoked(f"key {aggregate.key_id} is already revoked")

        def apply(self, aggregate: SigningKey) -> None:
            aggregate.revoked = True

    def __init__(self, key_id: str, public_key: str, holder: str, role: Role) -> None:
        self.key_id = key_id
        self.public_key = public_key
        self.holder = holder
        self.role = role
        self.revoked = False

    @classmethod
    def named_by(cls, first: Any) -> str:
        return str(first.key_id)

    @classmethod
    def id_of(cls, key_id: str) -> UUID:
        return cls.id_for(key_id)

    @classmethod
    def enrol(cls, public_key: bytes, holder: str, role: Role, stamp: Stamp) -> SigningKey:
        key_id = key_id_of(public_key)
        facts = {"key_id": key_id, "public_key": public_key.hex(), "holder": holder, "role": role}
        return cls.start(cls.KeyEnrolled, key_id, facts, stamp)

    def revoke(self, reason: str, stamp: Stamp) -> None:
        self.record(self.KeyRevoked, {"key_id": self.key_id, "reason": reason}, stamp)
