"""The keys the log enrolls and revokes, read from the log itself (never
from the writers' index of them): who may sign, from which position, until
which."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from eventsourcing.utils import get_topic

from domain.signing import SigningKey

ENROLLED = get_topic(SigningKey.KeyEnrolled)
REVOKED = get_topic(SigningKey.KeyRevoked)
PAGE = 1000


@dataclass
class Key:
    """One key as the log has it."""

    key_id: str
    public: bytes
    holder: str
    role: str
    enrolled_at: int  # its enrolment's position
    enrolled_on: datetime
    enrolled_by: str
    revoked_at: int | None = None
    revoked_on: datetime | None = None
    reason: str | None = None

    def in_force_over(self, first: int) -> bool:
        """Whether it may sign a transaction that stored from `first` on:
        enrolled before it, not revoked before it."""
        return self.enrolled_at < first and (self.revoked_at is None or self.revoked_at >= first)


@dataclass(frozen=True)
class KeyEvent:
    position: int
    kind: str  # "enrolled" or "revoked"
    values: dict[str, Any]


def key_events(db: Any, through: int | None = None) -> Iterator[KeyEvent]:
    """The KeyEnrolled and KeyRevoked events of the log, in position order."""
    start = 1
    while rows := db.rows(start, PAGE, through, (ENROLLED, REVOKED)):
        for position, originator, version, topic, state in rows:
            _, values = db.mapper.decode(topic, bytes(state), originator, version)
            yield KeyEvent(position, "enrolled" if topic == ENROLLED else "revoked", values)
        start = rows[-1][0] + 1


def keys_in_log(db: Any, through: int | None = None) -> dict[str, Key]:
    """Every key the log enrolls, by key id, with its revocation if any (a
    second enrolment of one id, which the domain refuses, is left out)."""
    keys: dict[str, Key] = {}
    for event in key_events(db, through):
        values = event.values
        key_id = str(values["key_id"])
        if event.kind == "enrolled" and key_id not in keys:
            keys[key_id] = Key(
                key_id=key_id,
                public=bytes.fromhex(values["public_key"]),
                holder=str(values["holder"]),
                role=str(values["role"]),
                enrolled_at=event.position,
                enrolled_on=_moment(values["timestamp"]),
                enrolled_by=str(values["actor"]),
            )
        elif event.kind == "revoked" and key_id in keys and keys[key_id].revoked_at is None:
            key = keys[key_id]
            key.revoked_at, key.revoked_on, key.reason = event.position, _moment(values["timestamp"]), values["reason"]
    return keys


def _moment(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
