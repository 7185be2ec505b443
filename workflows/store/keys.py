"""The store's index of submission keys, written in the same transaction as
the events: for each aggregate an insert stores facts of, one row holding
the digests of their keys, at the position of the first of them. Facts are
what people submit; tasks and dispatches keep their keys on themselves, as
they are never loaded from a snapshot. A submission asks the index, not the
aggregate, whether its key was recorded before; so an aggregate loaded from a snapshot need not carry every key it
ever recorded (at a million events, most of a partnership's snapshot and of
a batch's memory). A row a batch, not a row a key: a key's digest is random,
so a row a key would rewrite most of the index's pages of every aggregate a
batch touches, where a row a batch appends one.

Keys are kept as digests keyed by the store's cipher key, so an encrypted
store shows none of its keys (which may be people's own references) in
clear. `index_log` indexes a store recorded before the index existed.
"""

from __future__ import annotations

import hashlib
import logging
import sys
from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from uuid import UUID

TABLE = "accord_keys"
# The tracking row that says the index covers the log: the events recorded
# before it existed were indexed by `index_log`, and every event
# since was indexed as it was stored.
INDEXED = "accord-keys"
# Facts are indexed from the log in pages of this many.
PAGE = 10_000

log = logging.getLogger("accord")

# Bytes of a key's digest kept (128 bits: no two keys of one aggregate meet).
DIGEST_SIZE = 16

# (aggregate id, digest of the key) of a fact about to be stored (a batch
# gives None for each of its events that is not a fact).
Row = tuple[UUID, bytes]


def create_statement(postgres: bool, schema: str | None = None) -> str:
    table = f"{schema}.{TABLE}" if schema else TABLE
    if postgres:
        return (
            f"CREATE TABLE IF NOT EXISTS {table} (originator_id uuid NOT NULL, position BIGINT NOT NULL, "
            "keys bytea NOT NULL, PRIMARY KEY (originator_id, position))"
        )
    return (
        f"CREATE TABLE IF NOT EXISTS {table} (originator_id BLOB NOT NULL, position INTEGER NOT NULL, "
        "keys BLOB NOT NULL, PRIMARY KEY (originator_id, position)) WITHOUT ROWID"
    )


class Keys:
    """Digests of submission keys, keyed by the store's cipher key (if any)."""

    def __init__(self, secret: str | None) -> None:
        # BLAKE2b keyed by the secret (a MAC, at a quarter of HMAC's cost).
        self.secret = hashlib.sha256(secret.encode()).digest() if secret else b""

    def digest(self, key: str) -> bytes:
        return hashlib.blake2b(key.encode(), digest_size=DIGEST_SIZE, key=self.secret).digest()

    def row(self, event: Any) -> Row:
        """The index row of a fact about to be stored."""
        return event.originator_id, self.digest(event.key)


def grouped(rows: Sequence[Row | None], positions: Sequence[int]) -> list[tuple[UUID, int, bytes]]:
    """(aggregate, position of its first fact, their digests) for each aggregate."""
    found: dict[UUID, tuple[int, bytearray]] = {}
    for row, position in zip(rows, positions, strict=True):
        if row is not None:
            aggregate_id, digest = row
            found.setdefault(aggregate_id, (position, bytearray()))[1].extend(digest)
    return [(aggregate_id, first, bytes(digests)) for aggregate_id, (first, digests) in found.items()]


class KeyWriter:
    """Writes index rows inside a recorder's insert transaction."""

    def __init__(self, table: str, postgres: bool) -> None:
        self.postgres = postgres
        columns = f"{table} (originator_id, position, keys)"
        if postgres:
            self.insert = f"INSERT INTO {columns} SELECT * FROM unnest(%s::uuid[], %s::bigint[], %s::bytea[])"
        else:
            self.insert = f"INSERT INTO {columns} VALUES (?, ?, ?)"

    def write(self, cursor: Any, rows: Sequence[Row | None], positions: Sequence[int]) -> None:
        """Index facts at the positions the log gave them."""
        groups = grouped(rows, positions)
        if not groups:
            return
        if self.postgres:
            ids, firsts, digests = zip(*groups, strict=True)
            cursor.execute(self.insert, (list(ids), list(firsts), list(digests)))
        else:
            cursor.executemany(self.insert, [(aggregate.bytes, first, keys) for aggregate, first, keys in groups])


def digests_of(keys: bytes) -> Iterator[bytes]:
    return (keys[start : start + DIGEST_SIZE] for start in range(0, len(keys), DIGEST_SIZE))


def recorded(db: Any, wanted: Mapping[UUID, Sequence[bytes]]) -> set[Row]:
    """Which of these digests the index holds, for each aggregate: one read
    transaction, one query an aggregate; only one aggregate's digests are
    held at a time."""
    found: set[Row] = set()
    with db.transaction(commit=False) as cursor:
        for aggregate_id, digests in wanted.items():
            originator = aggregate_id if db.postgres else aggregate_id.bytes
            cursor.execute(f"SELECT keys FROM {TABLE} WHERE originator_id = ?", (originator,))
            held = b"".join(bytes(row["keys"]) for row in cursor.fetchall())
            # Each held digest's first half as a number: a set of those is
            # made in C, at a third of the cost of cutting the digests out
            # (the whole of a batch's check at a million events). Only the
            # digests whose first half is held are looked for whole.
            halves = set(memoryview(held)[: len(held) // DIGEST_SIZE * DIGEST_SIZE].cast("Q")[::2])
            maybe = [digest for digest in digests if int.from_bytes(digest[:8], sys.byteorder) in halves]
            if maybe:
                whole = set(digests_of(held))
                found.update((aggregate_id, digest) for digest in maybe if digest in whole)
    return found


class Tally:
    """Index entries summed whatever their order (each entry's SHA-256 as a
    number, modulo 2**256): the log's entries and the index's are the same
    when their counts and sums are equal, and neither is held in memory."""

    def __init__(self) -> None:
        self.count = 0
        self.total = 0

    def add(self, aggregate: bytes, digest: bytes) -> None:
        self.count += 1
        self.total = (self.total + int.from_bytes(hashlib.sha256(aggregate + digest).digest())) % 2**256

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Tally) and (self.count, self.total) == (other.count, other.total)


def past_the_log(db: Any) -> int:
    """Index rows at positions after the log's last: none can be, as a row
    is written with its events (one statement, so one view of both tables)."""
    [row] = db.query(
        f"SELECT COUNT(*) AS n FROM {TABLE} WHERE position > (SELECT MAX({db.position_column}) FROM {db.events_table})"
    )
    return int(row["n"])


def index_tally(db: Any, through: int) -> Tally:
    """The tally of what the index holds for events up to position `through`
    (a batch's events are all before it or all after), read in pages."""
    tally = Tally()
    for row in db.stream(f"SELECT originator_id, keys FROM {TABLE} WHERE position <= ?", (through,)):
        originator = row["originator_id"]
        aggregate = originator.bytes if isinstance(originator, UUID) else bytes(originator)
        for digest in digests_of(bytes(row["keys"])):
            tally.add(aggregate, digest)
    return tally


def indexed_from(db: Any) -> int:
    """The first position whose facts the index must hold: 1 once the facts
    recorded before the index existed are indexed (`index_log`), else the
    first a writer indexed as it stored them (past the log's head if none).
    Read only."""
    if db.recorder.max_tracking_id(INDEXED) is not None:
        return 1
    if not db.has_table(TABLE):
        return int(db.head()) + 1  # a store written before the index, never written since
    [row] = db.query(f"SELECT MIN(position) AS first FROM {TABLE}")
    return int(row["first"]) if row["first"] is not None else int(db.head()) + 1


def index_log(db: Any, keys: Keys, fact_topics: Sequence[str]) -> None:
    """Index the keys of a store recorded before Accord kept its key index
    (once: from then on each event's key is indexed as it is stored).

    One transaction, which holds the writers' lock throughout (writers
    wait: about ten seconds for a million events), so that it ends either
    with every key indexed or with nothing written."""
    recorder = db.recorder
    if recorder.max_tracking_id(INDEXED) is not None:
        return
    with db.transaction() as cursor:
        if db.postgres:
            for statement in recorder.lock_table_statements:
                cursor.raw.execute(statement)
        else:
            cursor.execute(f"DELETE FROM {TABLE} WHERE 0")  # a write: SQLite's lock
        # Another process may have indexed them while this one waited.
        if recorder.max_tracking_id(INDEXED) is not None:
            return
        # Up to the first event a writer indexed as it stored it.
        [row] = cursor.execute(f"SELECT MIN(position) AS first FROM {TABLE}").fetchall()
        through = int(row["first"]) - 1 if row["first"] is not None else db.head()
        if through:
            log.warning("indexing the submission keys of the %s events recorded so far", f"{through:,}")
        _index_facts(db, cursor.raw, keys, fact_topics, through)
        db.record_position(cursor, INDEXED, through)


def _index_facts(db: Any, cursor: Any, keys: Keys, fact_topics: Sequence[str], through: int) -> None:
    """Index the key of every fact up to position `through`, in the
    caller's transaction: a row an aggregate for every 100,000 facts, as a
    batch writes them."""
    rows: list[Row | None] = []
    positions: list[int] = []
    start = 1
    while start <= through and (page := db.records(start, through, fact_topics, PAGE)):
        rows += [(UUID(str(fact.originator_id)), keys.digest(fact["key"])) for fact in page]
        positions += [fact.position for fact in page]
        if len(rows) >= 10 * PAGE:
            db.recorder.key_writer.write(cursor, rows, positions)
            rows, positions = [], []
        start = page[-1].position + 1
    db.recorder.key_writer.write(cursor, rows, positions)
