"""`audit verify`'s signatures pass: every signature checked against the
keys the log had in force when it was written, and every record from the
first enrolled key on covered by exactly one valid signature. Records
before the first enrolment were written before signing: counted, not failed.

Each signature covers the chain's digest as stored at the last position of
its transaction; the chain pass proves those digests are the records'.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from domain.signing import key_id_of, may_sign, type_of
from workflows.signing.roster import Key, key_events, keys_in_log
from workflows.store import chain
from workflows.store.signatures import SIGNATURES, message, verifies

# Runs of unsigned records named one by one at most; the rest are counted.
NAMED = 100
PAGE = 10_000


@dataclass(frozen=True)
class Signature:
    first: int
    last: int
    key_id: str
    signature: str
    digest: str | None  # the chain's digest at `last`, as stored

    @property
    def span(self) -> str:
        return f"position {self.first}" if self.first == self.last else f"positions {self.first}-{self.last}"


@dataclass
class Signatures:
    """What the pass found."""

    checked: int = 0  # signatures checked
    signed: int = 0  # records a valid signature covers
    before_signing: int = 0  # records before the first enrolled key, no signature needed
    unsigned: int = 0  # records no valid signature covers
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0  # what the pass took

    @property
    def sound(self) -> bool:
        return not self.problems

    def as_json(self) -> dict[str, Any]:
        return {
            "checked": self.checked,
            "signed": self.signed,
            "before_signing": self.before_signing,
            "unsigned": self.unsigned,
            "problems": self.problems,
            "seconds": round(self.seconds, 3),
        }


def check(db: Any, through: int) -> Signatures:
    """The signatures of the log up to position `through`, judged."""
    began = time.perf_counter()
    found = Signatures()
    keys = keys_in_log(db, through)
    changes = [event.position for event in key_events(db, through)]
    first_key = min((key.enrolled_at for key in keys.values()), default=None)
    for key in keys.values():
        if key.key_id != key_id_of(key.public):
            found.problems.append(f"position {key.enrolled_at}: the enrolment of key {key.key_id} gives another key")
    valid: list[Signature] = []
    for signature in _signatures(db, through):
        found.checked += 1
        problem = _judge(signature, keys, changes, first_key)
        if problem is None:
            valid.append(signature)
        else:
            found.problems.append(problem)
    valid = _one_each(valid, found)
    _cover(db, through, valid, keys, first_key, found)
    found.seconds = time.perf_counter() - began
    return found


def _judge(signature: Signature, keys: dict[str, Key], changes: list[int], first_key: int | None) -> str | None:
    """Why a signature does not count, or None if it does."""
    span, key = signature.span, keys.get(signature.key_id)
    if key is None:
        return f"{span}: signed with key {signature.key_id}, which the log does not enroll"
    if signature.digest is None:
        return f"{span}: signed, but the chain holds no digest at position {signature.last}"
    try:
        raw = bytes.fromhex(signature.signature)
    except ValueError:
        raw = b""
    if not verifies(key.public, raw, message(signature.first, signature.last, signature.digest)):
        return f"{span}: the signature by key {key.key_id} does not verify: the records or their chain changed since"
    changing = any(signature.first <= position <= signature.last for position in changes)
    if first_key is not None and signature.first <= first_key <= signature.last:
        # The first enrolment: an administrator's key, signing its own enrolment.
        if key.enrolled_at <= signature.last and key.role == "admin":
            return None
        return f"{span}: the first enrolment is not signed by the administrator's key it enrolls"
    if key.revoked_at is not None and key.revoked_at < signature.first:
        return f"{span}: signed with key {key.key_id} after its revocation at position {key.revoked_at}"
    if not key.in_force_over(signature.first):
        return f"{span}: signed with key {key.key_id} before its enrolment at position {key.enrolled_at}"
    if changing and key.role != "admin":
        return f"{span}: enrolls or revokes a key under key {key.key_id}, a {key.role}'s, not an administrator's"
    return None


def _one_each(valid: list[Signature], found: Signatures) -> list[Signature]:
    """The valid signatures that cover no record another already covers."""
    kept: list[Signature] = []
    for signature in sorted(valid, key=lambda s: (s.first, s.last)):
        if kept and signature.first <= kept[-1].last:
            found.problems.append(f"{signature.span}: covered by two signatures (one also covers {kept[-1].span})")
            continue
        kept.append(signature)
    return kept


def _cover(
    db: Any, through: int, valid: list[Signature], keys: dict[str, Key], first_key: int | None, found: Signatures
) -> None:
    """Count each record as signed, written before signing, or unsigned,
    and name the unsigned by position (in runs), and each signed by a key
    whose role may not sign its type (domain.signing.may_sign)."""
    ranges = iter(valid)
    current = next(ranges, None)
    runs: list[list[int]] = []
    beyond: list[str] = []
    # Whether the record before was unsigned: a run goes on over positions
    # PostgreSQL's sequence skipped, which are no records.
    after_unsigned = False
    for position, topic in _positions(db, through):
        while current is not None and current.last < position:
            current = next(ranges, None)
        unsigned = False
        if current is not None and current.first <= position:
            found.signed += 1
            role = keys[current.key_id].role
            if not may_sign(role, kind := type_of(topic)):
                beyond.append(
                    f"position {position}: a {kind} signed by key {current.key_id}, a {role}'s, "
                    "which may sign no fact people record"
                )
        elif first_key is None or position < first_key:
            found.before_signing += 1
        else:
            found.unsigned += 1
            unsigned = True
            if after_unsigned:
                runs[-1][1] = position
            else:
                runs.append([position, position])
        after_unsigned = unsigned
    found.problems += beyond[:NAMED]
    if len(beyond) > NAMED:
        found.problems.append(f"and {len(beyond) - NAMED:,} more records signed by a key that may not sign them")
    for first, last in runs[:NAMED]:
        span = f"position {first}" if first == last else f"positions {first}-{last}"
        found.problems.append(f"{span}: no valid signature covers it (written around Accord, or its signature lost)")
    if len(runs) > NAMED:
        found.problems.append(f"and {len(runs) - NAMED:,} more runs of records no valid signature covers")


def _positions(db: Any, through: int) -> Iterator[tuple[int, str]]:
    """Each record's position and topic, up to `through`."""
    column, table = db.position_column, db.events_table
    after = 0
    while True:
        rows = db.query(
            f"SELECT {column} AS position, topic FROM {table} WHERE {column} > ? AND {column} <= ? "
            f"ORDER BY {column} LIMIT ?",
            (after, through, PAGE),
        )
        for row in rows:
            yield int(row["position"]), str(row["topic"])
        if len(rows) < PAGE:
            return
        after = int(rows[-1]["position"])


def _signatures(db: Any, through: int) -> Iterator[Signature]:
    if not db.has_table(SIGNATURES):
        return  # a store written before signing, read as it stands (verify opens it read-only)
    after = 0
    while True:
        rows = db.query(
            f"SELECT s.position AS last, s.first AS first, s.key_id AS key_id, s.signature AS signature, "
            f"c.digest AS digest FROM {SIGNATURES} s LEFT JOIN {chain.TABLE} c ON c.position = s.position "
            "WHERE s.position > ? AND s.position <= ? ORDER BY s.position LIMIT ?",
            (after, through, PAGE),
        )
        for row in rows:
            yield Signature(
                int(row["first"]), int(row["last"]), str(row["key_id"]), str(row["signature"]), row["digest"]
            )
        if len(rows) < PAGE:
            return
        after = int(rows[-1]["last"])
