"""The snapshots' table, beside the library's snapshot store: only each
aggregate's latest snapshot is kept, and all of them may be dropped (they
are derived, and taken again as facts arrive).

A snapshot is proven against the chained log (workflows.store.chain): when
kept, it records the log position of its aggregate's event at its version,
the chain's digest there, and a digest over itself and those two. A load
reads the snapshot together with the digest the chain holds at that event,
in the one query it made before, and uses the snapshot only if both agree
(`unproven`). So a snapshot written around Accord, copied from another
aggregate or version, or taken on a log other than this one (a primary
since lost) is ignored and its aggregate folded from its events. What the
digest alone does not stop: someone who edits a snapshot's state and works
its digest out again, as anyone can with SHA-256, on a store without a
cipher key: on a store whose records are signed (workflows.store.signatures)
the writer that takes a snapshot also signs its digest, and a load uses it
only under a key in force. Under the store's cipher (ACCORD_CIPHER_KEY) no
one without the key can write a snapshot that decrypts; everywhere, `audit
verify` compares every snapshot with its events.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import orjson

from domain.base import Snapshot
from workflows.store import chain
from workflows.store.database import Database
from workflows.store.signatures import SIGNERS, Signer, verifies

_HEX = _PUBLIC = re.compile(r"[0-9a-f]{64}")
_HEX_TEXT = re.compile(r"(?:[0-9a-f]{2})+")
# What the digest covers besides the snapshot's fields: a name for what it is.
_DOMAIN = b"accord snapshot\n"


def digest_of(snapshot: Snapshot) -> str:
    """The digest over a snapshot: its aggregate, version, time, topic, state,
    and where the chain stood at its version (hex SHA-256)."""
    # The state is JSON values already: orjson writes it at a fraction of
    # what pydantic's serialiser takes to walk it (every load computes this),
    # in the order of its keys, which storing and reading keep.
    fields = snapshot.model_dump(mode="json", exclude={"digest", "state", "signed_by", "signature"})
    digest = hashlib.sha256(_DOMAIN)
    digest.update(orjson.dumps(fields, option=orjson.OPT_SORT_KEYS))
    digest.update(b"\n")
    digest.update(orjson.dumps(snapshot.state))
    return digest.hexdigest()


def proven(snapshot: Snapshot, position: int, chained: str, signer: Signer | None = None) -> Snapshot:
    """The snapshot as it is kept: with the position of its aggregate's event
    at its version, the chain's digest there, and its own digest, signed by
    the writer's key where the store signs."""
    placed = snapshot.model_copy(update={"position": position, "chained": chained, "digest": None})
    digest = digest_of(placed)
    signed = {} if signer is None else {"signed_by": signer.key_id, "signature": signer.sign(_signed(digest)).hex()}
    return placed.model_copy(update={"digest": digest, **signed})


def _signed(digest: str) -> bytes:
    """What a snapshot's signature covers: its digest, named as a snapshot's."""
    return f"accord snapshot\n{digest}".encode()


# Why a snapshot stored before these checks cannot be used: re-taken, not a finding.
TAKEN_BEFORE = "was taken before snapshots carried the chain's digest"
UNSIGNED = "was taken unsigned, before this store signed its records"
QUIETLY_RETAKEN = frozenset([TAKEN_BEFORE, UNSIGNED])


def unproven(snapshot: Snapshot, held: Held, signers: Mapping[str, bytes] | None = None) -> str | None:
    """Why the snapshot may not be used, as the end of a sentence that begins
    "the snapshot of X at version N"; None when the chain proves it and, on
    a store that signs (`signers`: the public keys in force by key id), a
    key in force signed it."""
    if snapshot.digest is None:
        return TAKEN_BEFORE
    if held.position is None or held.chained is None:
        return "is of a version whose event the chained log does not hold"
    if snapshot.position != held.position or snapshot.chained != held.chained:
        return (
            f"names the chain's digest {_shown(snapshot.chained)} at position {snapshot.position}, "
            f"which the chain does not hold for that version (it holds {_shown(held.chained)} at {held.position})"
        )
    if snapshot.digest != digest_of(snapshot):
        return "does not match its own digest"
    if signers is None:
        return None
    if snapshot.signed_by is None or snapshot.signature is None:
        return UNSIGNED
    public = signers.get(snapshot.signed_by)
    if public is None:
        return f"is signed by {_shown_key(snapshot.signed_by)}, which is not a key this store has in force"
    if not _HEX_TEXT.fullmatch(snapshot.signature) or not verifies(
        public, bytes.fromhex(snapshot.signature), _signed(snapshot.digest)
    ):
        return f"carries a signature that key {snapshot.signed_by} did not make"
    return None


def signers_in_force(db: Database) -> dict[str, bytes] | None:
    """The public keys in force by key id, read from the KeyEnrolled events
    the writers' index of keys points at (workflows.store.signatures); None
    where the store enrolls no key. An index row that points at no
    enrolment of its key is left out."""
    # A store opened read-only, set up before Accord signed, may lack the table.
    if not db.has_table(SIGNERS):
        return None
    rows = db.query(f"SELECT position, key_id, change FROM {SIGNERS} ORDER BY position")
    if not rows:
        return None
    revoked = {str(row["key_id"]) for row in rows if row["change"] == "revoked"}
    keys: dict[str, bytes] = {}
    for row in rows:
        key_id = str(row["key_id"])
        if row["change"] != "enrolled" or key_id in revoked:
            continue
        for _, originator, version, topic, state in db.rows(int(row["position"]), 1, int(row["position"])):
            _, values = db.mapper.decode(topic, bytes(state), originator, version)
            public = values.get("public_key")
            if values.get("key_id") == key_id and isinstance(public, str) and _PUBLIC.fullmatch(public):
                keys[key_id] = bytes.fromhex(public)
    return keys


@dataclass(frozen=True)
class Held:
    """What the log holds for a snapshot's version: the position of the
    aggregate's event at that version and the chain's digest there (None
    where the log holds no such event, or the chain does not cover it)."""

    position: int | None
    chained: str | None


@dataclass(frozen=True)
class Stored:
    """An aggregate's latest snapshot as its row holds it, with what the log
    holds at its version."""

    version: int
    topic: str
    state: bytes
    held: Held


def latest(db: Database, table: str, aggregate_id: UUID, version: int | None = None) -> Stored | None:
    """The aggregate's latest snapshot (up to a version, if given), and the
    chain's digest at the event of its version: one query, as the library's
    read of the snapshot was."""
    position = db.position_column
    up_to = "" if version is None else " AND s.originator_version <= ?"
    rows = _one_statement(
        db,
        f"SELECT s.originator_version AS version, s.topic AS topic, s.state AS state, "
        f"e.{position} AS position, c.digest AS chained FROM {table} s "
        f"LEFT JOIN {db.events_table} e "
        "ON e.originator_id = s.originator_id AND e.originator_version = s.originator_version "
        f"LEFT JOIN {chain.TABLE} c ON c.position = e.{position} "
        f"WHERE s.originator_id = ?{up_to} ORDER BY s.originator_version DESC LIMIT 1",
        (db.originator(aggregate_id),) if version is None else (db.originator(aggregate_id), version),
    )
    if not rows:
        return None
    row = rows[0]
    held = Held(_int(row["position"]), None if row["chained"] is None else str(row["chained"]))
    return Stored(int(row["version"]), str(row["topic"]), bytes(row["state"]), held)


def held_at(db: Database, versions: Iterable[tuple[UUID, int]]) -> dict[tuple[UUID, int], Held]:
    """For each (aggregate, version), the position of its event and the
    chain's digest there, where the log holds both."""
    pairs = list(versions)
    found: dict[tuple[UUID, int], Held] = {}
    position = db.position_column
    # Few at a time: each pair is two placeholders of one statement.
    for start in range(0, len(pairs), 200):
        chunk = pairs[start : start + 200]
        wanted = " OR ".join(["(e.originator_id = ? AND e.originator_version = ?)"] * len(chunk))
        rows = db.query(
            f"SELECT e.originator_id AS id, e.originator_version AS version, e.{position} AS position, "
            f"c.digest AS chained FROM {db.events_table} e JOIN {chain.TABLE} c ON c.position = e.{position} "
            f"WHERE {wanted}",
            [value for aggregate, version in chunk for value in (db.originator(aggregate), version)],
        )
        for row in rows:
            found[(UUID(str(row["id"])), int(row["version"]))] = Held(int(row["position"]), str(row["chained"]))
    return found


def drop_others(db: Database, table: str, snapshots: Sequence[Any]) -> None:
    """Delete every snapshot of these aggregates: their new ones are stored
    next. Not only the older: one of a version the log does not hold (a
    snapshot written around Accord) would otherwise stay the latest, and be
    read and ignored at every load."""
    with db.transaction() as cursor:
        cursor.executemany(
            f"DELETE FROM {table} WHERE originator_id = ?", [(db.originator(s.originator_id),) for s in snapshots]
        )


def drop_all(db: Database, table: str) -> int:
    """Delete every snapshot; how many there were."""
    with db.transaction() as cursor:
        [row] = cursor.execute(f"SELECT COUNT(*) AS n FROM {table}").fetchall()
        cursor.execute(f"DELETE FROM {table}")
    return int(row["n"])


def kept(db: Database, table: str) -> list[tuple[UUID, int]]:
    """Each snapshot kept: its aggregate and version."""
    rows = db.query(f"SELECT originator_id, originator_version FROM {table} ORDER BY originator_id")
    return [(UUID(str(row["originator_id"])), int(row["originator_version"])) for row in rows]


def _one_statement(db: Database, sql: str, params: Sequence[Any]) -> list[dict[str, Any]]:
    """The rows of one query on the hot path, read as the library reads a
    snapshot: on PostgreSQL prepared, and outside a transaction (BEGIN and
    ROLLBACK would cost two turns of the server more)."""
    if not db.postgres:
        return db.query(sql, params)
    with db.recorder.datastore.get_connection() as connection, connection.cursor() as cursor:
        cursor.execute(sql.replace("?", "%s"), tuple(params), prepare=True)
        return [dict(row) for row in cursor.fetchall()]


def _shown(digest: str | None) -> str:
    """A digest's first digits, as a sentence may show them; anything else
    (written around Accord) only named."""
    if digest is not None and _HEX.fullmatch(digest):
        return digest[:16]
    return "(not a digest)"


def _shown_key(key_id: str) -> str:
    """A key id as a sentence may show it; anything else only named."""
    return f"key {key_id}" if re.fullmatch(r"[0-9a-f]{16}", key_id) else "a key that is no key id"


def _int(value: Any) -> int | None:
    return None if value is None else int(value)
