"""A tamper-evident log: every stored record's digest covers the digest of
the record before it (SHA-256 over the previous digest and the record's
canonical bytes), kept in its own table and written in the same transaction
as the records. Changing, deleting, inserting or reordering a record breaks
the chain from that position on; `audit verify` finds the first break.

The recorders (SQLite's and PostgreSQL's) call `extend` inside their insert
transaction, where writers are serialised, so the chain grows in the order of
the log's positions.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

TABLE = "accord_chain"
# The digest "before" the first record.
GENESIS = hashlib.sha256(b"accord: the first record").hexdigest()


def canonical(position: int, originator_id: UUID | str, version: int, topic: str, state: bytes) -> bytes:
    """A record's bytes as the chain covers them: position, identity, type and payload."""
    originator = originator_id.hex if isinstance(originator_id, UUID) else str(originator_id).replace("-", "")
    return f"{position}\n{originator}\n{version}\n{topic}\n".encode() + bytes(state)


def link(previous: str, record: bytes) -> str:
    """The digest of a record chained to the one before it (hex)."""
    return hashlib.sha256(bytes.fromhex(previous) + record).hexdigest()


def create_statement(postgres: bool, schema: str | None = None) -> str:
    table = f"{schema}.{TABLE}" if schema else TABLE
    kind = "BIGINT" if postgres else "INTEGER"
    return f"CREATE TABLE IF NOT EXISTS {table} (position {kind} PRIMARY KEY, digest TEXT NOT NULL)"


@dataclass(frozen=True)
class Link:
    position: int
    digest: str


class LogMoved(Exception):
    """The log a read was made of is not the log held where the write that
    follows it would go: the store changed server between them (its
    primary lost, a standby promoted that had not received all of it)."""


@dataclass(frozen=True)
class Read:
    """A read of the log: the position it went on from (`after`), where it
    ended, and the chain's digest there as the read saw it (None at a
    position no link covers: a store written before the chain, never
    written since)."""

    after: int
    position: int
    digest: str | None


def head(cursor: Any, table: str = TABLE) -> Link:
    """The chain's last link (the genesis digest at position 0 if it is empty)."""
    cursor.execute(f"SELECT position, digest FROM {table} ORDER BY position DESC LIMIT 1")
    row = cursor.fetchone()
    if row is None:
        return Link(0, GENESIS)
    position, digest = (row["position"], row["digest"]) if isinstance(row, dict) else (row[0], row[1])
    return Link(int(position), str(digest))


# (position, originator_id, version, topic, state) of a stored record.
Record = tuple[int, UUID | str, int, str, bytes]
FLUSH = 10_000


class Chainer:
    """Extends the chain within a recorder's insert transaction. `events` is
    the events table and `position` its column of log positions."""

    def __init__(self, table: str, events: str, position: str, placeholder: str = "?") -> None:
        self.table = table
        mark = placeholder
        self.postgres = placeholder == "%s"
        # PostgreSQL takes a page of links as two arrays in one statement:
        # executemany would make a round trip of each.
        self.insert = (
            f"INSERT INTO {table} (position, digest) SELECT * FROM unnest({mark}::bigint[], {mark}::text[])"
            if self.postgres
            else f"INSERT INTO {table} (position, digest) VALUES ({mark}, {mark})"
        )
        self.select_at = (
            f"SELECT (SELECT digest FROM {table} WHERE position = {mark}) AS digest, "
            f"(SELECT MAX({position}) FROM {events}) AS head"
        )
        self.select_between = (
            f"SELECT {position}, originator_id, originator_version, topic, state FROM {events} "
            f"WHERE {position} > {mark} AND {position} < {mark} ORDER BY {position} LIMIT {mark}"
        )

    def unchained(self, cursor: Any, after: int, before: int) -> Iterator[Record]:
        """The records stored after one position and before another, in pages:
        records the chain does not cover yet."""
        while True:
            cursor.execute(self.select_between, (after, before, FLUSH))
            rows = [tuple(row.values()) if isinstance(row, dict) else tuple(row) for row in cursor.fetchall()]
            for position, originator, version, topic, state in rows:
                yield position, originator, version, topic, bytes(state)
            if len(rows) < FLUSH:
                return
            after = rows[-1][0]

    def held_at(self, cursor: Any, position: int) -> str | None:
        """The chain's digest where a read in the caller's transaction ends:
        a position this server holds (LogMoved otherwise: it was found on
        another server)."""
        digest, head = self._at(cursor, position)
        if head < position:
            raise LogMoved(f"position {position} of the log is not held here: the store changed server")
        return digest

    def confirm(self, cursor: Any, read: Read) -> None:
        """Refuse (LogMoved), in a write's transaction, to follow a read of a
        log other than the one held here. Each digest covers every record
        before it, so the same digest at the read's end proves the log up to
        there the same, record for record; a tracked position written after
        a read of a lost primary would otherwise stand beyond what the
        promoted standby holds, and the records it gives those positions
        next would be skipped."""
        digest, head = self._at(cursor, read.position)
        if digest != read.digest or head < read.position:
            raise LogMoved(
                f"the log read up to position {read.position} is not the log held here: the store changed server"
            )

    def _at(self, cursor: Any, position: int) -> tuple[str | None, int]:
        """The digest at a position (None if no link covers it) and the log's head."""
        cursor.execute(self.select_at, (position,))
        row = cursor.fetchone()
        digest, head = (row["digest"], row["head"]) if isinstance(row, dict) else (row[0], row[1])
        return digest, int(head or 0)

    def last(self, cursor: Any) -> Link:
        return head(cursor, self.table)

    def extend(self, cursor: Any, records: Sequence[Record]) -> Link:
        """Chain these new records (in position order) after the last link:
        first any records stored before them that the chain does not cover
        (a store written before the chain existed), then them."""
        if not records:
            return self.last(cursor)
        head = self.last(cursor)
        position, digest = head.position, head.digest
        rows: list[tuple[int, str]] = []
        for record in itertools.chain(self.unchained(cursor, position, records[0][0]), records):
            position = record[0]
            digest = link(digest, canonical(*record))
            rows.append((position, digest))
            if len(rows) >= FLUSH:
                self._write(cursor, rows)
                rows.clear()
        self._write(cursor, rows)
        return Link(position, digest)

    def _write(self, cursor: Any, rows: list[tuple[int, str]]) -> None:
        if not rows:
            return
        if self.postgres:
            positions, digests = zip(*rows, strict=True)
            cursor.execute(self.insert, (list(positions), list(digests)))
        else:
            cursor.executemany(self.insert, rows)


def records_of(ids: Sequence[int], stored_events: Sequence[Any]) -> list[Record]:
    """The recorder's new records with the positions the database gave them."""
    return [
        (position, event.originator_id, event.originator_version, event.topic, event.state)
        for position, event in zip(ids, stored_events, strict=True)
    ]


# A sealed head as people give it: the digest, or at least its first 8 hex digits.
HEAD = re.compile(r"[0-9a-f]{8,64}")


def positions_of(db: Any, head: str) -> list[int]:
    """The positions chained at a digest (a sealed head), or at every digest
    it begins (a prefix: one, unless it is too short to tell them apart)."""
    assert HEAD.fullmatch(head), head
    if len(head) == 64:
        rows = db.query(f"SELECT position FROM {TABLE} WHERE digest = ?", (head,))
    else:
        rows = db.query(f"SELECT position FROM {TABLE} WHERE digest LIKE ? ORDER BY position LIMIT 3", (f"{head}%",))
    return [int(row["position"]) for row in rows]


def digest_at(db: Any, position: int) -> str | None:
    """The digest chained at a position, if any."""
    rows = db.query(f"SELECT digest FROM {TABLE} WHERE position = ?", (position,))
    return str(rows[0]["digest"]) if rows else None


def links(db: Any, page: int) -> Iterator[tuple[int, str]]:
    """Every link of the chain, (position, digest) in position order, read in pages."""
    after = 0
    while True:
        rows = db.query(
            f"SELECT position, digest FROM {TABLE} WHERE position > ? ORDER BY position LIMIT ?", (after, page)
        )
        for row in rows:
            yield int(row["position"]), str(row["digest"])
        if len(rows) < page:
            return
        after = int(rows[-1]["position"])
